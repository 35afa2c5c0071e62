"""Attachments in the services: what an upload becomes, every refusal, binding to a message, and cleanup."""

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from chatsite.accounts.models import User
from rooms import services
from rooms.errors import ChatError, Code
from rooms.identity import Actor, person_key
from rooms.models import Attachment, Room
from rooms.payloads import attachment_data, message_data
from rooms.selectors import room_history
from rooms.tests.support import images

pytestmark = pytest.mark.django_db

ANN, BOB = Actor(guest_key="guest-ann"), Actor(guest_key="guest-bob")


@pytest.fixture
def room():
    return Room.objects.get(key="general")


def upload(room, content, name="pic.png", actor=ANN, content_type="image/png"):
    return services.attachment_upload(
        room=room, actor=actor, upload=SimpleUploadedFile(name, content, content_type=content_type)
    )


def refusal(room, content, name="x.png", **extra) -> ChatError:
    with pytest.raises(ChatError) as caught:
        upload(room, content, name, **extra)
    return caught.value


def stored_picture(path) -> Image.Image:
    with default_storage.open(path, "rb") as handle:
        picture = Image.open(io.BytesIO(handle.read()))
        picture.load()
    return picture


def test_a_photo_is_drawn_again_upright_without_exif_with_a_thumbnail_of_known_size(room):
    attachment = upload(room, images.photo_with_gps_and_rotation(), "holiday.jpeg", content_type="text/html")
    assert (attachment.kind, attachment.content_type, attachment.name) == ("image", "image/jpeg", "holiday.jpg")
    assert (attachment.width, attachment.height) == (30, 60)  # turned upright by its EXIF orientation
    kept = stored_picture(attachment.path)
    assert kept.format == "JPEG" and kept.size == (30, 60)
    assert not kept.getexif() and "exif" not in kept.info
    thumb = stored_picture(attachment.thumb_path)
    assert thumb.format == "WEBP" and thumb.size == (attachment.thumb_width, attachment.thumb_height)


def test_a_large_picture_gets_a_thumbnail_that_keeps_its_aspect_ratio(room):
    attachment = upload(room, images.halves(1600, 800))
    assert (attachment.width, attachment.height) == (1600, 800)
    assert (attachment.thumb_width, attachment.thumb_height) == (480, 240)


def test_an_animated_gif_keeps_its_frames(room):
    attachment = upload(room, images.animated_gif(), "wave.gif")
    assert stored_picture(attachment.path).n_frames == 2


def test_a_pdf_is_a_file_named_by_its_bytes(room):
    attachment = upload(room, images.PDF, "report.exe", content_type="image/png")
    assert (attachment.kind, attachment.content_type, attachment.name) == ("file", "application/pdf", "report.pdf")
    assert not attachment.thumb_path
    with default_storage.open(attachment.path, "rb") as handle:
        assert handle.read() == images.PDF


@pytest.mark.parametrize(
    "content",
    [images.HTML_AS_PNG, images.SVG, b"MZ\x90\x00\x03" + b"\x00" * 100, b"just some words"],
    ids=["html", "svg", "executable", "text"],
)
def test_what_is_not_on_the_list_is_refused_whatever_its_name(room, content):
    assert refusal(room, content, "innocent.png").code == Code.UPLOAD_TYPE
    assert not Attachment.objects.exists()


def test_a_png_header_with_broken_pixels_is_refused(room):
    assert refusal(room, images.halves(20, 20)[:60]).code == Code.UPLOAD_TYPE


def test_a_decompression_bomb_is_refused_before_decoding(room):
    error = refusal(room, images.png_bomb())
    assert error.code == Code.UPLOAD_TOO_LARGE and "40000 × 40000" in error.message


