"""Attachments across processes sharing Redis, PostgreSQL and one media folder: a picture uploaded and
sent through process A reaches a member on process B, who downloads it, and its thumbnail, from B."""

import http.cookiejar
import io
import json
import secrets
import urllib.parse
import urllib.request

import pytest
from PIL import Image

from rooms.tests.support import images
from rooms.tests.support.client import WSClient

pytestmark = pytest.mark.integration


class Browser:
    """Cookies and CSRF as a browser keeps them (one jar: cookies are the host's, whatever the port)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name):
        return next(c.value for c in self.jar if c.name == name)

    def enter(self, base_url, username):
        """The lobby, then its form with a name: the session starts."""
        self.opener.open(base_url + "/", timeout=15).close()
        form = {"csrfmiddlewaretoken": self.cookie("csrftoken"), "username": username, "enter": "general"}
        self.opener.open(base_url + "/", urllib.parse.urlencode(form).encode(), timeout=15).close()
        return f"sessionid={self.cookie('sessionid')}"

    def upload(self, base_url, room, name, content):
        boundary = secrets.token_hex(16)
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            f"{base_url}/r/{room}/attachments/",
            data=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "X-CSRFToken": self.cookie("csrftoken"),
                "Origin": base_url,
                "Referer": base_url + "/",
            },
        )
        with self.opener.open(request, timeout=15) as response:
            assert response.status == 201
            return json.loads(response.read())["attachment"]

    def get(self, url):
        with self.opener.open(url, timeout=15) as response:
            return response.status, response.headers, response.read()


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
