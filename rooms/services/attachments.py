"""Attachments: an upload kept for a message, bound to it when it is sent, and gone from storage with it."""

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from rooms import media, throttle
from rooms.errors import ChatError, Code
from rooms.identity import Actor
from rooms.models import Attachment, Message, Room

logger = logging.getLogger(__name__)


def attachment_upload_check(*, actor: Actor) -> None:
    """Count one upload against `actor`'s UPLOAD_RATE_LIMIT (`uploads_too_fast`): before reading it."""
    throttle.upload_check(guest_key=actor.guest_key)


def attachment_keep(*, upload, voice: bool = False) -> media.Kept:
    """What chatsite would store of `upload` (rooms/media.py): no database, seconds of CPU for a large photo,
    so the upload view runs it on a thread of its own. ChatError if refused."""
    try:
        return media.keep(upload, voice=voice)
    except ValidationError as error:
        raise ChatError.from_validation(error, Code.UPLOAD_TYPE) from error


def attachment_store(*, room: Room, kept: media.Kept) -> tuple[str, str, str]:
    """Write what is kept of an upload to storage under a new random name: (token, path, thumb path).

    No database: the upload view runs it on a thread of its own (a bucket write of 25 MB takes
    a while), then attachment_upload makes the row.
    """
    token = secrets.token_urlsafe(18)
    folder = f"attachments/{room.pk}/{token}"
    path = default_storage.save(f"{folder}/file.{kept.extension}", ContentFile(kept.data))
    try:
        thumb_path = default_storage.save(f"{folder}/thumb.webp", ContentFile(kept.thumb)) if kept.thumb else ""
    except Exception:
        _discard([path])
        raise
    return token, path, thumb_path


def attachment_upload(
    *,
    room: Room,
    actor: Actor,
    upload,
    voice: bool = False,
    duration: float | None = None,
    kept: media.Kept | None = None,
    stored: tuple[str, str, str] | None = None,
) -> Attachment:
    """Keep one uploaded file for a message `actor` is about to send in `room`.

    The file's type comes from its bytes (rooms/media.py); a picture is stored
    as Pillow drew it again, with a thumbnail. Refusals: `upload_too_large`,
    `upload_type`, `uploads_too_fast` (UPLOAD_RATE_LIMIT a window). Nobody
    hears of it until its message is sent (attachments_bind). `voice`: a voice note
    recorded by the page, with the `duration` its recorder measured (seconds, shown only).
    `kept`: attachment_keep's answer for `upload`, when the caller counted the upload
    (attachment_upload_check) and kept it itself; otherwise both happen here.
    `stored`: attachment_store's answer for `kept`, when the caller wrote the files itself.
    """
    if kept is None:
        attachment_upload_check(actor=actor)
        kept = attachment_keep(upload=upload, voice=voice)
    token, path, thumb_path = stored or attachment_store(room=room, kept=kept)
    try:
        return Attachment.objects.create(
            token=token,
            room=room,
            uploader_key=actor.guest_key,
            kind=kept.kind,
            content_type=kept.content_type,
            name=media.clean_name(getattr(upload, "name", ""), kept.extension),
            size=len(kept.data),
            path=path,
            thumb_path=thumb_path,
            width=kept.width,
            height=kept.height,
            thumb_width=kept.thumb_width,
            thumb_height=kept.thumb_height,
            duration=min(max(duration, 0.0), media.VOICE_MAX_SECONDS) if voice and duration is not None else None,
        )
    except Exception:
        _discard([path, thumb_path])
        raise


def attachments_bind(*, message: Message, actor: Actor, ids: list[int]) -> list[Attachment]:
    """Make the unsent uploads `ids` (this person's, for this room) part of `message`; inside its transaction.

    Any id that is someone else's, another room's, already sent or unknown is
    `attachment_not_found`; they come back in upload order (as history reads them); more than ATTACHMENTS_PER_MESSAGE_MAX files, or
    more than UPLOAD_MAX_BYTES together, `upload_too_large`.
    """
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > settings.ATTACHMENTS_PER_MESSAGE_MAX:
        raise ChatError(
            Code.UPLOAD_TOO_LARGE, f"A message may carry up to {settings.ATTACHMENTS_PER_MESSAGE_MAX} files."
        )
    found = list(
        Attachment.objects.select_for_update()
        .filter(pk__in=wanted, room_id=message.room_id, uploader_key=actor.guest_key, message__isnull=True)
        .order_by("id")
    )
    if len(found) != len(wanted):
        raise ChatError(Code.ATTACHMENT_NOT_FOUND)
    if sum(a.size for a in found) > settings.UPLOAD_MAX_BYTES:
        raise ChatError(
            Code.UPLOAD_TOO_LARGE,
            f"A message's files may come to {settings.UPLOAD_MAX_BYTES / 1_000_000:.1f} MB together.",
        )
    Attachment.objects.filter(pk__in=[a.pk for a in found]).update(message=message)
    message.attachment_count = len(found)
    Message.objects.filter(pk=message.pk).update(attachment_count=len(found))
    for attachment in found:
        attachment.message = message
    return found


def _discard(paths: list[str]) -> None:
    for path in paths:
        if path:
            default_storage.delete(path)


_deleter: ThreadPoolExecutor | None = None


def _discard_after_commit(paths: list[str]) -> None:
    """Files of rows just deleted: at once from disk; from a bucket on a thread of its own.

    A commit's callbacks run on the thread that committed, in the socket layer the one
    every database call shares; a bucket's delete is a network request per file.
    """
    global _deleter
    if not settings.MEDIA_S3:
        _discard(paths)
        return
    if _deleter is None:
        _deleter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="attachment-delete")
    _deleter.submit(_discard_logged, paths)


def _discard_logged(paths: list[str]) -> None:
    try:
        _discard(paths)
    except Exception:
        # Nobody can read them any more (their rows are gone); the files are only left over.
        logger.warning("could not delete %d attachment file(s) from storage: %s", len(paths), paths, exc_info=True)


def attachments_remove(*, queryset) -> int:
    """Delete these attachments' rows now and their files from storage once the transaction commits; how many."""
    rows = list(queryset.values_list("id", "path", "thumb_path"))
    if not rows:
        return 0
    Attachment.objects.filter(pk__in=[row[0] for row in rows]).delete()
    paths = [path for _, *pair in rows for path in pair]
    transaction.on_commit(lambda: _discard_after_commit(paths))
    return len(rows)


def attachments_sweep_unsent(*, batch: int = 200) -> int:
    """Delete uploads never sent (a closed page, a cancelled message) older than UPLOAD_UNSENT_TTL, and their files.

    Called by every process's housekeeping (rooms/realtime/housekeeping.py), at most once a
    minute. Each row is taken under a row lock, skipping those a send is binding right now
    (attachments_bind locks them too), and deleted only if it is still unsent; its files go on
    commit. A page that sends one later is answered `attachment_not_found`. How many were swept.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.UPLOAD_UNSENT_TTL)
    swept = 0
    while True:
        with transaction.atomic():
            stale = list(
                Attachment.objects.select_for_update(skip_locked=True)
                .filter(message__isnull=True, created_at__lt=cutoff)
                .order_by("id")
                .values_list("id", flat=True)[:batch]
            )
            if not stale:
                return swept
            swept += attachments_remove(queryset=Attachment.objects.filter(pk__in=stale, message__isnull=True))
        if len(stale) < batch:
            return swept
