"""A page whose socket drops while the server is behind on its database, in headless Chromium
(docs/protocol.md, "When the server is behind on its database: handshakes"): its reconnects are
refused as "try again", it shows "Reconnecting…" and keeps what is typed, and once the server
catches up it is back in the room with everything, once.

Its own server with WS_HANDSHAKE_QUEUE_MAX=2 and no wait (WS_HANDSHAKE_WAIT_SECONDS=0; a held
handshake: test_browser_handshake_held.py): with SQLite's write lock held from here, four joins
waiting on the database thread put the process past it.
"""

import contextlib
import json

import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from rooms.tests.support.pages import ann_and_bob, message, send
from rooms.tests.support.servers import database_write_lock, sqlite_server

pytestmark = pytest.mark.browser

JOINERS = 4


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory):
    """Overrides conftest's for this module: a handshake is refused (not held) past 2 outstanding database calls."""
    with sqlite_server(
        tmp_path_factory.mktemp("behind"), WS_HANDSHAKE_QUEUE_MAX="2", WS_HANDSHAKE_WAIT_SECONDS="0"
    ) as server:
        yield server


# Every WebSocket the page opens, kept where the test can close it as a dropped network would.
KEEP_SOCKETS = """
  window.__sockets = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.__sockets.push(this); }
  };
"""


@contextlib.contextmanager
def joins_waiting_on_the_database(sockets: contextlib.ExitStack, server, room: str):
    """JOINERS sockets (kept open in `sockets`) whose joins of `room` wait on SQLite's write lock, held
    for the block: meanwhile the process is past WS_HANDSHAKE_QUEUE_MAX=2."""
    joiners = [sockets.enter_context(connect(server.ws_url, origin=server.url)) for _ in range(JOINERS)]
    for joiner in joiners:
        while json.loads(joiner.recv(10))["event"] != "inbox":
            pass  # its connect's reads are done
    with database_write_lock(server.env["DATABASE_URL"]):
        for n, joiner in enumerate(joiners):
            joiner.send(json.dumps({"event": "join_room", "data": {"room_name": room, "username": f"j{n}"}}))
        yield


def test_a_page_refused_while_the_server_is_behind_comes_back_with_everything_once(open_page, chat_server):
    room, ann, bob = ann_and_bob(open_page, "behind")
    bob.context.add_init_script(KEEP_SOCKETS)
    bob.reload()
    expect(bob.locator("#connection-status")).to_have_text("Connected")
    send(ann, "before the storm")
    expect(message(bob, "before the storm")).to_have_count(1)

    with contextlib.ExitStack() as sockets:
        with joins_waiting_on_the_database(sockets, chat_server, room):
            bob.evaluate("() => window.__sockets.at(-1).close()")  # bob's network drops
            expect(bob.locator("#connection-status")).to_have_text("Reconnecting…")
            bob.wait_for_function("() => window.__sockets.length >= 3")  # tried again, and again: refused
            send(bob, "typed while refused")
            expect(bob.locator(".msg.pending")).to_have_count(1)  # kept, shown as sending
            assert "refusing handshakes (try again)" in chat_server.log()
        # Caught up: the joins that waited go through, and bob is let back in.
        expect(bob.locator("#connection-status")).to_have_text("Connected", timeout=30_000)
        send(ann, "after the storm")
        for page in (ann, bob):
            for text in ("before the storm", "typed while refused", "after the storm"):
                expect(message(page, text)).to_have_count(1)
        expect(bob.locator(".msg.pending")).to_have_count(0)
