"""What is left on the page of someone removed from a room, in headless Chromium: one
clear state (why, until when in their own time, the way out) and nothing of being in
the room: no slow-mode countdown, no edit or delete buttons, no owner controls. And a
site ban says "Banned", not "Offline"."""

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import (
    DEVICES,
    admin_action,
    ann_and_bob,
    axe_violations,
    create_room,
    enter_room,
    fresh_room_name,
    message,
    send,
    show_members,
    within_width,
)

pytestmark = pytest.mark.browser


def expect_nothing_of_the_room_left(page, text: str) -> None:
    """Out of the room: composer off, no countdown, no Wait button, no controls on `text`."""
    expect(page.locator("#message-input")).to_be_disabled()
    expect(page.locator("#send-button")).to_be_disabled()
    expect(page.locator("#send-button")).to_have_text("Send")
    expect(page.get_by_role("button", name="Insert emoji")).to_be_disabled()
    expect(page.get_by_role("button", name=re.compile(r"^Wait"))).to_have_count(0)
    expect(page.locator("#composer-status")).to_be_empty()
    expect(page.get_by_text(re.compile(r"Slow mode|wait \d+ s")).filter(visible=True)).to_have_count(0)
    expect(message(page, text)).to_have_count(1)  # still there to read
    expect(message(page, text).locator(".msg-actions").get_by_role("button")).to_have_count(0)  # no Edit, no Delete
    expect(page.get_by_role("group", name="Room owner controls")).to_be_hidden()
    expect(page.locator("#member-list").get_by_role("button", name=re.compile(r"^Remove "))).to_have_count(0)
    expect(page.locator("#room-state")).to_be_hidden()


