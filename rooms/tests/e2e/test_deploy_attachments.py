"""Attachments across processes sharing Redis, PostgreSQL and one media folder: a picture uploaded and
sent through process A reaches a member on process B, who downloads it, and its thumbnail, from B."""

import io

import pytest
from PIL import Image

from rooms.tests.support import images
from rooms.tests.support.client import WSClient
from rooms.tests.support.formclient import Browser

pytestmark = pytest.mark.integration


async def test_a_picture_sent_through_a_is_shown_and_downloaded_through_b(cluster, tmp_path):
    a, b = cluster(2, backend="redis-postgres", DJANGO_MEDIA_ROOT=str(tmp_path / "shared-media"))
    ann_browser, bob_browser = Browser(), Browser()
    ann = await WSClient(a.ws_url, cookie=ann_browser.enter(a.url, "ann"), name="ann").open()
    bob = await WSClient(b.ws_url, cookie=bob_browser.enter(b.url, "bob"), name="bob").open()
    await ann.join("general", "ann")
    await bob.join("general", "bob")
    attachment = ann_browser.upload(a.url, "general", "sunset.jpg", images.halves(1200, 900, "JPEG"))
    await ann.send("send_message", {"text": "from a", "attachments": [attachment["id"]], "client_id": "x1"})

    received = await bob.expect("receive_message", where=lambda d: d["text"] == "from a")
    [shown] = received["attachments"]
    assert (shown["kind"], shown["width"], shown["height"]) == ("image", 1200, 900)
    status, headers, body = bob_browser.get(b.url + shown["url"])
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(body)).size == (1200, 900)
    status, headers, body = bob_browser.get(b.url + shown["thumb"]["url"])
    assert status == 200 and Image.open(io.BytesIO(body)).size == (shown["thumb"]["width"], shown["thumb"]["height"])
    await ann.close()
    await bob.close()
