"""A newcomer whose display name is taken in the room they pick, in headless Chromium:
they are told plainly that they are not in yet, cannot type into the void, and pick
another name right there."""

import json
import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import axe_violations, create_room, fresh_room_name, message, send

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def pick_room_in_lobby(page, username: str, room: str) -> None:
    """From the lobby: type a display name and click the room's card, as a newcomer does."""
    page.get_by_label("Display name").fill(username)
    page.locator(f"button[name=enter][value='{room}']").click()
    expect(page).to_have_url(re.compile(rf"/r/{re.escape(room)}/$"))


def gate_of(page):
    return page.locator("#name-gate")


def expect_outside(page, taken: str) -> None:
    """What the page says and allows when the name `taken` kept them out."""
    gate = gate_of(page)
    expect(gate).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="You are not in this room yet")).to_contain_text(
        f"already called \u201c{taken}\u201d"
    )
    expect(gate.get_by_label("Display name")).to_be_focused()
    expect(page.locator("#message-input")).to_be_disabled()
    expect(page.locator("#message-input")).to_have_attribute("placeholder", re.compile("pick a display name"))
    expect(page.locator("#send-button")).to_be_disabled()
    expect(page.get_by_role("button", name="Insert emoji")).to_be_disabled()
    # Nobody's list is shown, and not "Online 0" either: we do not know who is there.
    expect(page.locator("#member-list .member")).to_have_count(0)
    expect(page.locator("#member-count")).to_be_hidden()
    expect(page.locator("#member-note")).to_have_text("Join the room to see who is here.")


def test_a_taken_name_is_told_and_another_is_picked_right_there(open_page):
    room = fresh_room_name("taken")
    first = open_page("/")
    create_room(first, "Zed", room)
    second = open_page("/")
    pick_room_in_lobby(second, "zed", room)

    expect_outside(second, "zed")
    expect(gate_of(second).get_by_label("Display name")).to_have_value("zed")
    # Nothing can be typed into the void, and nothing waits as "sending…".
    expect(second.locator(".msg.pending")).to_have_count(0)
    expect(first.locator("#member-list .member")).to_have_count(1)

    # A name the server does not allow is answered next to the field, which keeps the focus.
    field = gate_of(second).get_by_label("Display name")
    field.fill("zed\u202e")
    field.press("Enter")
    error = second.locator("#name-gate-error")
    expect(error).to_have_text(re.compile("direction-changing characters"))
    expect(error).to_have_attribute("role", "alert")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    expect(second.locator("#message-input")).to_be_disabled()
    # The same name in other letters is still taken.
    field.fill("ZED")
    field.press("Enter")
    expect(error).to_have_text("Someone in this room is already called \u201cZED\u201d.")
    # So is a look-alike: a Cyrillic "е", fullwidth letters, a hidden joiner inside.
    for look_alike in ["z\u0435d", "\uff5a\uff45\uff44"]:
        field.fill(look_alike)
        field.press("Enter")
        expect(error).to_have_text(f"Someone in this room is already called \u201c{look_alike}\u201d.")
    field.fill("z\u2060ed")
    field.press("Enter")
    expect(error).to_have_text(re.compile("invisible"))
    # A name that shows nothing, or one that could pass for the server's own notices, is refused too.
    field.fill("\u3164")
    field.press("Enter")
    expect(error).to_have_text("Pick a display name people can see.")
    field.fill("S\u0443stem")
    field.press("Enter")
    expect(error).to_have_text("That name is kept for chatsite's own notices. Pick another.")
    expect(first.locator("#member-list .member")).to_have_count(1)
    report = {"name refused": axe_violations(second)}

    field.fill("zed2")
    field.press("Enter")
    expect(gate_of(second)).to_be_hidden()
    for page in (first, second):
        expect(page.locator("#member-list .member")).to_have_count(2)
        expect(page.locator("#member-list")).to_contain_text("Zed")
        expect(page.locator("#member-list")).to_contain_text("zed2")
    expect(second.locator("#member-count")).to_have_text("2")
    expect(second.locator("#message-input")).to_be_enabled()
    expect(second.locator("#message-input")).to_be_focused()
    send(second, "hello, I am the other zed")
    expect(message(first, "hello, I am the other zed")).to_have_count(1)
    expect(message(first, "hello, I am the other zed").locator(".msg-author")).to_have_text("zed2")
    report["joined"] = axe_violations(second)
    problems = {key: value for key, value in report.items() if value}
    assert problems == {}, json.dumps(problems, indent=2, ensure_ascii=False)


def test_a_message_sent_before_the_refusal_comes_back_into_the_box(open_page):
    """The refusal takes a moment to arrive; what was sent meanwhile is kept, not lost."""
    room = fresh_room_name("taken-early")
    first = open_page("/")
    create_room(first, "Zed", room)
    second = open_page("/")
    second.get_by_label("Display name").fill("zed")
    hold = {"on": True, "frames": [], "send": None}

    def between(ws):
        server = ws.connect_to_server()
        ws.on_message(server.send)
        hold["send"] = ws.send
        server.on_message(
            lambda frame: (
                hold["frames"].append(frame) if hold["on"] and "username_taken" in str(frame) else ws.send(frame)
            )
        )

    second.route_web_socket(re.compile(r"/ws/chat/$"), between)
    second.locator(f"button[name=enter][value='{room}']").click()
    expect(second.locator("#connection-status")).to_have_text("Connected")
    send(second, "typed while joining")
    expect(second.locator(".msg.pending")).to_have_count(1)
    hold["on"] = False
    for frame in hold["frames"]:
        hold["send"](frame)

    expect_outside(second, "zed")
    expect(second.locator(".msg.pending")).to_have_count(0)
    expect(second.locator("#message-input")).to_have_value("typed while joining")
    field = gate_of(second).get_by_label("Display name")
    field.fill("zed-too")
    field.press("Enter")
    expect(second.locator("#message-input")).to_be_enabled()
    expect(second.locator("#message-input")).to_have_value("typed while joining")
    second.locator("#message-input").press("Enter")
    expect(message(first, "typed while joining")).to_have_count(1)


def test_the_name_gate_fits_a_phone(open_page):
    room = fresh_room_name("taken-phone")
    first = open_page("/")
    create_room(first, "Zed", room)
    second = open_page("/", viewport=PHONE, has_touch=True)
    pick_room_in_lobby(second, "zed", room)
    expect_outside(second, "zed")
    for control in (gate_of(second).get_by_label("Display name"), gate_of(second).get_by_role("button", name="Join")):
        expect(control).to_be_in_viewport()
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert second.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(second) == []
