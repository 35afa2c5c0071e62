"""rooms/drawing.py: pictures are drawn in worker processes at a lower priority, other files on a thread, and
past UPLOAD_CONCURRENCY + UPLOAD_QUEUE_MAX uploads at once a process answers `uploads_busy` (429, Retry-After)."""

import asyncio
import os

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient

from rooms import drawing, media
from rooms.errors import ChatError, Code
from rooms.models import Attachment
from rooms.tests.support import images
from rooms.tests.support.guests import guest_session

pytestmark = pytest.mark.django_db(transaction=True)


def picture(width=300, height=200, format="JPEG") -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.jpg", images.halves(width, height, format), content_type="image/jpeg")


def refuse_here(*args, **kwargs):
    raise AssertionError("drawn in the web process")


async def test_a_picture_is_drawn_in_a_worker_process_and_a_pdf_on_a_thread_here(monkeypatch):
    # This process's media.keep is broken on purpose: only a worker process (its own import) can draw the picture.
    monkeypatch.setattr(media, "keep", refuse_here)
    kept = await drawing.keep(picture())
    assert (kept.kind, kept.width, kept.height, kept.content_type) == ("image", 300, 200, "image/jpeg")
    assert kept.thumb[:4] == b"RIFF" and kept.data[:2] == b"\xff\xd8"
    with pytest.raises(AssertionError, match="drawn in the web process"):
        await drawing.keep(SimpleUploadedFile("r.pdf", images.PDF, content_type="application/pdf"))


async def test_a_workers_refusal_comes_back_as_its_code_under_the_callers_limits(settings):
    settings.UPLOAD_MAX_PIXELS = 10_000  # the caller's setting, not the worker's environment default
    with pytest.raises(ChatError) as caught:
        await drawing.keep(picture(300, 200))
    assert caught.value.code == Code.UPLOAD_TOO_LARGE and "300 × 200" in caught.value.message
    with pytest.raises(ChatError) as caught:
        await drawing.keep(SimpleUploadedFile("x.png", images.png_bomb(), content_type="image/png"))
    assert caught.value.code == Code.UPLOAD_TOO_LARGE


async def test_the_workers_run_at_a_lower_cpu_priority():
    await drawing.keep(picture())  # the pool is started
    worker = await sync_to_async(lambda: drawing._pool_of_workers().submit(os.nice, 0).result())()
    assert worker == min(os.nice(0) + drawing.WORKER_NICENESS, 19)


async def test_a_worker_that_dies_is_an_uploads_busy_and_the_next_upload_gets_new_workers(caplog):
    await drawing.keep(picture())
    pool = drawing._pool_of_workers()
    for process in list(pool._processes.values()):  # killed as the kernel's OOM killer would
        process.kill()
        await sync_to_async(process.join)()
    with pytest.raises(ChatError) as caught:
        await drawing.keep(picture())
    assert caught.value.code == Code.UPLOADS_BUSY
    assert "a picture worker process died" in caplog.text
    kept = await drawing.keep(picture())
    assert kept.width == 300 and drawing._pool_of_workers() is not pool


async def post(client: AsyncClient):
    upload = SimpleUploadedFile("r.pdf", images.PDF, content_type="application/pdf")
    return await client.post("/r/general/attachments/", {"file": upload})


async def test_past_the_queue_an_upload_is_429_uploads_busy_with_retry_after(settings):
    settings.UPLOAD_CONCURRENCY, settings.UPLOAD_QUEUE_MAX = 1, 1
    client = AsyncClient()
    client.cookies["sessionid"] = await sync_to_async(guest_session)("ann")
    done = asyncio.Event()

    async def upload_in_progress(started: asyncio.Event):
        async with drawing.slot():
            started.set()
            await done.wait()

    first, second = asyncio.Event(), asyncio.Event()
    drawn = asyncio.create_task(upload_in_progress(first))
    await first.wait()
    waiting = asyncio.create_task(upload_in_progress(second))  # its turn comes after the first
    await asyncio.sleep(0)
    assert not second.is_set()
    response = await post(client)  # one being drawn, one waiting: the process is full
    done.set()
    await asyncio.gather(drawn, waiting)
    assert response.status_code == 429 and response["Retry-After"] == str(drawing.BUSY_RETRY_AFTER_SECONDS)
    assert response.json()["error"] == {
        "code": Code.UPLOADS_BUSY,
        "message": "The server is busy with other uploads; try this one again in a few seconds.",
        "retry_after": drawing.BUSY_RETRY_AFTER_SECONDS,
    }
    assert not await Attachment.objects.aexists()
    # Once they are done, the same upload is taken.
    assert (await post(client)).status_code == 201
