"""A room: a topic, a named, a private room or a direct conversation, with its rules of the moment and its counters."""

from django.db import models
from django.utils import timezone

from rooms.rules import ROOM_NAME_MAX_LENGTH, ROOM_TITLE_MAX_LENGTH


class Room(models.Model):
    class Kind(models.TextChoices):
        TOPIC = "topic", "Topic"
        NAMED = "named", "Named"
        PRIVATE = "private", "Private"
        DIRECT = "direct", "Direct"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=ROOM_NAME_MAX_LENGTH, help_text="Topic or room name, or private code.")
    key = models.CharField(max_length=ROOM_NAME_MAX_LENGTH, unique=True, editable=False)
    title = models.CharField(max_length=ROOM_TITLE_MAX_LENGTH)
    owner_key = models.CharField(max_length=64, blank=True, editable=False)
    locked = models.BooleanField(default=False, help_text="Read-only for everyone but staff.")
    slow_mode_seconds = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)
    presence_version = models.PositiveBigIntegerField(default=0, editable=False)
    # Bumped by every reaction change in the room, under its row lock (rooms/services/reactions.py).
    last_reaction_seq = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_active_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # A direct conversation's people, as one hash of their sorted person keys (rooms/services/direct.py):
    # the same people open the same conversation. Blank for every other kind.
    people_key = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        # The lobby's quiet rooms, most recently active first, and the purge's idle ones (rooms/selectors/rooms.py).
        indexes = [models.Index(fields=["kind", "closed_at", "-last_active_at"], name="rooms_room_lobby")]
        constraints = [
            models.UniqueConstraint(
                fields=["people_key"], condition=~models.Q(people_key=""), name="room_people_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.key = self.name.lower()
        super().save(*args, **kwargs)

    @property
    def is_public(self) -> bool:
        return self.kind not in (self.Kind.PRIVATE, self.Kind.DIRECT)

    @property
    def is_direct(self) -> bool:
        return self.kind == self.Kind.DIRECT
