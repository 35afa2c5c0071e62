"""A member's report of a message: what a moderator reviews, the only way staff see a direct message."""

from django.db import models
from django.utils import timezone

from rooms.models.message import Message

REPORT_REASON_MAX_LENGTH = 500


class Report(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter_key = models.CharField(max_length=64, editable=False)
    reporter_name = models.CharField(max_length=64, editable=False)
    reason = models.CharField(max_length=REPORT_REASON_MAX_LENGTH, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    handled_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "reporter_key"], name="report_once_per_person")]
        indexes = [models.Index(fields=["handled_at", "-created_at"], name="report_queue_idx")]

    def __str__(self) -> str:
        return f"report of message {self.message_id} by {self.reporter_name}"
