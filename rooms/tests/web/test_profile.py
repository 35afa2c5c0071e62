"""The settings page: a name under the same rules as sign-up, an about line, an avatar drawn again by Pillow."""

import io
import logging

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chatsite.accounts.models import User
from rooms.tests.support import images
from rooms.tests.support.accounts import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(client):
    user = User.objects.create_user("ann", password=PASSWORD)
    client.post("/accounts/login/", {"login": "ann", "password": PASSWORD})
    return user


def save(client, *, username="ann", about="", avatar=None, remove=False):
    data = {"username": username, "about": about}
    if avatar is not None:
        data["avatar"] = avatar
    if remove:
        data["remove_avatar"] = "on"
    return client.post("/accounts/profile/", data)


def upload(content: bytes, name: str = "me.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored(user, size: int) -> Image.Image:
    with default_storage.open(f"{user.avatar}-{size}.webp", "rb") as handle:
        picture = Image.open(io.BytesIO(handle.read()))
        picture.load()
    return picture


def test_the_page_wants_an_account(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_page_shows_the_name_and_about_line(client, ann):
    ann.about = "I like tea"
    ann.save()
    page = client.get("/accounts/profile/").content.decode()
    assert 'value="ann"' in page and 'value="I like tea"' in page
    assert 'enctype="multipart/form-data"' in page


def test_a_photo_becomes_two_square_webp_files_upright_and_without_its_exif(client, ann):
    response = save(client, avatar=upload(images.photo_with_gps_and_rotation(), "holiday.jpg", "image/jpeg"))
    assert response.status_code == 302
    ann.refresh_from_db()
    assert ann.avatar.startswith(f"avatars/{ann.pk}/")
    for size in (64, 256):
        picture = stored(ann, size)
        assert (picture.format, picture.size) == ("WEBP", (size, size))
        assert not picture.getexif() and "exif" not in picture.info and "xmp" not in picture.info
    # Turned upright by its orientation: what was the left (red) half is now the top.
    small = stored(ann, 64).convert("RGB")
    top, bottom = small.getpixel((32, 6)), small.getpixel((32, 58))
    assert top[0] > 150 and top[2] < 100, top
    assert bottom[2] > 150 and bottom[0] < 100, bottom


def test_an_animated_gif_keeps_its_first_frame_only(client, ann):
    assert save(client, avatar=upload(images.animated_gif(), "wave.gif", "image/gif")).status_code == 302
    ann.refresh_from_db()
    picture = stored(ann, 256)
    assert getattr(picture, "n_frames", 1) == 1
    red = picture.convert("RGB").getpixel((128, 128))
    assert red[0] > 150 and red[2] < 100, red


@pytest.mark.parametrize(
    ("content", "name", "content_type", "said"),
    [
        (images.SVG, "logo.svg", "image/svg+xml", "not a picture chatsite can read"),
        (images.HTML_AS_PNG, "me.png", "image/png", "not a picture chatsite can read"),
        (b"", "empty.png", "image/png", "The submitted file is empty"),
        (images.halves(20, 20)[:60], "cut.png", "image/png", "not a picture chatsite can read"),
        (images.png_bomb(), "bomb.png", "image/png", "40000 × 40000 pixels"),
    ],
    ids=["svg", "html-named-png", "empty", "truncated", "decompression-bomb"],
)
def test_what_is_not_a_picture_we_take_is_answered_on_the_page(client, ann, caplog, content, name, content_type, said):
    with caplog.at_level(logging.WARNING):
        response = save(client, avatar=upload(content, name, content_type))
    assert response.status_code == 200
    page = response.content.decode()
    assert said in page and 'role="alert"' in page
    ann.refresh_from_db()
    assert ann.avatar == ""
    assert not default_storage.exists(f"avatars/{ann.pk}")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_30_mb_upload_is_answered_on_the_page_and_nothing_is_kept(client, ann, caplog):
    big = images.halves(20, 20) + b"\x00" * 30_000_000
    with caplog.at_level(logging.WARNING):
        response = save(client, avatar=upload(big, "huge.png"))
    assert response.status_code == 200
    assert "That file is 30.0 MB; a picture may be up to 5.0 MB." in response.content.decode()
    ann.refresh_from_db()
    assert ann.avatar == ""
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_new_avatar_replaces_the_old_files_and_remove_takes_them_away(
    client, ann, django_capture_on_commit_callbacks
):
    save(client, avatar=upload(images.halves(50, 50)))
    ann.refresh_from_db()
    first = ann.avatar
    with django_capture_on_commit_callbacks(execute=True):
        save(client, avatar=upload(images.halves(80, 40)))
    ann.refresh_from_db()
    assert ann.avatar != first
    assert not default_storage.exists(f"{first}-64.webp") and not default_storage.exists(f"{first}-256.webp")
    second = ann.avatar
    with django_capture_on_commit_callbacks(execute=True):
        assert save(client, remove=True).status_code == 302
    ann.refresh_from_db()
    assert ann.avatar == "" and not default_storage.exists(f"{second}-64.webp")


def test_the_avatar_is_served_as_webp_that_never_runs_as_a_page(client, ann):
    save(client, avatar=upload(images.halves(50, 50)))
    ann.refresh_from_db()
    response = client.get(f"/media/{ann.avatar}-64.webp")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        "sandbox" in response["Content-Security-Policy"] and "default-src 'none'" in response["Content-Security-Policy"]
    )
    assert response.content[:4] == b"RIFF"


@pytest.mark.parametrize(
    "path",
    [
        "/media/avatars/1/AAAAAAAAAAAAAAAA-64.webp",  # no such file
        "/media/avatars/1/..%2F..%2Fsettings.py",
        "/media/avatars/1/AAAAAAAAAAAAAAAA-64.svg",
        "/media/../chatsite/settings.py",
    ],
)
def test_anything_else_under_media_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_the_about_line_is_saved_trimmed_and_refuses_control_characters(client, ann):
    assert save(client, about="  tea,   and   chess  ").status_code == 302
    ann.refresh_from_db()
    assert ann.about == "tea, and chess"
    response = save(client, about="bell\x07")
    assert response.status_code == 200 and "control characters" in response.content.decode()
    assert save(client, about="x" * 161).status_code == 200


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("bob", "already exists"),
        ("b\u043eb", "already exists"),  # a Cyrillic о: bob's look-alike
        ("BOB", "already exists"),
        ("system", "kept for chatsite"),
        ("a\u200bnn", "Enter a valid username"),  # Django's username characters come first
        ("", "required"),
    ],
)
def test_a_new_name_follows_the_sign_up_rules(client, ann, name, said):
    User.objects.create_user("bob", password=PASSWORD)
    response = save(client, username=name)
    assert response.status_code == 200 and said in response.content.decode()
    ann.refresh_from_db()
    assert ann.username == "ann"


def test_renaming_changes_the_login_and_respelling_my_own_name_is_allowed(client, ann):
    assert save(client, username="Ann").status_code == 302
    assert save(client, username="anna").status_code == 302
    ann.refresh_from_db()
    assert ann.username == "anna"
    client.logout()
    assert client.post("/accounts/login/", {"login": "anna", "password": PASSWORD}).status_code == 302
    assert "Signed in as <strong>anna</strong>" in client.get("/accounts/profile/").content.decode()
