from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_topic_rooms(sender, **kwargs):
    from rooms.services import topic_rooms_ensure

    topic_rooms_ensure()


class RoomsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rooms"

    def ready(self):
        # Topic rooms follow settings.TOPIC_ROOMS: every `migrate` creates any missing one.
        post_migrate.connect(_ensure_topic_rooms, sender=self)
        # Logging in keeps what the guest had; logging out closes that browser's sockets.
        from rooms.web import accounts

        accounts.connect()
