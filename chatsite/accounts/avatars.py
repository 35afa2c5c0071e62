"""Avatars: an uploaded picture, decoded and drawn again by Pillow, never served as it came.

What arrives could be anything with an image's name: a script in a PNG's
clothes, an SVG, a decompression bomb, a photo with the sender's GPS position
in its EXIF. So chatsite trusts none of it: Pillow opens only the four raster
formats it names, reads the header first and refuses more than
`AVATAR_MAX_PIXELS` before decoding a pixel, takes the first frame of an
animation, turns the picture upright by its EXIF orientation, and draws it
afresh as two squares (`AVATAR_SIZES`) in WebP. The new files carry no
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
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
# chatsite's own limit, checked on the header below before any pixel is decoded, takes the place
# of Pillow's process-wide one (whose warning between 89 and 179 million pixels would only reach the log).
Image.MAX_IMAGE_PIXELS = None
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
    upload.seek(0)
    try:
        # formats=: Pillow tries only these decoders, whatever the file's name or first bytes claim.
        with Image.open(upload, formats=FORMATS) as picture:
            width, height = picture.size
            if width * height > settings.AVATAR_MAX_PIXELS:
                raise ValidationError(
                    f"That picture is {width} × {height} pixels; pictures up to "
                    f"{settings.AVATAR_MAX_PIXELS // 1_000_000} million pixels are taken.",
                    code="too_many_pixels",
                )
            picture.seek(0)  # an animation's first frame
            picture = ImageOps.exif_transpose(picture)
            picture.load()
            square = {}
            for size in AVATAR_SIZES:
                drawn = ImageOps.fit(picture.convert("RGBA"), (size, size), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                drawn.save(out, format="WEBP", quality=85, method=4)
                square[size] = out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        # Pillow says "cannot identify", "truncated", "broken data stream"…: to the person, one plain answer.
        raise ValidationError(
            "That file is not a picture chatsite can read (JPEG, PNG, GIF or WebP).", code="not_image"
        ) from error
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
    """Where a browser fetches one size of an avatar, or None for a person without one."""
    return default_storage.url(file_name(stem, size)) if stem else None
