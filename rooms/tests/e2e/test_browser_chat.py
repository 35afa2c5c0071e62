"""The room page's chat behaviour in headless Chromium, driven the way people use it."""

import json
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import ann_and_bob, create_room, enter_room, fresh_room_name, message, send

pytestmark = pytest.mark.browser


def texts(page) -> list[str]:
    return page.locator(".msg:not(.pending) .msg-text").all_inner_texts()


# --- 1. own messages: edit and delete ----------------------------------------


def test_author_edits_and_deletes_and_others_see_it_live(open_page):
    room, ann, bob = ann_and_bob(open_page, "edits")

    send(ann, "helo everyone")
    send(bob, "hi ann")
    expect(message(bob, "helo everyone")).to_have_count(1)
    expect(message(ann, "hi ann")).to_have_count(1)

    # Only the author gets an edit control; bob cannot edit ann's message.
    expect(message(ann, "helo everyone").get_by_role("button", name="Edit message")).to_be_visible()
    expect(message(bob, "helo everyone").get_by_role("button", name="Edit message")).to_have_count(0)
    expect(message(bob, "hi ann").get_by_role("button", name="Edit message")).to_be_visible()

    message(ann, "helo everyone").get_by_role("button", name="Edit message").click()
    editor = ann.get_by_role("textbox", name="Edit message")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("helo everyone")
    editor.fill("hello everyone")
    editor.press("Enter")

    for page in (ann, bob):
        edited = message(page, "hello everyone")
        expect(edited).to_have_count(1)
        expect(edited.locator(".msg-edited")).to_be_visible()
        expect(edited.locator(".msg-edited")).to_have_text("edited")
        expect(message(page, "helo everyone")).to_have_count(0)

    # Esc abandons an edit: nothing changes anywhere.
    message(ann, "hello everyone").get_by_role("button", name="Edit message").click()
    ann.get_by_role("textbox", name="Edit message").fill("never sent")
    ann.get_by_role("textbox", name="Edit message").press("Escape")
    expect(ann.get_by_role("textbox", name="Edit message")).to_have_count(0)
    expect(message(ann, "hello everyone")).to_have_count(1)

    # The author deletes: the message disappears from both pages, no placeholder.
    message(ann, "hello everyone").get_by_role("button", name="Delete message").click()
    for page in (ann, bob):
        expect(message(page, "hello everyone")).to_have_count(0)
        expect(page.locator(".msg-removed")).to_have_count(0)
    expect(message(bob, "hi ann")).to_have_count(1)

    # After a reload the deleted message stays gone and the edit control is still mine.
    ann.reload()
    expect(ann.locator("#connection-status")).to_have_text("Connected")
    expect(message(ann, "hi ann")).to_have_count(1)
    expect(message(ann, "hello everyone")).to_have_count(0)


def test_the_edit_control_goes_when_the_edit_window_closes(open_page):
    room = fresh_room_name("window")
    ann = open_page("/")
    ann.clock.install()  # the page's clock, from the room page on; it runs at normal speed
    create_room(ann, "ann", room)
    send(ann, "a quick typo")
    mine = message(ann, "a quick typo")
    expect(mine.get_by_role("button", name="Edit message")).to_be_visible()

    ann.clock.fast_forward("14:00")  # within EDIT_WINDOW_SECONDS (900)
    expect(mine.get_by_role("button", name="Edit message")).to_be_visible()
    ann.clock.fast_forward("01:30")  # now past it
    expect(mine.get_by_role("button", name="Edit message")).to_have_count(0)
    expect(mine.get_by_role("button", name="Delete message")).to_be_visible()  # deleting has no window


def test_the_same_display_name_in_another_session_cannot_edit(open_page):
    room = fresh_room_name("impostor")
    ann = open_page("/")
    create_room(ann, "ann", room)
    send(ann, "only I may change this")
    expect(message(ann, "only I may change this")).to_have_count(1)
    message_id = int(message(ann, "only I may change this").get_attribute("data-id"))
    ann.close()  # ann leaves, so her name is free in the room

    other = open_page("/")
    enter_room(other, "ann", room)  # someone else picks the same name
    theirs = message(other, "only I may change this")
    expect(theirs).to_have_count(1)
    expect(theirs.get_by_role("button", name="Edit message")).to_have_count(0)
    expect(theirs.get_by_role("button", name="Delete message")).to_have_count(0)
    expect(theirs).not_to_have_class(re.compile(r"\bown\b"))

    # Forcing it over a socket of their own session: the server refuses.
    answers = other.evaluate(
        """async ([room, id]) => {
            const ws = new WebSocket(`ws://${location.host}/ws/chat/`);
            const frames = [];
            await new Promise((resolve, reject) => {
              ws.onmessage = (e) => {
                const frame = JSON.parse(e.data);
                frames.push(frame);
                if (frame.event === "join_confirm") {
                  ws.send(JSON.stringify({event: "edit_message", data: {id, text: "hijacked"}}));
                  ws.send(JSON.stringify({event: "delete_message", data: {id}}));
                }
                if (frames.filter((f) => f.event === "error").length === 2) resolve();
              };
              ws.onopen = () => ws.send(JSON.stringify({event: "join_room", data: {room_name: room}}));
              setTimeout(() => reject(new Error("no answer")), 5000);
            });
            ws.close();
            return frames.filter((f) => f.event === "error").map((f) => [f.data.event, f.data.code]);
        }""",
        [room, message_id],
    )
    assert answers == [["edit_message", "forbidden"], ["delete_message", "forbidden"]]
    expect(message(other, "only I may change this")).to_have_count(1)
    expect(message(other, "hijacked")).to_have_count(0)


