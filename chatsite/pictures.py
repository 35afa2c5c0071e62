"""Opening an uploaded picture safely: the one place chatsite lets Pillow read bytes from outside.

Avatars (chatsite/accounts/avatars.py) and message attachments (rooms/media.py)
both come through here. Pillow opens only the four raster formats named,
whatever the file's name or first bytes claim; the pixel count is checked on the
header before a pixel is decoded (decompression bombs); the picture is turned
upright by its EXIF orientation. Whatever is drawn from it afterwards copies
its pixels only, so no metadata (GPS position, camera, comments) survives.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
# chatsite's own limit, checked on the header below before any pixel is decoded, takes the place
# of Pillow's process-wide one (whose warning between 89 and 179 million pixels would only reach the log).
Image.MAX_IMAGE_PIXELS = None

NOT_A_PICTURE = "That file is not a picture chatsite can read (JPEG, PNG, GIF or WebP)."


def too_many_pixels(width: int, height: int, limit: int) -> ValidationError:
    return ValidationError(
        f"That picture is {width} × {height} pixels; pictures up to {limit // 1_000_000} million pixels are taken.",
        code="too_many_pixels",
    )


@contextmanager
def open_picture(upload, *, max_pixels: int) -> Iterator[Image.Image]:
    """The first frame of `upload` (a file object), upright and decoded; ValidationError if it is not a picture.

    `picture.format` is the format Pillow recognised; `picture.info["frames"]` how many frames the file has.
    """
    upload.seek(0)
    try:
        # formats=: Pillow tries only these decoders, whatever the file's name or first bytes claim.
        with Image.open(upload, formats=FORMATS) as picture:
            width, height = picture.size
            if width * height > max_pixels:
                raise too_many_pixels(width, height, max_pixels)
            source_format = picture.format
            picture.seek(0)  # an animation's first frame
            upright = ImageOps.exif_transpose(picture)
            upright.load()
            upright.format = source_format
            upright.info["frames"] = getattr(picture, "n_frames", 1)  # the upright copy is one frame
            yield upright
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        # Pillow says "cannot identify", "truncated", "broken data stream"…: to the person, one plain answer.
        raise ValidationError(NOT_A_PICTURE, code="not_image") from error
