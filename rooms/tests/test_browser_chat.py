"""The room page's chat behaviour in headless Chromium, driven the way people use it."""

import itertools
import json
import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

_names = itertools.count(1)


def fresh_room_name(prefix: str) -> str:
    """A room nobody else in the test session uses (the server is shared)."""
    return f"{prefix}-{int(time.time() * 1000) % 10_000_000}-{next(_names)}"


def create_room(page, username: str, room: str) -> None:
    """From the lobby: pick a display name and start a public room (its owner)."""
    page.fill("#id_username", username)
    page.fill("#id_new_room", room)
    page.click("button[name=action][value=create_named]")
    wait_in_room(page, username, room)


def enter_room(page, username: str, room: str) -> None:
    """From the lobby: pick a display name and join a room by its name."""
    page.fill("#id_username", username)
    page.fill("#id_room", room)
    page.click("button[name=action][value=join]")
    wait_in_room(page, username, room)


def wait_in_room(page, username: str, room: str) -> None:
    expect(page).to_have_url(re.compile(rf"/r/{re.escape(room)}/$", re.IGNORECASE))
    expect(page.locator("#connection-status")).to_have_text("Connected")
    expect(page.locator("#member-list")).to_contain_text(username)


def send(page, text: str) -> None:
    page.fill("#message-input", text)
    page.press("#message-input", "Enter")


def message(page, text: str):
    """The delivered (not pending) message whose text is exactly `text`."""
    return page.locator(".msg:not(.pending)").filter(
        has=page.locator(".msg-text", has_text=re.compile(rf"^{re.escape(text)}$"))
    )


def texts(page) -> list[str]:
    return page.locator(".msg:not(.pending) .msg-text").all_inner_texts()


# --- 1. own messages: edit and delete ----------------------------------------


def test_author_edits_and_deletes_and_others_see_it_live(open_page):
    room = fresh_room_name("edits")
    ann = open_page("/")
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)

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
    room = fresh_room_name("restart")
    ann = open_page("/")
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
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
    room = fresh_room_name("away")
    ann = open_page("/")
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
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
    room = fresh_room_name("lost-ack")
    ann = open_page("/")
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)

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
    ann.get_by_role("button", name="Insert emoji").click()
    expect(picker).to_be_visible()
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
