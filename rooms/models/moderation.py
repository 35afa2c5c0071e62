"""Bans and the audit log of moderator actions."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from rooms.models.room import Room


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
