"""How the room page shows messages, in headless Chromium: links, mentions, days and local
times, own messages, notices, and older history loaded without moving the view."""

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import ann_and_bob, create_room, enter_room, fresh_room_name, message, send

pytestmark = pytest.mark.browser


# --- 6, 7. links and mentions ----------------------------------------------------------


def test_links_are_safe_and_only_http(open_page):
    room, ann, bob = ann_and_bob(open_page, "links")

    text = (
        "docs at https://example.com/wiki/Chat_(software). "
        "or (http://127.0.0.1:9/a?b=1&c=2) <b>x</b> "
        "but not javascript:alert(1) nor data:text/html,hi nor ftp://example.com/file"
    )
    send(ann, text)
    shown = bob.locator(".msg").filter(has_text="docs at")
    expect(shown).to_have_count(1)
    links = shown.locator(".msg-text a")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("href", "https://example.com/wiki/Chat_(software)")
    expect(links.nth(0)).to_have_text("https://example.com/wiki/Chat_(software)")
    expect(links.nth(1)).to_have_attribute("href", "http://127.0.0.1:9/a?b=1&c=2")
    for i in range(2):
        expect(links.nth(i)).to_have_attribute("rel", "noopener noreferrer")
        expect(links.nth(i)).to_have_attribute("target", "_blank")
    expect(shown.locator(".msg-text")).to_have_text(text)  # every character still shown, as text
    assert shown.locator(".msg-text b, .msg-text script").count() == 0
    assert bob.dialogs == []


def test_mentions_of_me_are_highlighted(open_page):
    room, ann, bob = ann_and_bob(open_page, "mention")

    send(bob, "hey @ANN, have a look")
    send(bob, "@annie is someone else, and bob@ann.example is an address")
    mentioned = message(ann, "hey @ANN, have a look")
    expect(mentioned.locator("mark.mention")).to_have_text("@ANN")
    expect(mentioned).to_have_class(re.compile(r"\bmentions-me\b"))
    other = message(ann, "@annie is someone else, and bob@ann.example is an address")
    expect(other.locator("mark.mention")).to_have_count(0)
    expect(other).not_to_have_class(re.compile(r"\bmentions-me\b"))
    # bob sees his own words plainly.
    expect(message(bob, "hey @ANN, have a look").locator("mark")).to_have_count(0)


# --- 10. days, local times, own messages, notices, older history --------------------------


def age_messages(chat_server, room: str, days_ago: dict[str, int]) -> None:
    """Move messages of `room` back in time, as if they were written days ago (test setup)."""
    code = (
        "import json, datetime; from django.utils import timezone; from rooms.models import Message; "
        f"ages = json.loads({json.dumps(json.dumps(days_ago))}); "
        "[Message.objects.filter(room__name__iexact="
        f"{json.dumps(room)}, text=text).update(created_at=timezone.now() - datetime.timedelta(days=d)) "
        "for text, d in ages.items()]"
    )
    chat_server.shell(code)


def test_day_separators_local_times_own_messages_and_notices(open_page, chat_server):
    room = fresh_room_name("days")
    ann = open_page("/", timezone_id="Asia/Kathmandu", locale="en-GB")
    create_room(ann, "ann", room)
    for text in ("two days ago", "yesterday morning", "today at last"):
        send(ann, text)
    expect(message(ann, "today at last")).to_have_count(1)
    age_messages(chat_server, room, {"two days ago": 2, "yesterday morning": 1})

    bob = open_page("/", timezone_id="Asia/Kathmandu", locale="en-GB")
    enter_room(bob, "bob", room)
    expect(message(bob, "today at last")).to_have_count(1)
    rows = bob.locator("#message-list > li")
    labels = bob.locator(".day-separator")
    expect(labels).to_have_count(3)
    expect(labels.nth(1)).to_have_text("Yesterday")
    expect(labels.nth(2)).to_have_text("Today")
    two_days_ago = datetime.now(ZoneInfo("Asia/Kathmandu")) - timedelta(days=2)
    expect(labels.nth(0)).to_contain_text(f"{two_days_ago.day} {two_days_ago:%B} {two_days_ago.year}")
    order = rows.evaluate_all(
        "nodes => nodes.map((n) => n.classList.contains('day-separator') ? 'day' : n.querySelector('.msg-text')?.textContent)"
    )
    assert order[:6] == ["day", "two days ago", "day", "yesterday morning", "day", "today at last"]

    # Times are local: the <time> carries UTC, the text is Kathmandu time (UTC+5:45).
    when = message(bob, "today at last").locator("time")
    iso = when.get_attribute("datetime")
    assert iso.endswith("Z")
    local = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Kathmandu"))
    expect(when).to_have_text(f"{local:%H:%M}")

    # Mine look different from others'; join notices are set apart from messages.
    expect(message(ann, "today at last")).to_have_class(re.compile(r"\bown\b"))
    expect(message(bob, "today at last")).not_to_have_class(re.compile(r"\bown\b"))
    notice = ann.locator("#message-list > li").filter(has_text="bob joined")
    expect(notice).to_have_class(re.compile(r"\bnotice\b"))
    expect(notice).not_to_have_class(re.compile(r"\bmsg\b"))