# --- 4. reconnecting -------------------------------------------------------------


def record_connection_states(page) -> list[str]:
    """Every state the connection indicator shows from now on, in order."""
    states: list[str] = []
    page.expose_function("recordConnectionState", lambda state: states.append(state))
    page.evaluate(
        """() => {
          const node = document.getElementById("connection-status");
          new MutationObserver(() => window.recordConnectionState(node.dataset.state))
            .observe(node, {attributes: true, attributeFilter: ["data-state"]});
        }"""
    )
    return states


def collapse(states: list[str]) -> list[str]:
    return [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]


def assert_each_once(page, expected: list[str]) -> None:
    for text in expected:
        expect(message(page, text)).to_have_count(1)
    expect(page.locator(".msg.pending")).to_have_count(0)
    ids = page.locator(".msg[data-id]").evaluate_all("nodes => nodes.map((n) => n.dataset.id)")
    assert len(ids) == len(set(ids)), f"a message is shown twice: {ids}"
    assert [int(i) for i in ids] == sorted(int(i) for i in ids), "messages out of order"


def test_a_server_restart_under_an_open_page_loses_nothing(open_page, chat_server):
    room, ann, bob = ann_and_bob(open_page, "restart")
    send(ann, "before the restart")
    expect(message(bob, "before the restart")).to_have_count(1)
    states = record_connection_states(ann)

    chat_server.stop()
    expect(ann.locator("#connection-status")).to_have_text("Reconnecting…")
    send(ann, "typed while the server was down")
    expect(ann.locator(".msg.pending")).to_have_count(1)  # kept, shown as sending

    chat_server.start()
    expect(ann.locator("#connection-status")).to_have_text("Connected", timeout=20_000)
    expect(bob.locator("#connection-status")).to_have_text("Connected", timeout=20_000)
    send(bob, "after the restart")

    everything = ["before the restart", "typed while the server was down", "after the restart"]
    assert_each_once(ann, everything)
    assert_each_once(bob, everything)
    assert collapse(states) == ["reconnecting", "open"]


def test_away_while_others_chat_then_back_with_everything_once(open_page, chat_server):
    room, ann, bob = ann_and_bob(open_page, "away")
    send(bob, "bob was here first")
    expect(message(ann, "bob was here first")).to_have_count(1)
    states = record_connection_states(ann)

    chat_server.stop()
    expect(ann.locator("#connection-status")).to_have_text("Reconnecting…")
    ann.context.set_offline(True)  # and ann's network goes too: she stays away
    expect(ann.locator("#connection-status")).to_have_text("Offline")
    send(ann, "written offline")
    chat_server.start()

    expect(bob.locator("#connection-status")).to_have_text("Connected", timeout=20_000)
    for i in range(3):
        send(bob, f"said while ann was away {i}")
    expect(message(bob, "said while ann was away 2")).to_have_count(1)
    expect(message(ann, "said while ann was away 0")).to_have_count(0)  # she really is away
    expect(ann.locator("#connection-status")).to_have_text("Offline")

    ann.context.set_offline(False)
    expect(ann.locator("#connection-status")).to_have_text("Connected", timeout=20_000)
    everything = [
        "bob was here first",
        "written offline",
        *(f"said while ann was away {i}" for i in range(3)),
    ]
    assert_each_once(ann, everything)
    assert_each_once(bob, everything)
    assert collapse(states) == ["reconnecting", "offline", "reconnecting", "open"]


