"""Room owners and moderators in headless Chromium: kick, lock, slow mode, deletions, closing a room."""

import json
import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import (
    admin_action,
    ann_and_bob,
    axe_violations,
    create_room,
    enter_room,
    fresh_room_name,
    message,
    send,
)

pytestmark = pytest.mark.browser


def test_owner_locks_and_unlocks_and_everyone_sees_the_state(open_page):
    room, ann, bob = ann_and_bob(open_page, "lock")

    owner_controls = ann.get_by_role("group", name="Room owner controls")
    expect(owner_controls).to_be_visible()
    expect(bob.get_by_role("group", name="Room owner controls")).to_be_hidden()
    expect(bob.locator("#member-list").get_by_role("button", name=re.compile(r"^Remove "))).to_have_count(0)

    owner_controls.get_by_role("button", name="Lock room").click()
    for page in (ann, bob):
        expect(page.locator("#room-state")).to_be_visible()
        expect(page.locator("#room-state")).to_contain_text("Locked")
        expect(page.locator(".notice").filter(has_text="The room is now locked.")).to_have_count(1)
    expect(bob.locator("#message-input")).to_be_disabled()
    expect(bob.locator("#send-button")).to_be_disabled()
    expect(ann.locator("#message-input")).to_be_enabled()
    expect(owner_controls.get_by_role("button", name="Unlock room")).to_have_attribute("aria-pressed", "true")

    send(ann, "only the owner speaks now")
    expect(message(bob, "only the owner speaks now")).to_have_count(1)

    owner_controls.get_by_role("button", name="Unlock room").click()
    expect(bob.locator("#room-state")).to_be_hidden()
    expect(bob.locator("#message-input")).to_be_enabled()
    send(bob, "thanks for opening up")
    expect(message(ann, "thanks for opening up")).to_have_count(1)

    # A page that joins later sees the state too.
    owner_controls.get_by_role("button", name="Lock room").click()
    expect(bob.locator("#room-state")).to_contain_text("Locked")
    cat = open_page("/")
    enter_room(cat, "cat", room)
    expect(cat.locator("#room-state")).to_contain_text("Locked")
    expect(cat.locator("#message-input")).to_be_disabled()


def test_slow_mode_counts_down_and_keeps_the_text(open_page):
    room, ann, bob = ann_and_bob(open_page, "slow")

    ann.get_by_label("Slow mode").select_option("5")
    for page in (ann, bob):
        expect(page.locator("#room-state")).to_contain_text("Slow mode 5 s")

    send(bob, "first, right away")
    expect(message(ann, "first, right away")).to_have_count(1)
    send(bob, "second, too soon")

    status = bob.locator("#composer-status")
    expect(status).to_contain_text(re.compile(r"wait [1-5] s"))
    expect(status).to_contain_text("Slow mode")
    expect(bob.locator("#message-input")).to_have_value("second, too soon")  # nothing lost
    expect(bob.locator("#send-button")).to_be_disabled()
    expect(message(bob, "second, too soon")).to_have_count(0)
    expect(bob.locator(".msg.pending")).to_have_count(0)

    # Enter during the countdown sends nothing and keeps the text.
    bob.press("#message-input", "Enter")
    expect(bob.locator("#message-input")).to_have_value("second, too soon")

    # The countdown ends by itself; then the same text goes out once.
    expect(status).to_be_empty(timeout=8_000)
    expect(bob.locator("#send-button")).to_be_enabled()
    bob.press("#message-input", "Enter")
    expect(message(ann, "second, too soon")).to_have_count(1)
    expect(message(bob, "second, too soon")).to_have_count(1)
    expect(bob.locator("#message-input")).to_have_value("")

    # The owner is exempt from slow mode.
    send(ann, "owner one")
    send(ann, "owner two")
    expect(message(bob, "owner two")).to_have_count(1)
    expect(ann.locator("#composer-status")).to_be_empty()

    ann.get_by_label("Slow mode").select_option("0")
    expect(bob.locator("#room-state")).to_be_hidden()


