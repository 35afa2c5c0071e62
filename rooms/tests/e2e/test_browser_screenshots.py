"""Regenerates the README's screenshots (docs/screenshots/) from a live server.

Home and room, light and dark, phone (360×740) and desktop (1280×800): eight
PNGs named <page>-<device>-<theme>.png. The room shows what a visitor would
see a minute into a conversation: a few members, a join notice, messages with
emoji and a link. Run `pytest rooms/tests/test_browser_screenshots.py` after
changing the look, then look at the files before committing them.
"""

import re
import struct
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rooms.tests.support.servers import BASE_DIR, sqlite_server

pytestmark = pytest.mark.browser

SCREENSHOTS = BASE_DIR / "docs" / "screenshots"
DEVICES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 740}}
THEMES = ("light", "dark")
ROOM = "weekend-plans"


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory):
    """A server of its own, so the lobby counts and the room hold only what these pictures show."""
    with sqlite_server(tmp_path_factory.mktemp("screenshot-server"), RATE_LIMIT_BURST="1000") as server:
        yield server


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header; fails on anything that is not a PNG."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert header[12:16] == b"IHDR"
    return struct.unpack(">II", header[16:24])


def enter(page, username: str, room: str) -> None:
    page.fill("#id_username", username)
    page.click(f"button[name=enter][value={room}]")
    expect(page).to_have_url(re.compile(rf"/r/{room}/$"))
    expect(page.locator("#connection-status")).to_have_text("Connected")


def say(page, text: str) -> None:
    page.fill("#message-input", text)
    page.press("#message-input", "Enter")
    expect(page.locator(".msg:not(.pending) .msg-text").filter(has_text=text.split()[0])).not_to_have_count(0)


def test_screenshots_of_home_and_room_in_both_themes_on_phone_and_desktop(open_page):
    started = time.time()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # bob opens a public room and the others come in; the pictures show ann's view as a member.
    bob = open_page("/")
    bob.fill("#id_username", "bob")
    bob.fill("#id_new_room", ROOM)
    bob.click("button[name=action][value=create_named]")
    expect(bob).to_have_url(re.compile(rf"/r/{ROOM}/$"))
    ann = open_page("/", viewport=DEVICES["desktop"], timezone_id="Europe/Berlin")
    people = {"bob": bob}
    for name, page in (("ann", ann), ("chloé", open_page("/")), ("dev_42", open_page("/"))):
        page.fill("#id_username", name)
        page.fill("#id_room", ROOM)
        page.click("button[name=action][value=join]")
        expect(page).to_have_url(re.compile(rf"/r/{ROOM}/$"))
        expect(page.locator("#connection-status")).to_have_text("Connected")
        people[name] = page
    expect(ann.locator("#member-list .member")).to_have_count(4)
    for name in ("lena", "omar"):
        enter(open_page("/"), name, "general")
    enter(open_page("/"), "sam", "music")

    say(people["bob"], "Morning all! Still on for the hike on Saturday? 🥾")
    say(ann, "Yes! I found a route along the lake, about 14 km with a café halfway ☕")
    say(ann, "Map and timings: https://example.org/trails/lakeside-loop?from=north-gate&km=14")
    say(people["chloé"], "🎉")
    say(people["dev_42"], "Count me in. I can drive three people from the station at 8:30.")
    say(people["bob"], "Perfect, see you at the station then. Bring sunscreen, it is going to be warm 😎")
    expect(ann.locator(".msg")).to_have_count(6)
    expect(ann.locator(".notice").filter(has_text="dev_42 joined")).to_be_visible()

    home = open_page("/", viewport=DEVICES["desktop"])
    home.fill("#id_username", "ann")
    expect(home.locator(f"#room-list li[data-room={ROOM}] .count-value")).to_have_text("4")
    expect(home.locator("#room-list li[data-room=general] .count-value")).to_have_text("2")

    written = []
    for page_name, page in (("home", home), ("room", ann)):
        page.locator("#message-input, #id_username").first.blur()
        for device, viewport in DEVICES.items():
            page.set_viewport_size(viewport)
            for theme in THEMES:
                page.emulate_media(color_scheme=theme)
                expect(page.locator("html")).to_have_attribute("class", re.compile(r"\bjs\b"))
                if page_name == "room":
                    ann.locator("#messages").evaluate("node => { node.scrollTop = node.scrollHeight; }")
                path = SCREENSHOTS / f"{page_name}-{device}-{theme}.png"
                page.screenshot(path=str(path), animations="disabled", caret="hide")
                written.append((path, viewport))

    assert len(written) == 8
    for path, viewport in written:
        assert path.stat().st_mtime >= started - 1, f"{path.name} was not rewritten"
        assert path.stat().st_size > 10_000, f"{path.name} is suspiciously small"
        assert png_size(path) == (viewport["width"], viewport["height"]), path.name
