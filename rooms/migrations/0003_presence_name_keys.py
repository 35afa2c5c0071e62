"""Presence rows written before look-alike keys get them (chatsite/names.py).

Presence is live state (a deploy's SIGTERM empties most of it), so this only
matters for members present across the upgrade. Where two present members'
names turn out to be look-alikes, the later keeps the old key until they leave.
"""

from django.db import IntegrityError, migrations, transaction

from chatsite.names import name_key


def rekey(apps, schema_editor):
    Presence = apps.get_model("rooms", "Presence")
    for presence in Presence.objects.order_by("pk").iterator():
        key = name_key(presence.username)
        if key != presence.username_key:
            try:
                with transaction.atomic():
                    Presence.objects.filter(pk=presence.pk).update(username_key=key)
            except IntegrityError:
                pass


class Migration(migrations.Migration):
    dependencies = [("rooms", "0002_room_lobby_index")]
    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
