"""The room page's composer in headless Chromium: the emoji picker and shortcodes, the
typing indicator, and the keyboard."""

import re
import time

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import create_room, enter_room, fresh_room_name, message, send

pytestmark = pytest.mark.browser


# --- 8. emoji ---------------------------------------------------------------------


def test_emoji_picker_shortcodes_and_large_emoji_only_messages(open_page, chat_server):
    room = fresh_room_name("emoji")
    ann = open_page("/")
    create_room(ann, "ann", room)
    external = []
    ann.on("request", lambda r: None if r.url.startswith(chat_server.url) else external.append(r.url))

    box = ann.locator("#message-input")
    box.fill("hello world")
    box.evaluate("field => field.setSelectionRange(5, 5)")  # the caret after "hello"
    ann.get_by_role("button", name="Insert emoji").click()
    picker = ann.locator("emoji-picker")
    expect(picker).to_be_visible()
    expect(ann.get_by_role("button", name="Insert emoji")).to_have_attribute("aria-expanded", "true")
    picker.get_by_role("combobox").fill("grinning face")
    picker.get_by_role("option", name="😀", exact=False).first.click()
    expect(picker).to_be_hidden()
    expect(box).to_have_value("hello😀 world")  # at the caret
    expect(box).to_be_focused()

    # Esc closes the picker and gives the focus back to the composer.
    # (Meanwhile the reader picked the dark theme: the picker follows the site, not the system.)
    ann.get_by_role("button", name="Dark theme").click()
    expect(ann.locator("html")).to_have_attribute("data-theme", "dark")
    ann.get_by_role("button", name="Insert emoji").click()
    expect(picker).to_be_visible()
    expect(picker).to_have_class(re.compile(r"\bdark\b"))
    ann.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(box).to_be_focused()
    expect(ann.get_by_role("button", name="Insert emoji")).to_have_attribute("aria-expanded", "false")
    assert external == [], f"the picker reached outside the site: {external}"
    # Its styles are allowed by the CSP narrowly; the site's own markup still has no style attributes.
    assert " style=" not in ann.request.get(ann.url).text()

    # Shortcodes become emoji as they are typed; unknown ones stay text.
    box.fill("")
    box.press_sequentially("nice :thumbsup: and :notacode:")
    expect(box).to_have_value("nice 👍 and :notacode:")
    box.press("Enter")
    expect(message(ann, "nice 👍 and :notacode:")).to_have_count(1)

    send(ann, "🎉🎉")
    send(ann, "party 🎉")
    send(ann, "🎉 🔥 👍 😀")  # four: not "only a few"
    expect(message(ann, "🎉🎉")).to_have_class(re.compile(r"\bemoji-only\b"))
    expect(message(ann, "party 🎉")).not_to_have_class(re.compile(r"\bemoji-only\b"))
    expect(message(ann, "🎉 🔥 👍 😀")).not_to_have_class(re.compile(r"\bemoji-only\b"))
    big = message(ann, "🎉🎉").locator(".msg-text").evaluate("n => parseFloat(getComputedStyle(n).fontSize)")
    small = message(ann, "party 🎉").locator(".msg-text").evaluate("n => parseFloat(getComputedStyle(n).fontSize)")
    assert big > 1.5 * small


# --- 5. typing ----------------------------------------------------------------------


def typing_frames(page) -> list[str]:
    """The `typing` frames this page sends, from its next WebSocket on."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: '"typing"' in str(f) and frames.append(str(f))))
    return frames


def test_typing_indicator_for_one_and_several_typists(open_page):
    room = fresh_room_name("typing")
    ann = open_page("/")
    create_room(ann, "ann", room)
    bob = open_page("/")
    bob_typing = typing_frames(bob)
    enter_room(bob, "bob", room)
    cat = open_page("/")
    enter_room(cat, "cat", room)

    started = time.monotonic()
    bob.locator("#message-input").press_sequentially("hello there, how is everyone today", delay=20)
    typed_for = time.monotonic() - started
    expect(ann.locator("#typing")).to_have_text("bob is typing…")
    expect(bob.locator("#typing")).to_be_empty()  # not told about oneself
    # 34 keystrokes, but at most one `typing` frame per 2.5 s of typing.
    assert 1 <= len(bob_typing) <= 1 + typed_for / 2.5, f"{len(bob_typing)} typing frames in {typed_for:.1f} s"

    cat.locator("#message-input").press_sequentially("me too", delay=20)
    expect(ann.locator("#typing")).to_have_text("bob and cat are typing…")

    # bob's message arrives: he is no longer typing, cat still is.
    bob.press("#message-input", "Enter")
    expect(message(ann, "hello there, how is everyone today")).to_have_count(1)
    expect(ann.locator("#typing")).to_have_text("cat is typing…")

    # cat stops without sending: cleared after a few seconds.
    expect(ann.locator("#typing")).to_be_empty(timeout=12_000)


# --- 11. keyboard ----------------------------------------------------------------------


def test_keyboard_enter_sends_shift_enter_adds_a_line(open_page):
    room = fresh_room_name("keys")
    ann = open_page("/")
    create_room(ann, "ann", room)
    log = ann.get_by_role("log", name="Messages")
    expect(log).to_be_visible()

    box = ann.locator("#message-input")
    box.focus()
    ann.keyboard.type("first line")
    ann.keyboard.press("Shift+Enter")
    ann.keyboard.type("second line")
    expect(box).to_have_value("first line\nsecond line")
    ann.keyboard.press("Enter")
    expect(box).to_have_value("")
    expect(box).to_be_focused()
    expect(log.locator(".msg-text").filter(has_text="first line")).to_have_text("first line\nsecond line")

    # Enter on an empty box sends nothing and says why.
    ann.keyboard.press("Enter")
    expect(ann.locator("#composer-error")).to_have_text("Type a message first.")
    expect(ann.locator(".msg")).to_have_count(1)

    # The emoji picker is reachable and closable from the keyboard.
    ann.keyboard.press("Tab")
    expect(ann.get_by_role("button", name="Insert emoji")).to_be_focused()
    ann.keyboard.press("Enter")
    expect(ann.locator("emoji-picker")).to_be_visible()
    ann.keyboard.press("Escape")
    expect(ann.locator("emoji-picker")).to_be_hidden()
    expect(box).to_be_focused()
