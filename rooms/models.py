"""chatsite's data and the rules every row obeys.

Writes go through rooms/services.py and rooms/presence.py; reads through
rooms/selectors.py. The rules for what a display name or a room name may be
live here, beside the data they guard, so the forms and the WebSocket protocol
apply the very same ones.
"""

import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

# Unambiguous upper-case alphabet for private room codes: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
ROOM_NAME_MAX_LENGTH = 32
ROOM_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
CONTROL_CHARS_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_username(value: object) -> str:
    """Return the display name a person asked for, or raise ValidationError.

    Trimmed, 1 to MAX_USERNAME_LENGTH characters, no control or bidi-override
    characters (they would let one name pose as another in the member list).
    """
    if not isinstance(value, str):
        raise ValidationError("Pick a display name.", code="invalid_username")
    name = " ".join(value.split())
    if not name:
        raise ValidationError("Pick a display name.", code="invalid_username")
    if len(name) > settings.MAX_USERNAME_LENGTH:
        raise ValidationError(
            f"A display name can be at most {settings.MAX_USERNAME_LENGTH} characters.",
            code="invalid_username",
        )
    if CONTROL_CHARS_RE.search(name):
        raise ValidationError("A display name cannot contain control characters.", code="invalid_username")
    return name


def clean_room_name(value: object) -> str:
    """Return a valid name for a new public room, or raise ValidationError.

    Letters, digits, '-' and '_', starting with a letter or digit, at most 32
    characters: safe in a URL and easy to say aloud.
    """
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        raise ValidationError("Give the room a name.", code="invalid_room_name")
    if len(name) > ROOM_NAME_MAX_LENGTH:
        raise ValidationError(
            f"A room name can be at most {ROOM_NAME_MAX_LENGTH} characters.", code="invalid_room_name"
        )
    if not ROOM_NAME_RE.match(name):
        raise ValidationError(
            "A room name may use letters, digits, '-' and '_', and must start with a letter or digit.",
            code="invalid_room_name",
        )
    return name


def new_room_code() -> str:
    """A random private-room code; uniqueness is checked by the caller."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Room(models.Model):
    class Kind(models.TextChoices):
        TOPIC = "topic", "Topic"
        NAMED = "named", "Named"
        PRIVATE = "private", "Private"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=ROOM_NAME_MAX_LENGTH, help_text="Topic or room name, or private code.")
    key = models.CharField(max_length=ROOM_NAME_MAX_LENGTH, unique=True, editable=False)
    title = models.CharField(max_length=64)
    owner_key = models.CharField(max_length=64, blank=True, editable=False)
    locked = models.BooleanField(default=False, help_text="Read-only for everyone but staff.")
    slow_mode_seconds = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)
    presence_version = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_active_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "closed_at"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.key = self.name.lower()
        super().save(*args, **kwargs)

    @property
    def group(self) -> str:
        """The channel-layer group of this room: built from the key, never from user text."""
        return f"room.{self.pk}"

    @property
    def is_public(self) -> bool:
        return self.kind != self.Kind.PRIVATE


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    # Gap-free position within the room, assigned under the room's row lock;
    # the hub uses it to notice and refill anything the channel layer dropped.
    seq = models.PositiveBigIntegerField()
    author_key = models.CharField(max_length=64)
    author_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    username = models.CharField(max_length=64)
    text = models.TextField()
    client_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.CharField(max_length=16, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="message_room_seq_unique"),
            models.UniqueConstraint(
                fields=["author_key", "client_id"],
                condition=~models.Q(client_id=""),
                name="message_client_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["room", "id"], name="message_room_id_idx")]

    def __str__(self) -> str:
        return f"{self.username}: {self.text[:40]}"


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


class Ban(models.Model):
    """Keeps a guest (session) or a user out of one room, or of the whole site."""

    guest_key = models.CharField(max_length=64, blank=True, db_index=True, help_text="The guest id of a session.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="chat_bans"
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.CASCADE, related_name="bans", help_text="Empty: site-wide."
    )
    until = models.DateTimeField(null=True, blank=True, help_text="Empty: forever.")
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(guest_key="") | models.Q(user__isnull=False), name="ban_has_a_target"
            )
        ]

    def __str__(self) -> str:
        who = f"user {self.user_id}" if self.user_id else f"guest {self.guest_key[:8]}"
        return f"{who} from {self.room or 'the site'}"

    def clean(self):
        if not self.guest_key and self.user_id is None:
            raise ValidationError("Ban a guest (their guest id) or a user.")
        # A ban that has already run out would still throw its target out of the room.
        if self._state.adding and self.until is not None and self.until <= timezone.now():
            raise ValidationError({"until": "That time has passed: pick a later one, or leave it empty for ever."})


class AuditEntry(models.Model):
    """One moderator action: who did what to what, and when. Never edited."""

    actor = models.CharField(max_length=100)
    action = models.CharField(max_length=32)
    room = models.CharField(max_length=64, blank=True)
    target = models.CharField(max_length=200, blank=True)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"
