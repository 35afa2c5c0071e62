"""The site's icon and manifest ("What a newcomer trips over on the room page", point 10).

/favicon.ico was a 404 on every page, an error in every browser's console. Now
every page links an icon, /favicon.ico answers, and a phone can add the site
to its home screen from the manifest.
"""

import json
import re
from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

from chatsite.management.commands.make_icons import png_size
from rooms.tests.support.pages import create_room, fresh_room_name, settle

pytestmark = pytest.mark.browser

ICON_LINKS = """() => Array.from(document.querySelectorAll('link[rel~="icon"], link[rel="apple-touch-icon"], link[rel="manifest"]'),
  (link) => ({ rel: link.rel, href: link.href, type: link.type, sizes: link.getAttribute("sizes") }))"""
# The theme-color the browser uses now: the first whose media query matches.
THEME_COLOR = """() => Array.from(document.querySelectorAll('meta[name="theme-color"]'))
  .find((meta) => matchMedia(meta.media || "all").matches)?.content"""


def watch(page) -> list[str]:
    """Every console error and every response of 400 or more on the page, from now on."""
    seen: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and seen.append(f"console error: {msg.text} ({page.url})"))
    page.on("response", lambda response: response.status >= 400 and seen.append(f"{response.status} {response.url}"))
    return seen


def rgb(hex_colour: str) -> str:
    """#rrggbb as getComputedStyle writes it."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def background(locator) -> str:
    return locator.evaluate("node => getComputedStyle(node).backgroundColor")


def test_lobby_room_and_admin_pages_have_no_console_errors_and_no_404s(open_page):
    page = open_page("about:blank")
    problems = watch(page)

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_load_state("load")
    create_room(page, "ann", fresh_room_name("icons"))
    page.wait_for_load_state("load")
    page.goto("/admin/login/")
    expect(page.get_by_label("Username")).to_be_visible()
    page.wait_for_load_state("load")
    assert page.locator('link[rel~="icon"]').count() == 2  # the admin's pages link the icon too

    # What every browser asks for anyway, whatever the page links.
    response = page.goto("/favicon.ico")
    assert response.status == 200, response.status
    assert response.headers["content-type"] == "image/png"
    assert response.request.redirected_from is not None
    assert response.request.redirected_from.response().status == 301
    assert re.search(r"/static/icons/favicon-32(\.\w+)?\.png$", response.url), response.url
    assert png_size(response.body()) == (32, 32)

    assert problems == [], "\n".join(problems)


def test_the_icon_links_resolve_to_icons_of_the_right_type_and_size(open_page):
    page = open_page("/")
    links = page.evaluate(ICON_LINKS)
    assert sorted(link["rel"] for link in links) == ["apple-touch-icon", "icon", "icon", "manifest"]
    for link in links:
        response = page.request.get(link["href"])
        assert response.status == 200, link
        content_type = response.headers["content-type"]
        if link["rel"] == "manifest":
            assert content_type == "application/manifest+json", link
        elif link["type"] == "image/svg+xml":
            assert content_type == "image/svg+xml", link
            assert response.text().lstrip().startswith("<svg"), link
        else:
            assert content_type == "image/png", link
            width, height = png_size(response.body())
            expected = link["sizes"] or "180x180"  # an apple-touch-icon is 180 px when it says nothing
            assert f"{width}x{height}" == expected, link


def test_the_manifest_lets_a_phone_add_the_site_to_its_home_screen(open_page):
    page = open_page("/", viewport={"width": 360, "height": 740})
    href = page.locator('link[rel="manifest"]').get_attribute("href")
    url = urljoin(page.url, href)
    manifest = json.loads(page.request.get(url).text())

    assert manifest["name"] == "chatsite"
    assert 0 < len(manifest["short_name"]) <= 12  # what fits under a home-screen icon
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    # Its colours are the page's own, light theme: the header and the page behind it.
    page.emulate_media(color_scheme="light")
    settle(page)
    assert rgb(manifest["theme_color"]) == background(page.locator(".site-header"))
    assert rgb(manifest["background_color"]) == background(page.locator("body"))

    sizes = set()
    for icon in manifest["icons"]:
        response = page.request.get(urljoin(url, icon["src"]))
        assert response.status == 200, icon
        assert response.headers["content-type"] == icon["type"], icon
        if icon["type"] == "image/png":
            width, height = png_size(response.body())
            assert icon["sizes"] == f"{width}x{height}", icon
            sizes.add((icon["sizes"], icon.get("purpose", "any")))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes, sizes


def test_the_browser_bars_take_the_header_colour_in_either_theme(open_page):
    page = open_page("/")
    header = page.locator(".site-header")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        settle(page)
        assert rgb(page.evaluate(THEME_COLOR)) == background(header), scheme

    # A theme picked with the toggle wins over the system's, for the bars too.
    page.emulate_media(color_scheme="light")
    page.get_by_role("button", name="Dark theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    settle(page)
    assert rgb(page.evaluate(THEME_COLOR)) == background(header)