def test_a_file_over_the_limit_is_refused(room, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    error = refusal(room, images.PDF + b"\x00" * 1000, "big.pdf")
    assert error.code == Code.UPLOAD_TOO_LARGE and error.extra["max_bytes"] == 1000


def test_uploads_past_the_rate_limit_are_refused_per_person(room, settings):
    settings.UPLOAD_RATE_LIMIT = 2
    upload(room, images.PDF, "a.pdf")
    upload(room, images.PDF, "b.pdf")
    error = refusal(room, images.PDF, "c.pdf")
    assert error.code == Code.UPLOADS_TOO_FAST and error.extra["retry_after"] > 0
    upload(room, images.PDF, "b.pdf", actor=BOB)  # someone else is counted apart


def test_a_message_carries_its_attachments_live_and_in_history_with_an_empty_caption(room, settings):
    first, second = upload(room, images.halves(40, 20)), upload(room, images.PDF, "notes.pdf")
    message, _ = services.message_post(
        room=room, actor=ANN, username="ann", text="  ", attachments=(second.pk, first.pk)
    )
    assert message.text == ""
    live = message_data(message, room.name)["attachments"]
    history, _ = room_history(room=room)
    shown = history[-1]["attachments"]
    assert shown == live and [a["id"] for a in shown] == [first.pk, second.pk]  # in upload order
    assert shown[0]["width"] == 40 and shown[0]["thumb"]["width"] == 40
    assert shown[1]["url"] == f"/media/a/{second.token}/notes.pdf" and "thumb" not in shown[1]


def test_without_attachments_a_blank_message_is_still_refused(room):
    with pytest.raises(ChatError) as caught:
        services.message_post(room=room, actor=ANN, username="ann", text=" ")
    assert caught.value.code == Code.INVALID_MESSAGE


def test_someone_elses_another_rooms_or_an_already_sent_upload_cannot_be_sent(room):
    bobs = upload(room, images.PDF, actor=BOB)
    elsewhere = upload(Room.objects.get(key="tech"), images.PDF)
    mine = upload(room, images.PDF)
    services.message_post(room=room, actor=ANN, username="ann", text="one", attachments=(mine.pk,))
    for ids in [(bobs.pk,), (elsewhere.pk,), (mine.pk,), (999_999,)]:
        with pytest.raises(ChatError) as caught:
            services.message_post(room=room, actor=ANN, username="ann", text="again", attachments=ids)
        assert caught.value.code == Code.ATTACHMENT_NOT_FOUND
    assert Attachment.objects.get(pk=bobs.pk).message is None


def test_a_message_may_not_carry_more_than_the_limit_together(room, settings):
    ids = tuple(upload(room, images.PDF + b"\x00" * 400, f"{n}.pdf").pk for n in range(3))
    settings.UPLOAD_MAX_BYTES = 1000
    with pytest.raises(ChatError) as caught:
        services.message_post(room=room, actor=ANN, username="ann", text="x", attachments=ids)
    assert caught.value.code == Code.UPLOAD_TOO_LARGE
    settings.ATTACHMENTS_PER_MESSAGE_MAX = 2
    with pytest.raises(ChatError) as caught:
        services.message_post(room=room, actor=ANN, username="ann", text="x", attachments=ids)
    assert caught.value.code == Code.UPLOAD_TOO_LARGE and "2 files" in caught.value.message


def test_a_batch_with_attachments_posts_each_with_its_files(room):
    attachment = upload(room, images.PDF)
    results = services.message_post_batch(
        posts=[
            services.Post(room=room, actor=BOB, username="bob", text="plain"),
            services.Post(room=room, actor=ANN, username="ann", text="", attachments=(attachment.pk,)),
        ]
    )
    assert [r[0].text for r in results] == ["plain", ""]
    assert Attachment.objects.get(pk=attachment.pk).message == results[1][0]


def files(*attachments) -> list[bool]:
    return [default_storage.exists(p) for a in attachments for p in (a.path, a.thumb_path) if p]


def sent(room, actor=ANN):
    attachment = upload(room, images.halves(40, 20), actor=actor)
    message, _ = services.message_post(room=room, actor=actor, username="ann", text="x", attachments=(attachment.pk,))
    return message, attachment


def test_a_deleted_message_takes_its_files_from_storage(room, django_capture_on_commit_callbacks):
    message, attachment = sent(room)
    assert files(attachment) == [True, True]
    with django_capture_on_commit_callbacks(execute=True):
        services.message_delete(message_id=message.pk, actor=ANN, room=room)
    assert files(attachment) == [False, False] and not Attachment.objects.exists()


def test_cleared_history_takes_the_rooms_files(room, django_capture_on_commit_callbacks):
    _, attachment = sent(room)
    staff = Actor(guest_key="staff", user_id=1, is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.room_clear_history(room=room, actor=staff)
    assert files(attachment) == [False, False]


def test_a_purged_room_leaves_no_file(settings, django_capture_on_commit_callbacks):
    settings.ROOM_EMPTY_GRACE_SECONDS = 0
    room = services.room_create_private(actor=ANN)
    _, attachment = sent(room)
    unsent = upload(room, images.PDF)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.rooms_purge_empty() == [room.name]
    assert files(attachment, unsent) == [False, False, False]


def test_a_deleted_account_takes_its_files(room, django_capture_on_commit_callbacks):
    user = User.objects.create_user("ann", password="pw-Aa1!-long-enough")
    account = Actor(guest_key=person_key(user), user_id=user.pk, user_name="ann")
    _, attachment = sent(room, account)
    _, bobs = sent(room, BOB)
    with django_capture_on_commit_callbacks(execute=True):
        services.account_delete(user=user, actor=account)
    assert files(attachment) == [False, False] and files(bobs) == [True, True]


def aged(attachment, seconds):
    Attachment.objects.filter(pk=attachment.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))


def test_uploads_never_sent_are_swept_with_their_files_after_the_ttl(
    room, settings, django_capture_on_commit_callbacks
):
    settings.UPLOAD_UNSENT_TTL = 3600
    old = upload(room, images.halves(40, 20))
    fresh = upload(room, images.PDF, "fresh.pdf")
    _, sent_long_ago = sent(room)
    aged(old, 3601)
    aged(fresh, 3500)
    aged(sent_long_ago, 10 * 3600)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.attachments_sweep_unsent() == 1
    assert files(old) == [False, False] and not Attachment.objects.filter(pk=old.pk).exists()
    assert files(fresh) == [True] and files(sent_long_ago) == [True, True]
    assert set(Attachment.objects.values_list("pk", flat=True)) == {fresh.pk, sent_long_ago.pk}
    # The page that kept it in its tray and sends it now is told plainly.
    with pytest.raises(ChatError) as caught:
        services.message_post(room=room, actor=ANN, username="ann", text="late", attachments=(old.pk,))
    assert caught.value.code == Code.ATTACHMENT_NOT_FOUND


def test_the_sweep_goes_through_more_than_one_batch(room, settings, django_capture_on_commit_callbacks):
    settings.UPLOAD_UNSENT_TTL = 60
    stale = [upload(room, images.PDF, f"{n}.pdf") for n in range(5)]
    for attachment in stale:
        aged(attachment, 120)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.attachments_sweep_unsent(batch=2) == 5
    assert not Attachment.objects.exists() and files(*stale) == [False] * 5


def test_a_voice_note_is_sound_with_its_duration(room):
    note = services.attachment_upload(
        room=room, actor=ANN, upload=SimpleUploadedFile("rec", images.WEBM), voice=True, duration=3.24
    )
    assert (note.kind, note.content_type, note.name, note.duration) == ("audio", "audio/webm", "rec.webm", 3.24)
    shown = attachment_data(note)
    assert shown["kind"] == "audio" and shown["duration"] == 3.2


def test_a_voice_note_must_be_sound_and_its_duration_is_bounded(room):
    with pytest.raises(ChatError) as caught:
        services.attachment_upload(
            room=room, actor=ANN, upload=SimpleUploadedFile("x.png", images.halves(10, 10)), voice=True
        )
    assert caught.value.code == Code.UPLOAD_TYPE
    note = services.attachment_upload(
        room=room, actor=ANN, upload=SimpleUploadedFile("r", images.WEBM), voice=True, duration=1e9
    )
    assert note.duration == 3600


def test_a_video_is_a_video_and_not_a_voice_note_unless_recorded_as_one(room):
    video = upload(room, images.MP4, "clip.mov")
    assert (video.kind, video.content_type, video.name, video.duration) == ("video", "video/mp4", "clip.mp4", None)
