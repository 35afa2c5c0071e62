"""The room page through lost connections, in headless Chromium: server restarts, going
offline, lost acks and lost frames; every message is shown once, in order."""

import json
import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import ann_and_bob, message, send

pytestmark = pytest.mark.browser


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


def test_edits_and_removals_made_while_away_are_seen_on_coming_back(open_page, chat_server):
    room, ann, bob = ann_and_bob(open_page, "away-edits")
    send(bob, "teh typo")
    send(bob, "something regrettable")
    send(bob, "left alone")
    expect(message(ann, "left alone")).to_have_count(1)

    chat_server.stop()
    expect(ann.locator("#connection-status")).to_have_text("Reconnecting…")
    ann.context.set_offline(True)  # she stays away while bob changes his mind
    expect(ann.locator("#connection-status")).to_have_text("Offline")
    chat_server.start()
    expect(bob.locator("#connection-status")).to_have_text("Connected", timeout=20_000)

    typo = message(bob, "teh typo")
    typo.hover()
    typo.get_by_role("button", name="Edit message").click()
    editor = bob.get_by_role("textbox", name="Edit message")
    editor.fill("the typo, fixed")
    editor.press("Enter")
    expect(message(bob, "the typo, fixed")).to_have_count(1)
    regret = message(bob, "something regrettable")
    regret.hover()
    regret.get_by_role("button", name="Delete message").click()
    bob.get_by_role("dialog", name="Delete your message?").get_by_role("button", name="Delete", exact=True).click()
    expect(message(bob, "something regrettable")).to_have_count(0)
    expect(message(ann, "teh typo")).to_have_count(1)  # she really is away

    ann.context.set_offline(False)
    expect(ann.locator("#connection-status")).to_have_text("Connected", timeout=20_000)
    fixed = message(ann, "the typo, fixed")
    expect(fixed).to_have_count(1)
    expect(fixed.locator(".msg-edited")).to_have_text("edited")
    expect(message(ann, "teh typo")).to_have_count(0)
    expect(message(ann, "something regrettable")).to_have_count(0)
    assert_each_once(ann, ["the typo, fixed", "left alone"])


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


# --- a frame lost on the way out -----------------------------------------------------


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


# --- the database away for a moment ----------------------------------------------------


def test_a_message_answered_unavailable_stays_and_goes_again_in_order(open_page):
    """`unavailable` is no refusal: the message stays "sending…", the next one waits, both go again in order."""
    room, ann, bob = ann_and_bob(open_page, "db-away")

    answered = []

    def between(ws):
        server = ws.connect_to_server()

        def to_server(frame):
            data = json.loads(frame)
            if (
                data["event"] == "send_message"
                and data["data"]["text"] == "while the database restarts"
                and not answered
            ):
                # The server's answer while its database is away (docs/protocol.md); nothing was stored.
                answered.append(frame)
                error = {"code": "unavailable", "message": "The chat cannot reach its database right now."}
                error |= {"retry_after": 1, "event": "send_message", "client_id": data["data"]["client_id"]}
                ws.send(json.dumps({"event": "error", "data": error}))
                return
            server.send(frame)

        ws.on_message(to_server)
        server.on_message(ws.send)

    ann.route_web_socket(re.compile(r"/ws/chat/$"), between)
    ann.reload()
    expect(ann.locator("#connection-status")).to_have_text("Connected")

    send(ann, "while the database restarts")
    expect(ann.locator(".msg.pending")).to_have_count(1)  # kept, not handed back to the composer
    expect(ann.locator("#message-input")).to_have_value("")
    send(ann, "and right after")
    expect(message(bob, "and right after")).to_have_count(1)
    assert len(answered) == 1
    assert_each_once(ann, ["while the database restarts", "and right after"])
    assert_each_once(bob, ["while the database restarts", "and right after"])
    texts = bob.locator(".msg:not(.pending) .msg-text").all_text_contents()
    assert texts.index("while the database restarts") < texts.index("and right after"), texts
