"""The person's own stream in Chromium, live: room unread counts, online dots, and what a block hides.

Real daphne (the session's chat server), real pages; each person is a browser profile of their own.
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
    send,
    show_members,
    wait_in_room,
)

pytestmark = pytest.mark.browser

# A second socket of the page's own person (same cookies), for what the page offers no button for
# (a group conversation): it joins `room`, opens a conversation with `names`, and says which.
OPEN_GROUP = """
([room, names]) => new Promise((resolve, reject) => {
  const ws = new WebSocket(`ws://${location.host}/ws/chat/`);
  const send = (event, data) => ws.send(JSON.stringify({ event, data }));
  ws.onopen = () => send("join_room", { room_name: room });
  ws.onmessage = (e) => {
    const { event, data } = JSON.parse(e.data);
    if (event === "join_confirm") send("open_direct", { usernames: names });
    if (event === "direct_opened") { ws.close(); resolve(data.room); }
    if (event === "error") reject(new Error(data.code));
  };
})
"""


def room_badge(page, room: str):
    return page.locator(f"#sidebar-rooms li[data-room='{room}'] .unread-badge")


def test_a_rooms_count_goes_up_live_in_the_sidebar_and_clears_on_both_devices(open_page):
    ann = open_page("/")
    enter_room(ann, "ann", "general")
    bob = open_page("/")
    enter_room(bob, "bob", "general")  # bob has been in #general: he belongs to it
    bob.evaluate("() => { window.__samePage = true; }")
    pick(bob, "#Tech")
    expect(bob.locator("#room-title")).to_have_text("Tech")
    bob2 = bob.context.new_page()  # his second device, also reading #tech
    bob2.goto("/r/tech/")
    expect(bob2.locator("#connection-status")).to_have_text("Connected")

    send(ann, "one for the absent")
    expect(room_badge(bob, "general")).to_have_text("1")
    send(ann, "two for the absent")
    send(ann, "three for the absent")
    expect(room_badge(bob, "general")).to_have_text("3")
    expect(room_badge(bob2, "general")).to_have_text("3")
    expect(bob).to_have_title(re.compile(r"^\(3\) "))
    assert bob.evaluate("() => window.__samePage === true"), "the count came without a reload"

    # bob goes there: the messages, a divider above the first unread, the count gone on both devices.
    pick(bob, "#General")
    expect(message(bob, "three for the absent")).to_be_visible()
    expect(message(bob, "one for the absent").locator(".unread-divider")).to_have_text("New messages")
    expect(room_badge(bob, "general")).to_have_count(0)
    expect(bob).not_to_have_title(re.compile(r"^\(\d+\) "))
    expect(room_badge(bob2, "general")).to_have_count(0)
    expect(bob2).not_to_have_title(re.compile(r"^\(\d+\) "))


def test_online_dots_follow_the_other_person_without_a_reload(open_page):
    room = fresh_room_name("dots")
    ann = open_page("/")
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
    show_members(ann)
    ann.get_by_role("button", name="Message bob").click()
    expect(ann).to_have_url(re.compile(r"/r/_[0-9a-f]{30}/$"))

    bob.evaluate("() => { window.__samePage = true; }")
    dm = bob.get_by_role("region", name="Direct messages").locator("li", has_text="ann")
    expect(dm.locator(".online-dot.online")).to_have_count(1)
    expect(dm).to_contain_text("(online: ann)")

    ann_context = ann.context
    ann.close()  # her only socket: she goes offline
    expect(dm.locator(".online-dot.online")).to_have_count(0)
    expect(dm).to_contain_text("(offline)")

    back = ann_context.new_page()
    back.goto(f"/r/{room}/")
    wait_in_room(back, "ann", room)
    expect(dm.locator(".online-dot.online")).to_have_count(1)
    expect(dm).to_contain_text("(online: ann)")
    assert bob.evaluate("() => window.__samePage === true"), "the dots changed without a reload"


def test_a_blocked_persons_messages_are_hidden_live_in_history_and_in_a_group(open_page):
    room = fresh_room_name("blk")
    ann, bob, carol = open_page("/"), open_page("/"), open_page("/")
    create_room(ann, "ann", room)
    for page, name in ((bob, "bob"), (carol, "carol")):
        enter_room(page, name, room)
    group = ann.evaluate(OPEN_GROUP, [room, ["bob", "carol"]])

    send(ann, "before the block")
    expect(message(bob, "before the block")).to_be_visible()
    message(bob, "before the block").get_by_role("button", name="ann").click()
    bob.get_by_role("dialog", name="ann").get_by_role("button", name="Block").click()
    expect(message(bob, "before the block")).to_be_hidden()

    # Live: carol sees ann's next message; bob's page, which got it too, does not show it.
    send(ann, "after the block")
    send(carol, "carol was here")
    expect(message(carol, "after the block")).to_be_visible()
    expect(message(bob, "carol was here")).to_be_visible()
    expect(message(bob, "after the block")).to_be_hidden()
    # History: a reload shows carol's message, neither of ann's.
    bob.reload()
    wait_in_room(bob, "bob", room)
    expect(message(bob, "carol was here")).to_be_visible()
    expect(message(bob, "before the block")).to_be_hidden()
    expect(message(bob, "after the block")).to_be_hidden()

    # carol answers ann: bob sees carol's reply, but not what it quotes; the quote says why.
    message(carol, "after the block").hover()
    message(carol, "after the block").get_by_role("button", name="Reply to this message").click()
    send(carol, "carol answers ann")
    reply = message(bob, "carol answers ann")
    expect(reply).to_be_visible()
    expect(reply.locator(".msg-quote")).to_contain_text("a message from someone you blocked")
    expect(reply.locator(".msg-quote .quote-text")).to_be_hidden()
    assert "after the block" not in reply.inner_text()
    expect(message(carol, "carol answers ann").locator(".msg-quote")).to_contain_text("ann:after the block")

    # A group conversation: ann may write there; carol sees it, bob does not, nor is it counted for him.
    pick(ann, "bob, carol")
    expect(ann).to_have_url(re.compile(rf"/r/{group}/$"))
    send(ann, "ann in the group")
    expect(message(ann, "ann in the group")).to_be_visible()
    group_link = bob.get_by_role("region", name="Direct messages").locator("li", has_text="ann")
    carol_link = carol.get_by_role("region", name="Direct messages").locator("li", has_text="ann")
    expect(carol_link.locator(".unread-badge")).to_have_text("1")
    pick(carol, "ann, bob")
    expect(message(carol, "ann in the group")).to_be_visible()
    send(carol, "carol in the group")
    expect(group_link.locator(".unread-badge")).to_have_text("1")  # carol's message only
    pick(bob, "ann, carol")
    expect(message(bob, "carol in the group")).to_be_visible()
    expect(message(bob, "ann in the group")).to_be_hidden()


SEED_CONVERSATIONS = """
from datetime import timedelta
from django.utils import timezone
from rooms.models import Membership, Presence, Room
from rooms.rules import new_direct_name