def post_many(page, room: str, texts: list[str], batch: int = 50) -> None:
    """Send many messages from this page's session over a second socket, in bursts
    the server's flood control accepts (it refills 20 frames a second)."""
    page.evaluate(
        """async ([room, texts, batch]) => {
            const ws = new WebSocket(`ws://${location.host}/ws/chat/`);
            const seen = {join_confirm: 0, ack: 0};
            let failure = null;
            ws.onmessage = (e) => {
              const frame = JSON.parse(e.data);
              if (frame.event in seen) seen[frame.event] += 1;
              if (frame.event === "error") failure = JSON.stringify(frame.data);
            };
            const until = (event, count) => new Promise((resolve, reject) => {
              const started = Date.now();
              const look = () => {
                if (failure) return reject(new Error(failure));
                if (seen[event] >= count) return resolve();
                if (Date.now() - started > 15000) return reject(new Error(`only ${seen[event]} ${event}`));
                setTimeout(look, 50);
              };
              look();
            });
            await new Promise((resolve) => { ws.onopen = resolve; });
            ws.send(JSON.stringify({event: "join_room", data: {room_name: room}}));
            await until("join_confirm", 1);
            for (let start = 0; start < texts.length; start += batch) {
              if (start > 0) await new Promise((resolve) => setTimeout(resolve, 3000));
              const chunk = texts.slice(start, start + batch);
              chunk.forEach((text, i) => ws.send(JSON.stringify(
                {event: "send_message", data: {text, client_id: `bulk-${room}-${start + i}`}})));
              await until("ack", start + chunk.length);
            }
            ws.close();
        }""",
        [room, texts, batch],
    )


def test_loading_older_history_keeps_the_view_still(open_page):
    room = fresh_room_name("anchor")
    ann = open_page("/")
    create_room(ann, "ann", room)
    post_many(ann, room, [f"line {i}" for i in range(100)])

    bob = open_page("/")
    enter_room(bob, "bob", room)
    expect(message(bob, "line 99")).to_have_count(1)
    expect(bob.locator(".msg[data-id]")).to_have_count(50)
    expect(bob.get_by_role("button", name="Load older messages")).to_be_attached()

    # The reader scrolls to the top; where is the oldest message they can see?
    before = bob.evaluate(
        """() => {
            const scroller = document.getElementById("messages");
            scroller.scrollTop = 0;
            const first = document.querySelector(".msg[data-id]");
            return {id: first.dataset.id, top: first.getBoundingClientRect().top};
        }"""
    )
    expect(bob.locator(".msg[data-id]")).to_have_count(100)
    expect(message(bob, "line 20")).to_have_count(1)
    after = bob.locator(f'.msg[data-id="{before["id"]}"]').evaluate("n => n.getBoundingClientRect().top")
    assert abs(after - before["top"]) <= 1, f"the view jumped by {after - before['top']} px"


def test_a_new_empty_room_gets_no_refusal_for_anything_the_page_sends(open_page):
    page = open_page("/")
    received: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(str(payload))))
    create_room(page, "ann", fresh_room_name("empty"))  # nothing in it yet, nothing to mark read
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # as coming back to the tab does
    send(page, "first words")
    expect(message(page, "first words")).to_have_count(1)
    errors = [frame for frame in received if '"event": "error"' in frame or '"event":"error"' in frame]
    assert errors == [], errors
