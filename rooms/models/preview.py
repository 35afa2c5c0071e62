"""A link preview: the card chatsite fetched for the first link of a message, and the picture it kept of it."""

from django.db import models
from django.utils import timezone

from rooms.models.message import Message
from rooms.models.room import Room


class LinkPreview(models.Model):
    # One per message: the card of its first link, or (removed) the author's "no card for this link".
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="link_preview")
    # The room, so clearing a history or purging a room finds the pictures to take from storage.
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="link_previews")
    # The only handle the picture's URL carries: random, so a guessed URL names nothing (a 404).
    token = models.CharField(max_length=32, unique=True)
    url = models.CharField(max_length=2000)  # the link as the message has it
    final_url = models.CharField(max_length=2000)  # where the card came from, after redirects
    site = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=300, blank=True)
    image_path = models.CharField(max_length=255, blank=True)  # in STORAGES["default"]; WebP drawn by Pillow
    image_width = models.PositiveIntegerField(null=True, blank=True)
    image_height = models.PositiveIntegerField(null=True, blank=True)
    # The author took the card away: no card for this link again (an edit to another link fetches anew).
    removed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.url} ({'removed' if self.removed else self.title})"
