"""The site's icon and web app manifest, as a browser (or a phone's "add to home screen") asks for them."""

import json
import re
from pathlib import Path

import pytest
from django.templatetags.static import static

from chatsite.management.commands.make_icons import RENDERS, png_size

pytestmark = pytest.mark.django_db

ICONS = Path(__file__).resolve().parents[3] / "static" / "icons"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_favicon_ico_is_a_cached_redirect_to_the_32_pixel_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == static("icons/favicon-32.png")
    assert "max-age=86400" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]

    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/png"
    assert png_size(body(icon)) == (32, 32)


def test_favicon_ico_answers_head_and_refuses_writes(client):
    assert client.head("/favicon.ico").status_code == 301
    assert client.post("/favicon.ico").status_code == 405


@pytest.mark.parametrize("path", ["/", "/admin/login/"])
def test_pages_link_the_icons_and_the_manifest(client, path):
    html = client.get(path, follow=True).content.decode()
    for rel, name in [
        ("icon", "icons/icon.svg"),
        ("icon", "icons/favicon-32.png"),
        ("apple-touch-icon", "icons/apple-touch-icon.png"),
        ("manifest", "icons/site.webmanifest"),
    ]:
        assert re.search(rf'<link rel="{rel}" href="{re.escape(static(name))}"', html), (rel, name)


def test_the_manifest_is_served_as_a_manifest(client):
    response = client.get(static("icons/site.webmanifest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(body(response))
    assert manifest["name"] == "chatsite"
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"


def test_every_png_has_the_size_it_is_declared_with():
    """The committed PNGs match what make_icons renders, and the manifest says the same sizes."""
    for _, target, size in RENDERS:
        assert png_size((ICONS / target).read_bytes()) == (size, size), target
    manifest = json.loads((ICONS / "site.webmanifest").read_text())
    for icon in manifest["icons"]:
        path = ICONS / icon["src"]
        assert path.is_file(), icon["src"]
        if icon["type"] == "image/png":
            width, height = png_size(path.read_bytes())
            assert icon["sizes"] == f"{width}x{height}", icon
