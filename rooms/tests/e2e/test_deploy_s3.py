"""Attachments in an S3-compatible bucket, set by environment variables only: daphne against moto's S3 server
on loopback. An upload lands in the bucket; the view still decides who may read it (an outsider gets 404) and
sends a reader to a short-lived signed URL that serves the bytes under the type and name chatsite decided; a
deleted message takes its objects from the bucket."""

import asyncio
import io
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from PIL import Image

from rooms.tests.e2e.test_deploy_attachments import Browser
from rooms.tests.support import images
from rooms.tests.support.client import WSClient
from rooms.tests.support.servers import free_port, sqlite_server

BUCKET = "chatsite-media"
KEYS = {"AWS_ACCESS_KEY_ID": "chatsite-test", "AWS_SECRET_ACCESS_KEY": "chatsite-test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """moto's S3 server on 127.0.0.1 (stopped at the end), with an empty private bucket."""
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint + "/", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.2)
        bucket(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def bucket(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )


def objects(endpoint: str) -> list[str]:
    return sorted(item["Key"] for item in bucket(endpoint).list_objects_v2(Bucket=BUCKET).get("Contents", []))


@pytest.fixture(scope="module")
def s3_server(s3_endpoint, tmp_path_factory):
    with sqlite_server(
        tmp_path_factory.mktemp("s3-chat"),
        DJANGO_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_ENDPOINT_URL=s3_endpoint,
        AWS_S3_REGION_NAME="us-east-1",
        **KEYS,
    ) as server:
        yield server


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get_without_following(browser: Browser, url: str):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(browser.jar), _Stay)
    try:
        with opener.open(url, timeout=15) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def fetch(url: str, **headers: str):
    """Straight from the bucket, as a browser following the redirect would: status, headers, body."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=15) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, b""


async def test_an_upload_lives_in_the_bucket_is_read_through_a_signed_url_and_goes_with_its_message(
    s3_endpoint, s3_server
):
    server, endpoint = s3_server, s3_endpoint
    ann_browser, bob_browser = Browser(), Browser()
    ann = await WSClient(server.ws_url, cookie=ann_browser.enter(server.url, "ann"), name="ann").open()
    bob_browser.enter(server.url, "bob")
    await ann.join("general", "ann")
    # Pages may load pictures and media from the bucket (the redirect's target), and from nowhere else new.
    with ann_browser.opener.open(server.url + "/r/general/", timeout=15) as page:
        policy = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";"))
    assert policy["img-src"].split() == ["'self'", "data:", endpoint]
    assert policy["media-src"].split() == ["'self'", endpoint]

    photo = images.halves(900, 600, "JPEG")
    shown = ann_browser.upload(server.url, "general", "sunset.jpg", photo)
    stored = objects(endpoint)
    assert len(stored) == 2 and {key.rsplit("/", 1)[1] for key in stored} == {"file.jpg", "thumb.webp"}
    assert all(key.startswith("attachments/") for key in stored)

    # Nobody reaches the bucket without a signature: the objects are private.
    key = next(key for key in stored if key.endswith("file.jpg"))
    assert fetch(f"{endpoint}/{BUCKET}/{key}")[0] == 403

    # Unsent: only its uploader may have it; everyone else gets the same 404 as a guess, no redirect.
    assert get_without_following(bob_browser, server.url + shown["url"])[0] == 404
    status, headers = get_without_following(ann_browser, server.url + shown["url"])
    assert status == 302 and headers["Location"].startswith(f"{endpoint}/{BUCKET}/attachments/")
    signed = urllib.parse.parse_qs(urllib.parse.urlsplit(headers["Location"]).query)
    assert signed["X-Amz-Expires"] == ["300"] and "X-Amz-Signature" in signed
    status, served, content = fetch(headers["Location"])
    assert status == 200 and served["Content-Type"] == "image/jpeg"
    assert served["Content-Disposition"] == "inline; filename*=UTF-8''sunset.jpg"
    assert Image.open(io.BytesIO(content)).size == (900, 600)
    # The bucket answers ranges itself.
    assert fetch(headers["Location"], Range="bytes=0-1")[::2] == (206, b"\xff\xd8")
    status, headers = get_without_following(ann_browser, server.url + shown["thumb"]["url"])
    status, served, content = fetch(headers["Location"])
    assert status == 200 and served["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(content)).size == (shown["thumb"]["width"], shown["thumb"]["height"])

    await ann.send("send_message", {"text": "sunset", "attachments": [shown["id"]], "client_id": "s1"})
    message = await ann.expect("receive_message", where=lambda d: d["text"] == "sunset")
    assert get_without_following(bob_browser, server.url + shown["url"])[0] == 302  # sent: the room may read it
    await ann.send("delete_message", {"id": message["id"]})
    await ann.expect("message_deleted", skip=(*WSClient.skip, "ack"))
    for _ in range(50):  # the objects go once the deletion commits
        if not objects(endpoint):
            break
        await asyncio.sleep(0.1)
    assert objects(endpoint) == []
    assert get_without_following(bob_browser, server.url + shown["url"])[0] == 404
    await ann.close()


def test_an_avatar_in_the_bucket_is_named_by_chatsites_own_path_and_served_from_there(s3_endpoint, s3_server):
    """Not a signed bucket URL in every payload (signed on each call, dead after MEDIA_SIGNED_URL_SECONDS)."""
    picture = io.BytesIO()
    Image.new("RGB", (80, 80), "teal").save(picture, format="PNG")
    s3_server.shell(
        "import io; from django.core.files.uploadedfile import SimpleUploadedFile; "
        "from chatsite.accounts import avatars; from chatsite.accounts.models import User; "
        "user = User.objects.create_user('avatarowner', password='pw-Aa1!-long-enough'); "
        f"upload = SimpleUploadedFile('a.png', {picture.getvalue()!r}, content_type='image/png'); "
        "user.avatar = avatars.store(avatars.make_avatar(upload), user_id=user.pk); user.save(); "
        "assert avatars.avatar_url(user.avatar) == '/media/' + user.avatar + '-64.webp', avatars.avatar_url(user.avatar)"
    )
    [small] = [key for key in objects(s3_endpoint) if key.startswith("avatars/") and key.endswith("-64.webp")]
    status, headers, body = fetch(f"{s3_server.url}/media/{small}")
    assert status == 200 and headers["Content-Type"] == "image/webp" and body[:4] == b"RIFF"
