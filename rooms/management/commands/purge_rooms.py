from django.core.management.base import BaseCommand

from rooms.services import presence_sweep, rooms_purge_empty


class Command(BaseCommand):
    help = (
        "Sweep members of crashed server processes, then delete private rooms empty for "
        "ROOM_EMPTY_GRACE_SECONDS and named rooms idle for ROOM_IDLE_EXPIRY_SECONDS, with their messages. "
        "Running servers do this by themselves; this runs it now."
    )

    def handle(self, *args, **options):
        left = presence_sweep()
        deleted = rooms_purge_empty()
        self.stdout.write(f"Swept {left} member(s) of stopped servers; deleted {len(deleted)} empty room(s).")
        for name in deleted:
            self.stdout.write(f"  deleted {name}")
