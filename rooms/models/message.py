"""A message: gap-free position in its room, its author (session and account), edits, removal, what it replies to."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from rooms.models.room import Room


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
    # A reply: its quote is built from the original when read, so an edit or a
    # removal of the original shows in every reply. Kept when the original goes.
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    # The room's reaction sequence (Room.last_reaction_seq) at this message's last
    # reaction change: a resuming page asks for what changed after the one it knows.
    reactions_seq = models.PositiveBigIntegerField(default=0, editable=False)
    # How many files it carries: readers fetch attachments only for messages that have some
    # (a page of plain text costs no extra query).
    attachment_count = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="message_room_seq_unique"),
            models.UniqueConstraint(
                fields=["author_key", "client_id"],
                condition=~models.Q(client_id=""),
                name="message_client_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["room", "id"], name="message_room_id_idx"),
            models.Index(fields=["room", "reactions_seq"], name="message_room_reactions_idx"),
            # The private rooms a person wrote in are rooms they may search (rooms/selectors/rooms.py).
            models.Index(fields=["author_key", "room"], name="message_author_room_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.username}: {self.text[:40]}"
