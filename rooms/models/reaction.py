"""A reaction: one person's emoji on one message (at most one per person, emoji and message)."""

from django.db import models
from django.utils import timezone

from rooms.models.message import Message


class Reaction(models.Model):
    # Removed with their message: a purged room's rows go by cascade; a removal
    # (soft) deletes them in the service (rooms/services/messages.py).
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    # The person key (rooms/identity.py): a guest's moves to their account when they sign up.
    person_key = models.CharField(max_length=64)
    username = models.CharField(max_length=64)  # the display name they had in the room, shown to who-reacted
    emoji = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "person_key", "emoji"], name="reaction_once_per_person"),
        ]
        indexes = [models.Index(fields=["person_key"], name="reaction_person_idx")]

    def __str__(self) -> str:
        return f"{self.username} {self.emoji} on {self.message_id}"
