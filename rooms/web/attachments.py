"""Attachments over HTTP: uploading one for a message (the socket then sends only its id), and reading one.

A few lines each: rooms/services/attachments.py decides what is kept,
rooms/selectors/attachments.py who may read it.
"""

import math
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_http_methods, require_POST

from rooms import drawing, services
from rooms.dbthread import database_sync_to_async
from rooms.errors import ChatError, Code
from rooms.identity import actor_for_request
from rooms.models import Room
from rooms.payloads import attachment_data
from rooms.selectors import attachment_for_reader, preview_for_reader, room_by_name, room_readable
from rooms.web import ranges

STATUS = {
    Code.UPLOAD_TOO_LARGE: 413,
    Code.UPLOAD_TYPE: 415,
    Code.UPLOADS_TOO_FAST: 429,
    Code.UPLOADS_BUSY: 429,
    Code.ROOM_NOT_FOUND: 404,
    Code.BAD_FRAME: 400,
}
INLINE = {"image", "video", "audio"}
# What a file served here may do if someone opens it as a page: nothing (no script, no plugin, no form,
# a unique origin). Media elements on chatsite's own pages are not governed by this response's CSP.
MEDIA_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


def _refuse(error: ChatError) -> JsonResponse:
    response = JsonResponse({"error": error.as_data()}, status=STATUS.get(error.code, 400))
    if "retry_after" in error.extra:
        response["Retry-After"] = str(max(1, math.ceil(error.extra["retry_after"])))
    return response


@require_POST
async def upload(request, name):
    """POST multipart `file` for a message in room `name`: 201 with the attachment's id, or {error: {code, message}}.

    `voice=1` with `duration` (seconds): a voice note the page recorded.

    The body is parsed on a thread of its own and a picture drawn again in a worker process
    (rooms/drawing.py), never on the thread Django's sync code and the sockets' database calls
    share nor in the process whose event loop carries the sockets: at most UPLOAD_CONCURRENCY at
    a time per process, UPLOAD_QUEUE_MAX more waiting, else 429 `uploads_busy` with Retry-After.
    The files go to storage on a thread of their own too; only the row takes the shared thread.
    """
    try:
        room, actor = await database_sync_to_async(_room_and_reader)(request, name)
        async with drawing.slot():
            file, voice, duration = await sync_to_async(_read_body, thread_sensitive=False)(request)
            kept = await drawing.keep(file, voice=voice)
        stored = await sync_to_async(services.attachment_store, thread_sensitive=False)(room=room, kept=kept)
        attachment = await database_sync_to_async(services.attachment_upload)(
            room=room, actor=actor, upload=file, voice=voice, duration=duration, kept=kept, stored=stored
        )
    except ChatError as error:
        return _refuse(error)
    return JsonResponse({"attachment": attachment_data(attachment)}, status=201)


def _room_and_reader(request, name):
    """The room, if this reader may upload into it (may read it), and the upload counted; else ChatError."""
    actor = actor_for_request(request, keep=False)
    room: Room | None = room_by_name(name=name)
    if room is None or not room_readable(room=room, actor=actor):
        raise ChatError(Code.ROOM_NOT_FOUND)
    services.attachment_upload_check(actor=actor)
    return room, actor


def _read_body(request):
    file = request.FILES.get("file")
    if file is None:
        raise ChatError(Code.BAD_FRAME, "Send the file as the multipart field `file`.")
    return file, request.POST.get("voice") == "1", _seconds(request)


@require_http_methods(["GET", "HEAD"])
def download(request, token, name):
    """One attachment's file (`name` is its name) or thumbnail (thumb.webp), to those who may read its room; else 404.

    Who may read is decided here on every request, wherever the bytes then come from: nginx
    (X-Accel-Redirect), the bucket (a redirect to a URL signed for MEDIA_SIGNED_URL_SECONDS), or
    this view, which answers one `Range` (206) so that a video or a voice note can be sought.
    """
    attachment = attachment_for_reader(token=token, actor=actor_for_request(request, keep=False))
    if attachment is None:
        raise Http404("No such file.")
    if name == "thumb.webp" and attachment.thumb_path:
        path, content_type, inline = attachment.thumb_path, "image/webp", True
    elif name == attachment.name:
        path, content_type, inline = attachment.path, attachment.content_type, attachment.kind in INLINE
    else:
        raise Http404("No such file.")
    disposition = f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{_quoted(attachment.name)}"
    return _serve(request, path, content_type=content_type, disposition=disposition, etag=f'"{token}-{name}"')


@require_http_methods(["GET", "HEAD"])
def preview_image(request, token):
    """A link card's picture (WebP, drawn again by chatsite), to those who may read its message's room; else 404."""
    preview = preview_for_reader(token=token, actor=actor_for_request(request, keep=False))
    if preview is None or not preview.image_path:
        raise Http404("No such file.")
    disposition = 'inline; filename="image.webp"'
    return _serve(request, preview.image_path, content_type="image/webp", disposition=disposition, etag=f'"{token}"')


def _serve(request, path: str, *, content_type: str, disposition: str, etag: str):
    """The bytes of a file the caller has decided this reader may have, from wherever they are kept."""
    if settings.MEDIA_S3:
        # The bucket sends the bytes (ranges included) under the type and disposition chatsite decided.
        url = default_storage.url(
            path,
            parameters={"ResponseContentType": content_type, "ResponseContentDisposition": disposition},
            expire=settings.MEDIA_SIGNED_URL_SECONDS,
        )
        response = HttpResponseRedirect(url)
        # The redirect may be kept while the URL it names is still good, not longer.
        response["Cache-Control"] = f"private, max-age={settings.MEDIA_SIGNED_URL_SECONDS // 2}"
        response["Referrer-Policy"] = "no-referrer"
        return response
    if settings.MEDIA_X_ACCEL_PREFIX:
        # nginx sends the file from its internal location (ranges included); Django only decided who may have it.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.MEDIA_X_ACCEL_PREFIX.rstrip("/") + "/" + path
    else:
        try:
            handle = default_storage.open(path, "rb")
        except (FileNotFoundError, SuspiciousFileOperation):
            raise Http404("No such file.") from None
        response = ranges.file_response(request, handle, content_type=content_type, etag=etag)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Readers are checked on every request: a browser may keep it, no shared cache may.
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _seconds(request) -> float | None:
    """A voice note's `duration` field, as the recorder measured it; None when absent or not a number."""
    try:
        value = float(request.POST.get("duration", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _quoted(name: str) -> str:
    return quote(name, safe="")
