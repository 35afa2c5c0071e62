"""Pictures drawn again in worker processes of their own, a bounded number at a time per daphne process.

Why processes, not threads: Pillow's JPEG encoder holds the GIL while it
writes, about a second for a 24-megapixel photo, and in daphne's process that
stops the event loop that carries every socket (py-spy, docs/performance.md).
A worker holds only its own process's GIL, and runs at a lower CPU priority
(`nice`), so on a busy machine the chat's process is scheduled first and the
pictures take what is left. What goes to a worker is the upload's temporary
file name (or, for a small upload Django kept in memory, its bytes); what
comes back is rooms/media.py's Kept, or the refusal as data.

Bounded: `UPLOAD_CONCURRENCY` uploads are read and drawn at once (each picture
costs ~100 MB decoded), `UPLOAD_QUEUE_MAX` more may wait their turn; past that
the upload is refused at once with `uploads_busy` (HTTP 429, `Retry-After`)
rather than queueing without end. Anything that is not a picture (a video, a
voice note, a PDF) is only sniffed and read: a thread does that.
"""

import asyncio
import contextlib
import logging
import multiprocessing
import os
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from asgiref.sync import sync_to_async
from django.conf import settings

from rooms import media
from rooms.errors import ChatError, Code

logger = logging.getLogger(__name__)

WORKER_NICENESS = 10
BUSY_RETRY_AFTER_SECONDS = 5
# The settings rooms/media.py reads, handed to the worker with each job: a worker's own settings module
# is the environment's, and the caller's (a test's override, say) is the one that counts.
_LIMITS = ("UPLOAD_MAX_BYTES", "UPLOAD_MAX_PIXELS")

_pool: ProcessPoolExecutor | None = None
# One event loop per daphne process; tests run several, one after another, so each has its semaphore.
_slots: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = weakref.WeakKeyDictionary()
_admitted = 0  # uploads in this process holding or waiting for a slot


def _worker_start() -> None:
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    import django

    django.setup()


def _pool_of_workers() -> ProcessPoolExecutor:
    """The process's pool, started on the first picture (spawned: daphne's process has threads to not fork)."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(
            max_workers=settings.UPLOAD_CONCURRENCY,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_start,
        )
    return _pool


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool
    if _pool is pool:
        _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def _draw(source: str | bytes, name: str, limits: dict) -> tuple[media.Kept | None, dict | None]:
    """In a worker: media.keep on the file at `source` (a path) or on `source` (bytes); (Kept, None) or (None, refusal)."""
    from django.core.exceptions import ValidationError
    from django.core.files.base import ContentFile, File

    for key, value in limits.items():
        setattr(settings, key, value)
    upload = File(open(source, "rb"), name=name) if isinstance(source, str) else ContentFile(source, name=name)  # noqa: SIM115
    try:
        return media.keep(upload), None
    except ValidationError as error:
        return None, ChatError.from_validation(error, Code.UPLOAD_TYPE).as_data()
    finally:
        upload.close()


def _is_picture(upload) -> bool:
    upload.seek(0)
    content_type = media.sniff(upload.read(media.SNIFF_BYTES))
    upload.seek(0)
    return content_type is not None and media.ALLOWED[content_type][0] == "image"


@contextlib.asynccontextmanager
async def slot() -> AsyncIterator[None]:
    """One of this process's UPLOAD_CONCURRENCY places, waited for in a queue of UPLOAD_QUEUE_MAX; else `uploads_busy`."""
    global _admitted
    loop = asyncio.get_running_loop()
    if loop not in _slots:
        _slots[loop] = asyncio.Semaphore(settings.UPLOAD_CONCURRENCY)
    if _admitted >= settings.UPLOAD_CONCURRENCY + settings.UPLOAD_QUEUE_MAX:
        raise ChatError(Code.UPLOADS_BUSY, retry_after=BUSY_RETRY_AFTER_SECONDS)
    _admitted += 1
    try:
        async with _slots[loop]:
            yield
    finally:
        _admitted -= 1


async def keep(upload, *, voice: bool = False) -> media.Kept:
    """What chatsite stores of `upload` (rooms/media.py), a picture drawn in a worker process; ChatError if refused."""
    # Here, not at the top: a worker imports this module before Django is set up, and services need models.
    from rooms.services import attachment_keep

    if voice or not await sync_to_async(_is_picture, thread_sensitive=False)(upload):
        return await sync_to_async(attachment_keep, thread_sensitive=False)(upload=upload, voice=voice)
    if hasattr(upload, "temporary_file_path"):
        source: str | bytes = upload.temporary_file_path()
    else:
        source = await sync_to_async(upload.read, thread_sensitive=False)()
    limits = {key: getattr(settings, key) for key in _LIMITS}
    loop = asyncio.get_running_loop()
    pool = _pool_of_workers()
    try:
        kept, refusal = await loop.run_in_executor(pool, _draw, source, upload.name or "", limits)
    except BrokenProcessPool:
        # A worker died (killed for memory, say): the next upload gets a new pool, this one is asked again.
        _discard(pool)
        logger.warning("a picture worker process died; starting new ones for the next upload")
        raise ChatError(Code.UPLOADS_BUSY, retry_after=BUSY_RETRY_AFTER_SECONDS) from None
    if refusal is not None:
        raise ChatError(refusal.pop("code"), refusal.pop("message"), **refusal)
    return kept