def key_of(name):
    return Presence.objects.filter(room__key={room!r}, username=name).values_list("guest_key", flat=True).get()

bob, ann = key_of("bob"), key_of("ann")
start = timezone.now() - timedelta(days=10)
old = Room.objects.create(
    kind="direct", name={old!r}, title="Direct conversation", people_key="seed-" + {old!r}, last_active_at=start
)
Membership.objects.create(person_key=bob, room=old, username="bob")
Membership.objects.create(person_key=ann, room=old, username="ann")
for n in range({count}):
    name = new_direct_name()
    room = Room.objects.create(
        kind="direct", name=name, title="Direct conversation", people_key="seed-" + name,
        last_active_at=start + timedelta(minutes=n + 1),
    )
    Membership.objects.create(person_key=bob, room=room, username="bob")
    Membership.objects.create(person_key="g:someone-away", room=room, username=f"pat{{n:02d}}")
"""


def test_the_conversation_list_pages_in_as_it_scrolls_and_an_old_one_with_news_comes_to_the_top(open_page, chat_server):
    from rooms.rules import new_direct_name

    room, old = fresh_room_name("pages"), new_direct_name()
    ann = open_page("/")
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
    chat_server.shell(SEED_CONVERSATIONS.format(room=room, old=old, count=60))  # 61 conversations of bob's
    bob.reload()
    wait_in_room(bob, "bob", room)
    listed = bob.get_by_role("region", name="Direct messages").locator("li")
    expect(listed).to_have_count(50)
    expect(listed.first).to_contain_text("pat59")  # newest activity first
    bob.evaluate("() => { window.__samePage = true; }")

    # ann writes in their conversation, the oldest of all, not listed yet: it comes to the top, counted.
    ann.goto(f"/r/{old}/")
    expect(ann.locator("#connection-status")).to_have_text("Connected")
    send(ann, "remember me?")
    expect(message(ann, "remember me?")).to_be_visible()
    expect(listed.first).to_contain_text("ann")
    expect(listed.first.locator(".unread-badge")).to_have_text("1")
    expect(listed).to_have_count(51)
    expect(bob).to_have_title(re.compile(r"^\(1\) "))

    # Scrolled to the end of the list: the older ones page in, each once; nothing more to ask for.
    bob.locator("#sidebar-direct-more").scroll_into_view_if_needed()
    expect(listed).to_have_count(61)
    expect(bob.locator("#sidebar-direct-more")).to_be_hidden()
    expect(listed.last).to_contain_text("pat00")
    assert bob.evaluate("() => window.__samePage === true")
