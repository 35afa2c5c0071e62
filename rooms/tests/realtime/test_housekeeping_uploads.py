"""rooms/realtime/housekeeping.py sweeps uploads never sent: once a minute at most, files and all."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from rooms import services
from rooms.identity import Actor
from rooms.models import Attachment, Room
from rooms.realtime.housekeeping import Housekeeping
from rooms.tests.support import images

pytestmark = pytest.mark.django_db(transaction=True)


def stale_upload() -> Attachment:
    attachment = services.attachment_upload(
        room=Room.objects.get(key="general"),
        actor=Actor(guest_key="guest-ann"),
        upload=SimpleUploadedFile("pic.png", images.halves(40, 20), content_type="image/png"),
    )
    Attachment.objects.filter(pk=attachment.pk).update(created_at=timezone.now() - timedelta(hours=2))
    return attachment


async def test_housekeeping_sweeps_unsent_uploads_at_most_once_a_minute(settings):
    settings.UPLOAD_UNSENT_TTL = 3600
    first = await database_sync_to_async(stale_upload)()
    housekeeping = Housekeeping(hub=None)
    # Just started: not yet (the sweep waits UPLOAD_SWEEP_EVERY after start and between sweeps).
    assert await housekeeping.sweep_uploads() == 0
    assert await database_sync_to_async(Attachment.objects.filter(pk=first.pk).exists)()
    housekeeping.uploads_swept_at -= Housekeeping.UPLOAD_SWEEP_EVERY
    assert await housekeeping.sweep_uploads() == 1
    assert not await database_sync_to_async(Attachment.objects.exists)()
    # The files went once the sweep's transaction committed.
    assert not default_storage.exists(first.path) and not default_storage.exists(first.thumb_path)
    second = await database_sync_to_async(stale_upload)()
    assert await housekeeping.sweep_uploads() == 0  # swept a moment ago
    assert await housekeeping.sweep_uploads(now=True) == 1
    assert not default_storage.exists(second.path)
