"""Reports, written: a member reports a message of their room; a moderator handles the report."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from rooms.errors import ChatError, Code
from rooms.identity import Actor
from rooms.models import Message, Report, Room
from rooms.models.report import REPORT_REASON_MAX_LENGTH
from rooms.rules import C0_C1_RE
from rooms.services.moderation import audit


def message_report(*, actor: Actor, room: Room, username: str, message_id: int, reason: str = "") -> Report:
    """`actor` reports a message shown in their room (`room`), with an optional reason.

    Only a message of the asker's own room, not removed: anything else is
    `message_not_found`, the same as a message that does not exist, so a
    report cannot probe other rooms or conversations. Reporting the same
    message again keeps the first report. It joins the admin's queue of reports.
    """
    reason = " ".join(C0_C1_RE.sub(" ", reason or "").split())[:REPORT_REASON_MAX_LENGTH]
    message = Message.objects.filter(pk=message_id, room_id=room.pk, deleted_at__isnull=True).first()
    if message is None:
        raise ChatError(Code.MESSAGE_NOT_FOUND)
    try:
        with transaction.atomic():
            return Report.objects.create(
                message=message, reporter_key=actor.guest_key, reporter_name=username, reason=reason
            )
    except IntegrityError:
        return Report.objects.get(message=message, reporter_key=actor.guest_key)


def report_handle(*, report: Report, actor: Actor) -> None:
    """A moderator has dealt with a report (with the existing tools: remove, ban): it leaves the queue. Audited."""
    if report.handled_at is not None:
        return
    with transaction.atomic():
        report.handled_at = timezone.now()
        report.save(update_fields=["handled_at"])
        audit(actor=actor, action="report_handled", room=report.message.room, target=f"message {report.message_id}")
