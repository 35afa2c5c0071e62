"""Who is online: server processes with heartbeats, a person's presence in a room, each open socket."""

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from rooms.models.room import Room


class ServerProcess(models.Model):
    """A running server process; its heartbeat keeps its members present."""

    id = models.CharField(primary_key=True, max_length=32)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(db_default=Now())
    heartbeat_at = models.DateTimeField(db_default=Now(), db_index=True)

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


class Presence(models.Model):
    """A person (one session) in a room, however many tabs they have open."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="presences")
    guest_key = models.CharField(max_length=64)
    username = models.CharField(max_length=64)
    username_key = models.CharField(max_length=64)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "guest_key"], name="presence_room_guest_unique"),
            models.UniqueConstraint(fields=["room", "username_key"], name="presence_room_username_unique"),
        ]
        # "Is this person online (in any room)?": online dots, and who of a room's members hears its count.
        indexes = [models.Index(fields=["guest_key"], name="presence_guest_idx")]

    def __str__(self) -> str:
        return f"{self.username} in {self.room_id}"


class Connection(models.Model):
    """One open socket of a present person, held by one server process."""

    id = models.CharField(primary_key=True, max_length=64)
    presence = models.ForeignKey(Presence, on_delete=models.CASCADE, related_name="connections")
    process = models.ForeignKey(ServerProcess, on_delete=models.CASCADE, related_name="connections")
    connected_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.id