def test_owner_kicks_a_member_who_is_told_and_offered_the_lobby(open_page):
    room, ann, bob = ann_and_bob(open_page, "kick")
    bob.fill("#message-input", "half-typed thought")

    ann.get_by_role("button", name="Remove bob from the room").click()

    notice = bob.locator("#room-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("removed from this room")
    expect(bob.locator("#message-input")).to_be_disabled()
    expect(bob.locator("#message-input")).to_have_value("half-typed thought")
    expect(bob.locator("#member-list .member")).to_have_count(0)

    expect(ann.locator(".notice").filter(has_text="bob was removed")).to_have_count(1)
    expect(ann.locator("#member-list .member")).to_have_count(1)

    # A reconnect does not sneak bob back in.
    bob.evaluate("window.dispatchEvent(new Event('online'))")
    bob.wait_for_timeout(500)
    expect(ann.locator("#member-list .member")).to_have_count(1)

    notice.get_by_role("link", name="Back to the lobby").click()
    expect(bob).to_have_url(re.compile(r"/$"))


def test_owner_deletes_any_message_and_it_becomes_a_placeholder(open_page):
    room, ann, bob = ann_and_bob(open_page, "owner-del")
    send(bob, "something rude")
    send(bob, "something fine")
    expect(message(ann, "something rude")).to_have_count(1)

    # The owner gets a delete control on others' messages, but no edit control.
    rude = message(ann, "something rude")
    expect(rude.get_by_role("button", name="Edit message")).to_have_count(0)
    rude.get_by_role("button", name="Delete message").click()
    ann.get_by_role("dialog", name="Delete bob’s message?").get_by_role("button", name="Delete", exact=True).click()
    for page in (ann, bob):
        expect(page.locator(".msg-removed")).to_have_count(1)
        expect(page.locator(".msg-removed")).to_have_text("Message removed by a moderator")
        expect(message(page, "something rude")).to_have_count(0)
        expect(message(page, "something fine")).to_have_count(1)
    # bob is not the owner: no delete control on ann's messages.
    send(ann, "owner speaking")
    expect(message(bob, "owner speaking").get_by_role("button", name="Delete message")).to_have_count(0)


def test_a_refused_action_is_explained_next_to_the_composer(open_page):
    """The owner's page still lists bob after he left (his leave never reached it): removing him is refused."""
    room, ann, bob = ann_and_bob(open_page, "stale")
    expect(ann.get_by_role("button", name="Remove bob from the room")).to_be_visible()

    hold = {"on": False}

    def between(ws):
        server = ws.connect_to_server()
        ws.on_message(server.send)
        server.on_message(lambda frame: None if hold["on"] and '"member_list"' in str(frame) else ws.send(frame))

    ann.route_web_socket(re.compile(r"/ws/chat/$"), between)
    ann.reload()
    expect(ann.locator("#connection-status")).to_have_text("Connected")
    expect(ann.get_by_role("button", name="Remove bob from the room")).to_be_visible()
    hold["on"] = True
    bob.close()
    expect(ann.locator(".notice").filter(has_text="bob left")).to_have_count(1)
    expect(ann.get_by_role("button", name="Remove bob from the room")).to_be_visible()  # stale, on purpose

    ann.get_by_role("button", name="Remove bob from the room").click()
    expect(ann.locator("#composer-error")).to_be_visible()
    expect(ann.locator("#composer-error")).not_to_be_empty()
    expect(ann.get_by_role("button", name="Remove bob from the room")).to_be_enabled()
    expect(ann.locator("#connection-status")).to_have_text("Connected")


def test_moderator_removals_and_closing_reach_open_pages(open_page, moderator):
    room, ann, bob = ann_and_bob(open_page, "closing")
    send(ann, "spam spam spam")
    send(ann, "a fine message")
    expect(message(bob, "spam spam spam")).to_have_count(1)

    admin_action(moderator, "message", "spam spam spam", "remove_messages")
    for page in (ann, bob):
        expect(page.locator(".msg-removed")).to_have_text("Message removed by a moderator")
        expect(message(page, "spam spam spam")).to_have_count(0)
        expect(message(page, "a fine message")).to_have_count(1)

    admin_action(moderator, "room", room, "clear_history")
    moderator.get_by_role("button", name="Clear the history").click()  # the confirmation page
    for page in (ann, bob):
        expect(page.locator(".msg")).to_have_count(0)
        expect(page.locator(".notice").filter(has_text="cleared the history")).to_have_count(1)

    admin_action(moderator, "room", room, "close_rooms")
    moderator.get_by_label("Reason").fill("Closed for audit testing")
    moderator.get_by_role("button", name="Close the rooms").click()
    for page in (ann, bob):
        notice = page.locator("#room-notice")
        expect(notice).to_be_visible()
        # The moderator's words as a quote after a sentence of ours, not spliced into it.
        expect(notice).to_contain_text("A moderator closed this room: \u201cClosed for audit testing\u201d.")
        expect(notice).not_to_contain_text("This room was")
        expect(page.locator("#message-input")).to_be_disabled()
        expect(notice.get_by_role("link", name="Back to the lobby")).to_be_visible()


# --- accessibility of the behaviour states ------------------------------------------


def test_owner_controls_edit_mode_picker_and_notices_are_accessible(open_page):
    room, ann, bob = ann_and_bob(open_page, "a11y")
    send(ann, "hello @bob, see https://example.com")
    send(bob, "🎉")
    ann.get_by_role("button", name="Lock room").click()
    ann.get_by_label("Slow mode").select_option("10")
    expect(bob.locator("#room-state")).to_contain_text("Slow mode 10 s")
    message(ann, "hello @bob, see https://example.com").get_by_role("button", name="Edit message").click()
    expect(ann.get_by_role("textbox", name="Edit message")).to_be_focused()

    report = {}
    for scheme in ("light", "dark"):
        for who, page in (("owner editing", ann), ("member, room locked", bob)):
            page.emulate_media(color_scheme=scheme)
            report[f"{who}/{scheme}"] = axe_violations(page)
    ann.get_by_role("textbox", name="Edit message").press("Escape")
    ann.get_by_role("button", name="Insert emoji").click()
    expect(ann.locator("emoji-picker")).to_be_visible()
    report["emoji picker open"] = axe_violations(ann)
    ann.keyboard.press("Escape")
    ann.get_by_role("button", name="Remove bob from the room").click()
    expect(bob.locator("#room-notice")).to_be_visible()
    for scheme in ("light", "dark"):
        bob.emulate_media(color_scheme=scheme)
        report[f"removed member/{scheme}"] = axe_violations(bob)
    problems = {key: value for key, value in report.items() if value}
    assert problems == {}, json.dumps(problems, indent=2, ensure_ascii=False)


def test_owner_controls_and_composer_fit_a_phone(open_page):
    room = fresh_room_name("phone")
    phone = {"width": 360, "height": 740}
    ann = open_page("/", viewport=phone)
    create_room(ann, "ann", room)
    ann.get_by_label("Slow mode").select_option("30")
    ann.get_by_role("button", name="Lock room").click()
    expect(ann.locator("#room-state")).to_contain_text("Slow mode 30 s")
    send(ann, "a long line " * 30)
    for control in (
        ann.get_by_role("button", name="Unlock room"),
        ann.get_by_label("Slow mode"),
        ann.get_by_role("button", name="Insert emoji"),
        ann.get_by_role("button", name="Send"),
        ann.locator("#room-state"),
    ):
        expect(control).to_be_in_viewport()
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= phone["width"], box
    assert ann.evaluate("document.documentElement.scrollWidth") <= phone["width"]