def test_a_dropped_connection_with_a_lost_ack_resends_once(open_page):
    room, ann, bob = ann_and_bob(open_page, "lost-ack")

    sockets = []

    def between(ws):
        server = ws.connect_to_server()
        sockets.append(ws)
        ws.on_message(server.send)

        def to_page(frame):
            # The first connection loses the answers to ann's message: its ack and its echo.
            lost = json.loads(frame)["event"] == "ack" or "lost on the way back" in frame
            if not (lost and len(sockets) == 1):
                ws.send(frame)

        server.on_message(to_page)

    ann.route_web_socket(re.compile(r"/ws/chat/$"), between)
    ann.reload()
    expect(ann.locator("#connection-status")).to_have_text("Connected")

    send(ann, "lost on the way back")
    expect(message(bob, "lost on the way back")).to_have_count(1)  # stored and delivered
    expect(ann.locator(".msg.pending")).to_have_count(1)  # but ann never heard back

    sockets[0].close(code=1001, reason="network hiccup")  # the connection drops
    expect(ann.locator(".msg.pending")).to_have_count(0)
    expect(ann.locator("#connection-status")).to_have_text("Connected")
    assert len(sockets) == 2
    send(bob, "and life goes on")
    assert_each_once(ann, ["lost on the way back", "and life goes on"])
    assert_each_once(bob, ["lost on the way back", "and life goes on"])


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


# --- 9. notifications and unread count ------------------------------------------------

NOTIFICATION_STUB = """
(() => {
  const Real = window.Notification;
  window.__notifications = [];
  class RecordingNotification {
    constructor(title, options = {}) { window.__notifications.push({title, body: options.body}); }
    close() {}
    static get permission() { return Real.permission; }
    static requestPermission() { window.__asked = true; return Real.requestPermission(); }
  }
  window.Notification = RecordingNotification;
  let hidden = false;
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => (hidden ? "hidden" : "visible")});
  Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
  window.__setHidden = (value) => { hidden = value; document.dispatchEvent(new Event("visibilitychange")); };
})();
"""


def test_notifications_opt_in_and_unread_count_in_the_title(open_page):
    room = fresh_room_name("notify")
    ann = open_page("/", permissions=["notifications"])
    ann.context.add_init_script(NOTIFICATION_STUB)
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
    title = f"{room} · chatsite"
    expect(ann).to_have_title(title)
    notes = lambda: ann.evaluate("window.__notifications")  # noqa: E731

    # Not opted in yet: hidden tab counts unread, but no notification.
    ann.evaluate("window.__setHidden(true)")
    send(bob, "before opting in")
    expect(ann).to_have_title(f"(1) {title}")
    assert notes() == []
    ann.evaluate("window.__setHidden(false)")
    expect(ann).to_have_title(title)

    toggle = ann.get_by_role("button", name="Notify me")
    toggle.click()
    expect(ann.locator("#notify-toggle")).to_have_attribute("aria-pressed", "true")
    expect(ann.locator("#notify-toggle")).to_have_text("Notifications on")
    assert ann.evaluate("window.__asked === true || Notification.permission === 'granted'")

    ann.evaluate("window.__setHidden(true)")
    send(bob, "one")
    send(bob, "two")
    send(bob, "@ann are you there?")
    expect(ann).to_have_title(f"(3) {title}")
    expect(message(ann, "@ann are you there?")).to_have_count(1)
    assert notes() == [
        {"title": f"bob in {room}", "body": "one"},
        {"title": f"bob in {room}", "body": "two"},
        {"title": f"bob mentioned you in {room}", "body": "@ann are you there?"},
    ]

    # Back to the tab: the count goes; visible messages do not notify.
    ann.evaluate("window.__setHidden(false)")
    expect(ann).to_have_title(title)
    send(bob, "seen live")
    expect(message(ann, "seen live")).to_have_count(1)
    expect(ann).to_have_title(title)
    assert len(notes()) == 3

    # Own messages never notify.
    ann.evaluate("window.__setHidden(true)")
    send(ann, "my own words")
    expect(message(ann, "my own words")).to_have_count(1)
    expect(ann).to_have_title(title)
    assert len(notes()) == 3


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


def test_a_message_the_server_never_got_is_sent_again(open_page):
    """Flood control refuses frames silently after its first warning; a lost frame is resent."""
    room, ann, bob = ann_and_bob(open_page, "lost-frame")

    dropped = []

    def between(ws):
        server = ws.connect_to_server()

        def to_server(frame):
            if "dropped on the way out" in frame and not dropped:
                dropped.append(frame)  # the server never sees the first try
                return
            server.send(frame)

        ws.on_message(to_server)

    ann.route_web_socket(re.compile(r"/ws/chat/$"), between)
    ann.reload()
    expect(ann.locator("#connection-status")).to_have_text("Connected")

    send(ann, "dropped on the way out")
    expect(ann.locator(".msg.pending")).to_have_count(1)
    expect(message(bob, "dropped on the way out")).to_have_count(1, timeout=15_000)
    assert len(dropped) == 1
    assert_each_once(ann, ["dropped on the way out"])
    assert_each_once(bob, ["dropped on the way out"])
