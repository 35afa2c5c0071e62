"""Direct messages in Chromium: ann writes to bob while carol watches, on real daphne.

Carol's page records every WebSocket frame it receives; bob's replaces the
browser's Notification with one that records what it was asked to show (the
page's own code decides when to ask).
"""

import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import (
    create_room,
    enter_room,
    fresh_room_name,
    message,
    pick,
    record_frames,
    send,
    show_members,
)

pytestmark = pytest.mark.browser

RECORD_NOTIFICATIONS = """
window.__notes = [];
window.Notification = class {
  constructor(title, options) { window.__notes.push({ title, body: (options || {}).body || "" }); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
};
localStorage.setItem("chatsite:notify", "on");
"""


def test_ann_writes_to_bob_carol_sees_nothing_bob_replies_and_blocks(open_page):
    room = fresh_room_name("dm")
    carol = open_page("/")
    carol_frames = record_frames(carol)
    ann = open_page("/")
    bob = open_page("/")
    bob.add_init_script(RECORD_NOTIFICATIONS)
    carol.goto("/")
    create_room(carol, "carol", room)
    for page, name in ((ann, "ann"), (bob, "bob")):
        page.goto("/")
        enter_room(page, name, room)

    # ann opens a conversation with bob from the member list: the page switches there, no reload.
    ann.evaluate("() => { window.__samePage = true; }")
    show_members(ann)
    ann.get_by_role("button", name="Message bob").click()
    expect(ann).to_have_url(re.compile(r"/r/_[0-9a-f]{30}/$"))
    conversation = ann.url.rstrip("/").rsplit("/", 1)[1]
    expect(ann.locator("#room-title")).to_have_text("bob")
    assert ann.evaluate("() => window.__samePage === true")
    ann_section = ann.get_by_role("region", name="Direct messages")
    expect(ann_section.locator("a[aria-current=page]")).to_contain_text("bob")

    # bob has it in his sidebar, with ann's face and online dot; he goes to #tech.
    bob_section = bob.get_by_role("region", name="Direct messages")
    expect(bob_section).to_contain_text("ann")
    expect(bob_section.locator(".online-dot.online")).to_have_count(1)
    pick(bob, "#Tech")
    expect(bob.locator("#room-title")).to_have_text("Tech")

    send(ann, "hi bob, just us")
    expect(message(ann, "hi bob, just us")).to_be_visible()
    # bob, in #tech: a badge on the conversation, the count in the tab title, a notification naming ann.
    expect(bob_section.locator(".unread-badge")).to_have_text("1")
    expect(bob).to_have_title(re.compile(r"^\(1\) "))
    bob.wait_for_function("() => window.__notes.length === 1")
    assert bob.evaluate("() => window.__notes[0].title") == "ann sent you a message"
    assert "just us" not in bob.evaluate("() => JSON.stringify(window.__notes)")

    # ann's second device (another tab of her browser) is in the room they met in.
    ann2 = ann.context.new_page()
    ann2.goto(f"/r/{room}/")
    expect(ann2.locator("#connection-status")).to_have_text("Connected")
    ann2_section = ann2.get_by_role("region", name="Direct messages")
    expect(ann2_section).to_contain_text("bob")

    # bob opens it: "New messages" above ann's message, the badge and the title count gone; he replies.
    bob.evaluate("() => { window.__samePage = true; }")
    pick(bob, "ann")
    expect(bob).to_have_url(f"{bob.url.split('/r/')[0]}/r/{conversation}/")
    expect(message(bob, "hi bob, just us").locator(".unread-divider")).to_have_text("New messages")
    expect(bob_section.locator(".unread-badge")).to_have_count(0)
    expect(bob).not_to_have_title(re.compile(r"^\(\d+\) "))
    assert bob.evaluate("() => window.__samePage === true")
    send(bob, "hello ann")

    # ann's first device shows the reply; her second counts it, then opens it and it is read on both.
    expect(message(ann, "hello ann")).to_be_visible()
    pick(ann2, "bob")
    expect(message(ann2, "hello ann")).to_be_visible()
    expect(ann2_section.locator(".unread-badge")).to_have_count(0)
    expect(ann_section.locator(".unread-badge")).to_have_count(0)

    # carol saw nothing of it: no frame, nothing on the page.
    carol.wait_for_timeout(300)
    assert carol_frames, "carol's page heard its room"
    assert not [f for f in carol_frames if conversation in f or "just us" in f or "hello ann" in f]
    expect(carol.get_by_role("region", name="Direct messages").locator("li")).to_have_count(0)
    expect(carol.locator("#sidebar")).not_to_contain_text("ann, ")
    # Nor can she get in by its address: the lobby says there is no such room.
    carol.goto(f"/r/{conversation}/")
    expect(carol.locator("body")).to_contain_text("No room called")
    expect(carol.locator("body")).not_to_contain_text("hi bob")

    # bob blocks ann from her message's card; ann is refused, and told so.
    message(bob, "hi bob, just us").get_by_role("button", name="ann").click()
    bob.get_by_role("dialog", name="ann").get_by_role("button", name="Block").click()
    expect(bob.get_by_role("dialog", name="ann")).to_be_hidden()
    expect(message(bob, "hi bob, just us")).to_be_hidden()
    send(ann, "are you there?")
    expect(ann.locator("#composer-error")).to_have_text("This person does not accept your messages.")
    expect(message(bob, "are you there?")).to_have_count(0)
