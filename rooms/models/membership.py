"""Who belongs to a room, and how far they have read it: lasting, unlike presence ("is here now")."""

from django.db import models
from django.utils import timezone

from rooms.models.room import Room


class Membership(models.Model):
    """A person (their person key, rooms/identity.py) in a room they joined, or in a direct conversation.

    A direct conversation's members are fixed when it is opened; a public or
    private room gets a row the first time a person joins it, so its unread
    count works the same way. `last_read_id` is the newest message id they
    have read (0: none).
    """

    person_key = models.CharField(max_length=64)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    username = models.CharField(max_length=64, help_text="The name they were last seen under here.")
    last_read_id = models.PositiveBigIntegerField(default=0)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person_key", "room"], name="membership_person_room_unique")]
        indexes = [models.Index(fields=["room", "person_key"], name="membership_room_person_idx")]

    def __str__(self) -> str:
        return f"{self.username} in {self.room_id}"


class Block(models.Model):
    """`blocker` no longer hears from `blocked` (person keys): no 1:1 conversation, no messages shown in rooms."""

    blocker_key = models.CharField(max_length=64)
    blocked_key = models.CharField(max_length=64)
    blocked_name = models.CharField(max_length=64, help_text="The name they went by, for the unblock list.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["blocker_key", "blocked_key"], name="block_unique")]
        indexes = [models.Index(fields=["blocked_key"], name="block_blocked_idx")]

    def __str__(self) -> str:
        return f"{self.blocker_key[:12]} blocks {self.blocked_name}"
