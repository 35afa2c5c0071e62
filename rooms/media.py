"""What an uploaded file is, decided from its bytes, and what chatsite keeps of it.

The browser's Content-Type and the file's name say nothing chatsite believes:
puremagic reads the first bytes, and only the types in ALLOWED pass. Pictures
are then opened by chatsite/pictures.py and drawn again by Pillow (no
metadata, at most UPLOAD_MAX_PIXELS, a WebP thumbnail whose size is known
before any browser loads it); what is stored is that drawing, never the bytes
that came. HTML and SVG are in no list: nothing chatsite serves can run script
in its origin (the serving view adds nosniff and a sandboxing CSP besides).
"""

import io
import re
import unicodedata
from dataclasses import dataclass

import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageSequence

from chatsite.pictures import open_picture
from rooms.errors import Code

SNIFF_BYTES = 8192  # enough for every signature puremagic checks at the start of a file
THUMB_BOX = (480, 360)

# Sniffed type → (kind, extension it is stored and downloaded under).
ALLOWED = {
    "image/jpeg": ("image", "jpg"),
    "image/png": ("image", "png"),
    "image/gif": ("image", "gif"),
    "image/webp": ("image", "webp"),
    "video/mp4": ("video", "mp4"),
    "video/webm": ("video", "webm"),
    "audio/ogg": ("audio", "ogg"),
    "audio/mpeg": ("audio", "mp3"),
    "application/pdf": ("file", "pdf"),
}
# A recorded voice note arrives in a container that may hold video too (MediaRecorder: Opus in WebM,
# or AAC in MP4): played as sound when the page says it recorded one; served as the sound type.
VOICE_TYPES = {
    "video/webm": ("audio/webm", "webm"),
    "video/mp4": ("audio/mp4", "m4a"),
    "audio/ogg": ("audio/ogg", "ogg"),
}
VOICE_MAX_SECONDS = 60 * 60
PILLOW_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


@dataclass
class Kept:
    """What chatsite stores of one upload."""

    kind: str
    content_type: str
    extension: str
    data: bytes
    width: int | None = None
    height: int | None = None
    thumb: bytes | None = None
    thumb_width: int | None = None
    thumb_height: int | None = None


def _mb(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"


def check_size(size: int) -> None:
    if size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            f"That file is {_mb(size)}; files may be up to {_mb(settings.UPLOAD_MAX_BYTES)}.",
            code=Code.UPLOAD_TOO_LARGE,
            params={"max_bytes": settings.UPLOAD_MAX_BYTES},
        )
    if size == 0:
        raise ValidationError("That file is empty.", code=Code.UPLOAD_TYPE)


def sniff(head: bytes) -> str | None:
    """The allowed type these first bytes are, or None: the best puremagic match that is on the list."""
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return None
    for match in matches:
        if match.mime_type in ALLOWED:
            return match.mime_type
    return None


def clean_name(name: str, extension: str) -> str:
    """A download name: the upload's stem, printable and short, with the extension its bytes earned."""
    stem = unicodedata.normalize("NFC", name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = re.sub(r"[\x00-\x1f\x7f\"\\/:*?<>|;]+", "", stem).strip(" .")[:100] or "file"
    return f"{stem}.{extension}"


def _redraw(picture: Image.Image, source_format: str) -> bytes:
    out = io.BytesIO()
    if source_format == "JPEG":
        picture.convert("RGB").save(out, format="JPEG", quality=88)
    elif source_format == "GIF":
        picture.save(out, format="GIF")
    elif source_format == "WEBP":
        picture.save(out, format="WEBP", quality=88)
    else:
        picture.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _animation(upload, source_format: str) -> bytes | None:
    """An animated GIF or WebP drawn again frame by frame (pixels only), or None for a still picture."""
    upload.seek(0)
    with Image.open(upload, formats=[source_format]) as original:
        if not getattr(original, "is_animated", False):
            return None
        frames = [frame.convert("RGBA") for frame in ImageSequence.Iterator(original)]
        durations = [frame.info.get("duration", 100) for frame in ImageSequence.Iterator(original)]
    out = io.BytesIO()
    frames[0].save(out, format=source_format, save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return out.getvalue()


def keep(upload, *, voice: bool = False) -> Kept:
    """Decide what `upload` (a file object with .size) is and what to store; ValidationError with a Code if refused.

    `voice`: the page recorded it as a voice note; a sound container is then kept as sound.
    """
    check_size(upload.size)
    upload.seek(0)
    content_type = sniff(upload.read(SNIFF_BYTES))
    if content_type is None:
        raise ValidationError(
            "That type of file is not accepted: pictures (JPEG, PNG, GIF, WebP), videos (MP4, WebM), "
            "sound (Ogg, MP3) and PDF are.",
            code=Code.UPLOAD_TYPE,
        )
    kind, extension = ALLOWED[content_type]
    if voice:
        if content_type not in VOICE_TYPES:
            raise ValidationError("A voice note must be sound (WebM, MP4 or Ogg).", code=Code.UPLOAD_TYPE)
        content_type, extension = VOICE_TYPES[content_type]
        upload.seek(0)
        return Kept(kind="audio", content_type=content_type, extension=extension, data=upload.read())
    if kind != "image":
        upload.seek(0)
        return Kept(kind=kind, content_type=content_type, extension=extension, data=upload.read())
    try:
        with open_picture(upload, max_pixels=settings.UPLOAD_MAX_PIXELS) as picture:
            source_format = picture.format
            frames = picture.info["frames"]
            data = _animation(upload, source_format) if frames > 1 else None
            if data is None:
                data = _redraw(picture, source_format)
            width, height = picture.size
            # In place, last: no second full-size copy of a 24-megapixel picture (bench/thumbnail.py).
            thumb = picture.convert("RGBA") if picture.mode in ("P", "LA", "PA") else picture
            thumb.thumbnail(THUMB_BOX, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            thumb.save(out, format="WEBP", quality=80, method=4)
    except ValidationError as error:
        code = Code.UPLOAD_TOO_LARGE if error.code == "too_many_pixels" else Code.UPLOAD_TYPE
        raise ValidationError(error.messages[0], code=code) from error
    content_type = PILLOW_TYPES[source_format]
    return Kept(
        kind="image",
        content_type=content_type,
        extension=ALLOWED[content_type][1],
        data=data,
        width=width,
        height=height,
        thumb=out.getvalue(),
        thumb_width=thumb.width,
        thumb_height=thumb.height,
    )
