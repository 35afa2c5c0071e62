"""Attachments over HTTP: uploading needs the session, its CSRF token and a room it may read; reading one is
for those who may read its room, with the headers that keep a file from acting as a page; anyone else gets 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rooms import services
from rooms.errors import Code
from rooms.identity import Actor
from rooms.models import Attachment, Room
from rooms.tests.support import images
from rooms.tests.support.formclient import body
from rooms.tests.support.guests import enter, guest

pytestmark = pytest.mark.django_db


def post_file(client, room_name, content, name="pic.png", content_type="image/png", **extra):
    return client.post(
        f"/r/{room_name}/attachments/", {"file": SimpleUploadedFile(name, content, content_type=content_type)}, **extra
    )


def send(room, name, attachment_id):
    return services.message_post(
        room=room, actor=Actor(guest_key=f"guest-{name}"), username=name, text="look", attachments=(attachment_id,)
    )[0]


@pytest.fixture
def general():
    return Room.objects.get(key="general")


def test_an_upload_answers_with_what_the_page_draws(general):
    response = post_file(guest("ann"), "general", images.halves(100, 50))
    assert response.status_code == 201
    shown = response.json()["attachment"]
    stored = Attachment.objects.get()
    assert shown["id"] == stored.pk and stored.uploader_key == "guest-ann"
    assert (shown["kind"], shown["width"], shown["height"], shown["name"]) == ("image", 100, 50, "pic.png")
    assert shown["thumb"]["url"] == f"/media/a/{stored.token}/thumb.webp"


@pytest.mark.parametrize(
    ("content", "name", "status", "code"),
    [
        (images.HTML_AS_PNG, "page.png", 415, Code.UPLOAD_TYPE),
        (images.SVG, "drawing.svg", 415, Code.UPLOAD_TYPE),
        (images.png_bomb(), "bomb.png", 413, Code.UPLOAD_TOO_LARGE),
    ],
    ids=["html-as-png", "svg", "bomb"],
)
def test_refused_uploads_say_why_with_a_status(general, content, name, status, code):
    response = post_file(guest("ann"), "general", content, name)
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert not Attachment.objects.exists()


def test_a_file_over_the_limit_is_413(general, settings):
    settings.UPLOAD_MAX_BYTES = 500
    response = post_file(guest("ann"), "general", images.PDF + b"\0" * 600, "big.pdf")
    assert response.status_code == 413 and response.json()["error"]["max_bytes"] == 500


def test_uploads_past_the_rate_limit_are_429(general, settings):
    settings.UPLOAD_RATE_LIMIT = 1
    client = guest("ann")
    assert post_file(client, "general", images.PDF, "a.pdf").status_code == 201
    response = post_file(client, "general", images.PDF, "b.pdf")
    assert response.status_code == 429 and response.json()["error"]["code"] == Code.UPLOADS_TOO_FAST


def test_an_upload_without_the_csrf_token_is_refused(general):
    client = guest("ann", enforce_csrf_checks=True)
    assert post_file(client, "general", images.PDF, "a.pdf").status_code == 403
    client.get("/r/general/")
    token = client.cookies["csrftoken"].value
    assert post_file(client, "general", images.PDF, "a.pdf", headers={"X-CSRFToken": token}).status_code == 201


def test_uploading_into_a_private_room_needs_being_in_it(general):
    room = services.room_create_private(actor=Actor(guest_key="guest-ann"))
    assert post_file(guest("eve"), room.name, images.PDF, "a.pdf").status_code == 404
    assert post_file(guest("eve"), "no-such-room", images.PDF, "a.pdf").status_code == 404
    enter(room, "ann")
    assert post_file(guest("ann"), room.name, images.PDF, "a.pdf").status_code == 201


def test_a_get_is_not_an_upload(general):
    assert guest("ann").get("/r/general/attachments/").status_code == 405


def test_a_picture_is_served_inline_sandboxed_and_nosniff(general):
    attachment = Attachment.objects.get(
        pk=post_file(guest("ann"), "general", images.halves(20, 20)).json()["attachment"]["id"]
    )
    send(general, "ann", attachment.pk)
    response = Client().get(f"/media/a/{attachment.token}/pic.png")  # a public room: anyone who may read it
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert (
        "sandbox" in response["Content-Security-Policy"] and "default-src 'none'" in response["Content-Security-Policy"]
    )
    assert body(response).startswith(b"\x89PNG")
    thumb = Client().get(f"/media/a/{attachment.token}/thumb.webp")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/webp"


def test_a_pdf_downloads(general):
    attachment_id = post_file(guest("ann"), "general", images.PDF, "report.pdf").json()["attachment"]["id"]
    attachment = Attachment.objects.get(pk=attachment_id)
    send(general, "ann", attachment.pk)
    response = Client().get(f"/media/a/{attachment.token}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename*=UTF-8''report.pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_guessed_or_wrongly_named_url_is_404(general):
    attachment = Attachment.objects.get(
        pk=post_file(guest("ann"), "general", images.PDF, "r.pdf").json()["attachment"]["id"]
    )
    send(general, "ann", attachment.pk)
    assert Client().get(f"/media/a/{'A' * 24}/r.pdf").status_code == 404
    assert Client().get(f"/media/a/{attachment.token}/other.pdf").status_code == 404
    assert Client().get(f"/media/a/{attachment.token}/thumb.webp").status_code == 404  # a PDF has none
    assert Client().get(f"/media/attachments/{general.pk}/{attachment.token}/file.pdf").status_code == 404


def test_an_unsent_upload_is_its_uploaders_only(general):
    ann = guest("ann")
    attachment = Attachment.objects.get(pk=post_file(ann, "general", images.PDF, "r.pdf").json()["attachment"]["id"])
    url = f"/media/a/{attachment.token}/r.pdf"
    assert ann.get(url).status_code == 200
    assert guest("bob").get(url).status_code == 404


def test_a_private_rooms_file_is_for_its_members_only(general):
    room = services.room_create_private(actor=Actor(guest_key="guest-ann"))
    enter(room, "ann")
    attachment = Attachment.objects.get(
        pk=post_file(guest("ann"), room.name, images.halves(20, 20)).json()["attachment"]["id"]
    )
    send(room, "ann", attachment.pk)
    urls = [f"/media/a/{attachment.token}/pic.png", f"/media/a/{attachment.token}/thumb.webp"]
    for url in urls:
        assert Client().get(url).status_code == 404  # no session at all
        assert guest("eve").get(url).status_code == 404  # a session, not in the room
    enter(room, "bob")
    assert all(guest("bob").get(url).status_code == 200 for url in urls)


def test_a_removed_messages_file_and_a_banned_reader_get_404(general):
    ann = guest("ann")
    attachment = Attachment.objects.get(pk=post_file(ann, "general", images.PDF, "r.pdf").json()["attachment"]["id"])
    message = send(general, "ann", attachment.pk)
    url = f"/media/a/{attachment.token}/r.pdf"
    staff = Actor(guest_key="staff", user_id=1, is_staff=True)
    services.ban_create(actor=staff, room=general, guest_key="guest-bob", reason="spam")
    assert guest("bob").get(url).status_code == 404
    assert guest("carol").get(url).status_code == 200
    services.message_delete(message_id=message.pk, actor=Actor(guest_key="guest-ann"), room=general)
    assert guest("carol").get(url).status_code == 404


def test_behind_nginx_the_file_is_handed_over_by_x_accel_redirect(general, settings):
    settings.MEDIA_X_ACCEL_PREFIX = "/protected-media/"
    attachment = Attachment.objects.get(
        pk=post_file(guest("ann"), "general", images.PDF, "r.pdf").json()["attachment"]["id"]
    )
    send(general, "ann", attachment.pk)
    response = Client().get(f"/media/a/{attachment.token}/r.pdf")
    assert response["X-Accel-Redirect"] == f"/protected-media/{attachment.path}" and response.content == b""
    assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Disposition"].startswith("attachment")


def test_the_admin_shows_a_messages_files_and_staff_may_open_a_private_rooms(general):
    from django.contrib.auth import get_user_model

    room = services.room_create_private(actor=Actor(guest_key="guest-ann"))
    enter(room, "ann")
    attachment_id = post_file(guest("ann"), room.name, images.halves(20, 20)).json()["attachment"]["id"]
    attachment = Attachment.objects.get(pk=attachment_id)
    message = send(room, "ann", attachment.pk)
    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("mod", "mod@example.com", "pw-not-used"))
    page = staff.get(f"/admin/rooms/message/{message.pk}/change/").content.decode()
    assert f'href="/media/a/{attachment.token}/pic.png"' in page
    assert f'src="/media/a/{attachment.token}/thumb.webp" width="20" height="20"' in page
    assert staff.get(f"/media/a/{attachment.token}/pic.png").status_code == 200


def test_a_conversations_file_is_for_its_members_only_staff_included(general):
    from django.contrib.auth import get_user_model

    ann = Actor(guest_key="guest-ann")
    enter(general, "ann")
    enter(general, "bob")
    room, _ = services.direct_open(actor=ann, room=general, usernames=["bob"], username="ann")
    attachment_id = post_file(guest("ann"), room.name, images.halves(20, 20)).json()["attachment"]["id"]
    attachment = Attachment.objects.get(pk=attachment_id)
    services.message_post(room=room, actor=ann, username="ann", text="ours", attachments=(attachment.pk,))
    url = f"/media/a/{attachment.token}/pic.png"
    assert guest("ann").get(url).status_code == 200
    assert guest("bob").get(url).status_code == 200
    assert guest("carol").get(url).status_code == 404
    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("mod", "mod@example.com", "pw-not-used"))
    assert staff.get(url).status_code == 404


@pytest.fixture
def sent_pdf(general):
    """A sent PDF of 1000 bytes whose every byte says where it is, and its URL."""
    content = images.PDF + bytes(index % 251 for index in range(len(images.PDF), 1000))
    attachment = Attachment.objects.get(
        pk=post_file(guest("ann"), "general", content, "r.pdf").json()["attachment"]["id"]
    )
    send(general, "ann", attachment.pk)
    return content, f"/media/a/{attachment.token}/r.pdf"


def test_a_whole_file_says_ranges_may_be_asked(sent_pdf):
    content, url = sent_pdf
    response = Client().get(url)
    assert response.status_code == 200 and response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == "1000" and body(response) == content


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=500-", 500, 999),
        ("bytes=-10", 990, 999),
        ("bytes=990-5000", 990, 999),  # past the end: up to the end
        ("bytes=-5000", 0, 999),  # a suffix longer than the file: all of it
        ("BYTES = 7-7", 7, 7),
    ],
)
def test_one_range_is_answered_206_with_those_bytes(sent_pdf, header, first, last):
    content, url = sent_pdf
    response = Client().get(url, headers={"Range": header})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/1000"
    assert response["Content-Length"] == str(last - first + 1)
    assert body(response) == content[first : last + 1]
    assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_a_range_past_the_end_is_416_with_the_size(sent_pdf, header):
    _, url = sent_pdf
    response = Client().get(url, headers={"Range": header})
    assert response.status_code == 416 and response["Content-Range"] == "bytes */1000"


@pytest.mark.parametrize(
    "header",
    ["bytes=0-1,5-6", "bytes=9-3", "bytes=abc", "items=0-5", "bytes=-", "bytes=" + "9" * 30 + "-"],
    ids=["several", "backwards", "garbage", "other-unit", "empty", "huge-number"],
)
def test_several_or_malformed_ranges_get_the_whole_file(sent_pdf, header):
    content, url = sent_pdf
    response = Client().get(url, headers={"Range": header})
    assert response.status_code == 200 and body(response) == content


def test_if_range_with_another_validator_gets_the_whole_file(sent_pdf):
    content, url = sent_pdf
    etag = Client().get(url)["ETag"]
    same = Client().get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert same.status_code == 206 and body(same) == content[:10]
    other = Client().get(url, headers={"Range": "bytes=0-9", "If-Range": '"something-else"'})
    assert other.status_code == 200 and body(other) == content


def test_a_head_says_the_size_and_sends_no_bytes(sent_pdf):
    _, url = sent_pdf
    response = Client().head(url, headers={"Range": "bytes=10-19"})
    assert response.status_code == 206 and response["Content-Length"] == "10"
    assert response["Content-Range"] == "bytes 10-19/1000" and body(response) == b""


def test_a_range_is_no_way_around_the_readers_check(general):
    room = services.room_create_private(actor=Actor(guest_key="guest-ann"))
    enter(room, "ann")
    attachment = Attachment.objects.get(
        pk=post_file(guest("ann"), room.name, images.PDF, "r.pdf").json()["attachment"]["id"]
    )
    send(room, "ann", attachment.pk)
    url = f"/media/a/{attachment.token}/r.pdf"
    assert guest("eve").get(url, headers={"Range": "bytes=0-3"}).status_code == 404
    assert guest("eve").head(url).status_code == 404
    assert guest("ann").get(url, headers={"Range": "bytes=0-3"}).status_code == 206
