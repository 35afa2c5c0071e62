"""An attachment: one uploaded file, kept by chatsite, that becomes part of a message when it is sent."""

from django.db import models
from django.utils import timezone

from rooms.models.message import Message
from rooms.models.room import Room


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image"
        VIDEO = "video"
        AUDIO = "audio"
        FILE = "file"

    # The only handle a URL carries: random, so a guessed URL names nothing (a 404).
    token = models.CharField(max_length=32, unique=True)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="attachments")
    # Null until its message is sent; an upload never sent is nobody's to read but its uploader's.
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    uploader_key = models.CharField(max_length=64)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Decided by sniffing the bytes (rooms/media.py), never from the browser's Content-Type or the name.
    content_type = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    path = models.CharField(max_length=255)  # in STORAGES["default"]
    thumb_path = models.CharField(max_length=255, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    thumb_width = models.PositiveIntegerField(null=True, blank=True)
    thumb_height = models.PositiveIntegerField(null=True, blank=True)
    # A voice note's length as its recorder measured it (MediaRecorder's WebM carries none): shown, never trusted.
    duration = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["uploader_key", "created_at"], name="attachment_uploader_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, {self.size} bytes)"