@pytest.mark.parametrize("device", DEVICES)
def test_a_member_kicked_in_slow_mode_keeps_no_countdown_and_no_controls(open_page, device):
    room, ann, bob = ann_and_bob(open_page, "kick-slow", **device)
    ann.get_by_label("Slow mode").select_option("10")
    expect(bob.locator("#room-state")).to_contain_text("Slow mode 10 s")
    send(bob, "my first word")
    expect(message(ann, "my first word")).to_have_count(1)
    send(bob, "and a second, too soon")
    expect(bob.locator("#composer-status")).to_contain_text(re.compile(r"Slow mode is on \(10 s\).*wait \d+ s"))
    expect(bob.get_by_role("button", name=re.compile(r"^Wait \d+ s$"))).to_be_visible()
    expect(message(bob, "my first word").get_by_role("button", name="Edit message")).to_be_visible()
    expect(message(bob, "my first word").get_by_role("button", name="Delete message")).to_be_visible()

    show_members(ann)
    ann.get_by_role("button", name="Remove bob from the room").click()

    notice = bob.locator("#room-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("You were removed from this room by its owner or a moderator.")
    expect(notice).to_contain_text(re.compile(r"You can come back after .*\d{2}:\d{2}"))
    expect(notice.get_by_role("link", name="Back to the lobby")).to_be_focused()
    within_width(bob, notice)
    expect_nothing_of_the_room_left(bob, "my first word")
    expect(bob.locator("#message-input")).to_have_value("and a second, too soon")  # kept, not lost
    expect(bob.locator("#member-note")).to_have_text("You are not in this room.")
    expect(bob.locator("#connection-status")).to_have_text("Connected")  # the socket is fine
    # The countdown does not come back by itself either.
    bob.wait_for_timeout(600)
    expect(bob.locator("#composer-status")).to_be_empty()
    assert axe_violations(bob) == []


def test_a_room_owner_whose_room_is_closed_keeps_no_owner_controls(open_page, moderator):
    room, ann, bob = ann_and_bob(open_page, "closed-owner")
    send(bob, "a message the owner could delete")
    owned = message(ann, "a message the owner could delete")
    expect(owned.get_by_role("button", name="Delete message")).to_be_visible()
    ann.get_by_role("button", name="Lock room").click()
    expect(ann.locator("#room-state")).to_contain_text("Locked")

    admin_action(moderator, "room", room, "close_rooms")
    moderator.get_by_label("Reason").fill("Moving elsewhere")
    moderator.get_by_role("button", name="Close the rooms").click()

    expect(ann.locator("#room-notice")).to_contain_text("A moderator closed this room: \u201cMoving elsewhere\u201d.")
    expect_nothing_of_the_room_left(ann, "a message the owner could delete")


def local_end(until: datetime, zone: str) -> re.Pattern:
    """How an en-US page in `zone` writes `until`: "Thursday, December 3 at 06:00 PM EST"."""
    local = until.astimezone(ZoneInfo(zone))
    date = rf"{local:%A}, {local:%B} {local.day}(, {local.year})?"
    return re.compile(rf"{date}(,| at) {local:%I:%M}\s{local:%p} (EST|EDT|GMT-[45])")


def test_a_room_ban_ends_in_the_banned_persons_own_time(open_page, moderator):
    room = fresh_room_name("ban-local")
    ann = open_page("/")
    create_room(ann, "ann", room)
    bob = open_page("/", timezone_id="America/New_York", locale="en-US")
    enter_room(bob, "bob", room)
    text = f"something rude in {room}"
    send(bob, text)
    expect(message(ann, text)).to_have_count(1)

    until = (datetime.now(UTC) + timedelta(days=2)).replace(hour=23, minute=0, second=0, microsecond=0)
    moderator.goto(f"/admin/rooms/message/?q={text}")
    moderator.get_by_role("link", name=re.compile(r"^ban bob")).click()
    moderator.fill("#id_until_0", f"{until:%Y-%m-%d}")  # the admin's times are UTC (TIME_ZONE)
    moderator.fill("#id_until_1", f"{until:%H:%M:%S}")
    moderator.fill("#id_reason", "spamming links")
    moderator.click("input[name=_save]")
    expect(moderator.locator(".messagelist")).to_be_visible()

    notice = bob.locator("#room-notice")
    expect(notice).to_contain_text("You are banned from this room until")
    expect(notice).to_contain_text(local_end(until, "America/New_York"))
    expect(notice).to_contain_text("The moderator\u2019s note: \u201cspamming links\u201d.")
    expect(notice).not_to_contain_text("UTC")
    expect(notice).not_to_contain_text(f"{until:%H:%M}")  # 23:00 UTC is 6 PM in New York
    expect(notice.get_by_role("link", name="Back to the lobby")).to_be_visible()
    expect_nothing_of_the_room_left(bob, text)
    expect(ann.locator(".notice").filter(has_text="bob was removed")).to_have_count(1)


@pytest.mark.parametrize("device", DEVICES)
def test_a_site_ban_says_banned_not_offline_and_offers_no_reconnecting(open_page, moderator, device):
    room, ann, bob = ann_and_bob(open_page, "site-ban", **device)
    text = f"spam for the whole site {room}"
    send(bob, text)
    expect(message(ann, text)).to_have_count(1)
    sockets = []
    bob.on("websocket", lambda ws: sockets.append(ws.url))

    admin_action(moderator, "message", text, "ban_authors_from_site")
    expect(moderator.locator(".messagelist")).to_contain_text("Banned: 1.")

    status = bob.locator("#connection-status")
    expect(status).to_have_text("Banned")
    expect(status).to_be_in_viewport()
    notice = bob.locator("#room-notice")
    within_width(bob, notice)
    expect(notice).to_contain_text("You are banned from chatsite. The ban has no end date.")
    expect(notice).to_contain_text("\u201cmessage ")  # the moderator's note: which message it was about
    expect(notice).not_to_contain_text(re.compile(r"reconnect|reload|try again", re.I))
    expect_nothing_of_the_room_left(bob, text)

    # The network coming and going changes nothing: no new socket, still "Banned".
    bob.evaluate("window.dispatchEvent(new Event('offline'))")
    expect(status).to_have_text("Banned")
    bob.evaluate("window.dispatchEvent(new Event('online'))")
    bob.wait_for_timeout(1000)
    expect(status).to_have_text("Banned")
    assert sockets == []
    report = {}
    for scheme in ("light", "dark"):
        bob.emulate_media(color_scheme=scheme)
        report[scheme] = axe_violations(bob)
    problems = {key: value for key, value in report.items() if value}
    assert problems == {}, json.dumps(problems, indent=2, ensure_ascii=False)
