"""A server past its posting limit, in headless Chromium (docs/protocol.md, "When the server is busy"):
the page keeps a message answered `busy` as "sending…", sends it again after retry_after, and it is
delivered once.

Its own server with POST_QUEUE_MAX=1, so with the database held (SQLite's write lock, taken from
here as a long commit would) one message in the stuck batch and one waiting fill it.
"""

import json
import sqlite3

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import create_room, enter_room, fresh_room_name, message
from rooms.tests.support.servers import room_messages, sqlite_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory):
    """Overrides conftest's for this module: at most one message waits for the next batch."""
    with sqlite_server(
        tmp_path_factory.mktemp("busy"), POST_QUEUE_MAX="1", POST_BUSY_RETRY_SECONDS="0.5", RATE_LIMIT_BURST="1000"
    ) as server:
        yield server


def busy_answers(page) -> list[dict]:
    """Every `error busy` the page's socket receives, from now on."""
    answers = []

    def on_socket(socket):
        def on_frame(payload):
            frame = json.loads(payload)
            if frame.get("event") == "error" and frame["data"].get("code") == "busy":
                answers.append(frame["data"])

        socket.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    return answers


def test_a_message_answered_busy_stays_sending_and_is_delivered_once_the_server_keeps_up(open_page, chat_server):
    room = fresh_room_name("busy")
    ann = open_page("/")
    answers = busy_answers(ann)  # the room page's socket, opened next, is heard from its handshake on
    create_room(ann, "ann", room)
    bob, cat = open_page("/"), open_page("/")
    enter_room(bob, "bob", room)
    enter_room(cat, "cat", room)

    # Typed before the database is held: a `typing` frame goes through the database thread, which a held
    # database stalls, and a socket's frames are handled one at a time, so a later send would wait behind it.
    for page, name, text, watcher in (
        (bob, "bob", "bob fills the batch", ann),
        (cat, "cat", "cat waits for the next one", ann),
        (ann, "ann", "ann comes third", bob),
    ):
        page.fill("#message-input", text)
        expect(watcher.locator("#typing")).to_contain_text(name)

    lock = sqlite3.connect(chat_server.env["DATABASE_URL"].removeprefix("sqlite:///"), timeout=20, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        bob.press("#message-input", "Enter")
        expect(bob.locator(".msg.pending")).to_have_count(1)
        cat.press("#message-input", "Enter")
        expect(cat.locator(".msg.pending")).to_have_count(1)
        ann.press("#message-input", "Enter")
        # Refused at once, then again each time the page sends it after retry_after while the database is held.
        for _ in range(200):
            if len(answers) >= 2:
                break
            ann.wait_for_timeout(50)  # Playwright hands the page's frames to the listener meanwhile
        assert len(answers) >= 2, answers
        assert all(a["event"] == "send_message" and a["retry_after"] == 0.5 for a in answers)
        assert len({a["client_id"] for a in answers}) == 1
        # Not a refusal: still "sending…", the composer empty, no error shown.
        expect(ann.locator(".msg.pending")).to_have_count(1)
        expect(ann.locator("#message-input")).to_have_value("")
    finally:
        lock.execute("COMMIT")
        lock.close()

    for page in (ann, bob, cat):
        for text in ("bob fills the batch", "cat waits for the next one", "ann comes third"):
            expect(message(page, text)).to_have_count(1)
        expect(page.locator(".msg.pending")).to_have_count(0)
    stored = [text for _, _, text, _ in room_messages(chat_server.env["DATABASE_URL"], room)]
    assert sorted(stored) == sorted(["bob fills the batch", "cat waits for the next one", "ann comes third"])
