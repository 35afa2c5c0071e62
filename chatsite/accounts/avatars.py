"""Avatars: an uploaded picture, decoded and drawn again by Pillow, never served as it came.

What arrives could be anything with an image's name: a script in a PNG's
clothes, an SVG, a decompression bomb, a photo with the sender's GPS position
in its EXIF. So chatsite trusts none of it: chatsite/pictures.py opens it
(four raster formats, at most `AVATAR_MAX_PIXELS`, the first frame, upright),
and it is drawn afresh as two squares (`AVATAR_SIZES`) in WebP. The new files carry no
metadata, because nothing of the upload but its pixels is copied into them.
They are stored through Django's storage API (STORAGES["default"]), under a
random name per upload, so a changed avatar is a new URL and the old one can
be cached for ever.
"""

import io
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps

from chatsite.pictures import open_picture

AVATAR_SIZES = (64, 256)
SMALL, LARGE = AVATAR_SIZES


@dataclass(frozen=True)
class Avatar:
    """One upload, drawn again: the WebP bytes of each size."""

    sizes: dict[int, bytes]


def _size_text(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"


def check_upload_size(size: int) -> None:
    """Refuse an upload larger than AVATAR_MAX_BYTES before anything reads it."""
    if size > settings.AVATAR_MAX_BYTES:
        raise ValidationError(
            f"That file is {_size_text(size)}; a picture may be up to {_size_text(settings.AVATAR_MAX_BYTES)}.",
            code="too_big",
        )


def make_avatar(upload) -> Avatar:
    """Decode `upload` (a file object) and draw it again as square WebP pictures; ValidationError if it is not one."""
    check_upload_size(upload.size)
    square = {}
    with open_picture(upload, max_pixels=settings.AVATAR_MAX_PIXELS) as picture:
        for size in AVATAR_SIZES:
            drawn = ImageOps.fit(picture.convert("RGBA"), (size, size), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            drawn.save(out, format="WEBP", quality=85, method=4)
            square[size] = out.getvalue()
    return Avatar(sizes=square)


def store(avatar: Avatar, *, user_id: int) -> str:
    """Save both sizes; returns the stem that names them (User.avatar)."""
    stem = f"avatars/{user_id}/{secrets.token_urlsafe(12)}"
    for size, data in avatar.sizes.items():
        default_storage.save(file_name(stem, size), ContentFile(data))
    return stem


def discard(stem: str) -> None:
    """Remove both sizes of an avatar from storage (a replaced, removed or deleted one)."""
    if stem:
        for size in AVATAR_SIZES:
            default_storage.delete(file_name(stem, size))


def file_name(stem: str, size: int) -> str:
    return f"{stem}-{size}.webp"


def avatar_url(stem: str, size: int = SMALL) -> str | None:
    """Where a browser fetches one size of an avatar, or None for a person without one.

    Always chatsite's own /media/avatars/… (chatsite.accounts.views.avatar_file reads it from
    storage), never the storage's url(): with a bucket that would be a URL signed on every call,
    in every message payload, and dead after MEDIA_SIGNED_URL_SECONDS in a page left open.
    """
    return f"{settings.MEDIA_URL}{file_name(stem, size)}" if stem else None
