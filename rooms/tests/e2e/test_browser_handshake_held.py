"""A page whose socket drops while the server is behind on its database, in headless Chromium, with
the server's default of holding such a handshake (WS_HANDSHAKE_WAIT_SECONDS; docs/protocol.md, "When
the server is behind on its database: handshakes"): its reconnect waits unanswered instead of being
refused, the page shows "Reconnecting…" and keeps what is typed, and once the server catches up that
same attempt opens, and the page is back in the room with everything, once.

Its own server with WS_HANDSHAKE_QUEUE_MAX=2: with SQLite's write lock held from here, four joins
waiting on the database thread put the process past it.
"""

import contextlib

import pytest
from playwright.sync_api import expect

from rooms.tests.e2e.test_browser_handshake_admission import KEEP_SOCKETS, joins_waiting_on_the_database
from rooms.tests.support.pages import ann_and_bob, message, send
from rooms.tests.support.servers import sqlite_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory):
    """Overrides conftest's for this module: a handshake is held past 2 outstanding database calls, 30 s at most."""
    with sqlite_server(
        tmp_path_factory.mktemp("held"), WS_HANDSHAKE_QUEUE_MAX="2", WS_HANDSHAKE_WAIT_SECONDS="30"
    ) as server:
        yield server


def test_a_page_that_reconnects_while_the_server_is_behind_waits_its_turn_and_is_let_in_once(open_page, chat_server):
    room, ann, bob = ann_and_bob(open_page, "held")
    bob.context.add_init_script(KEEP_SOCKETS)
    bob.reload()
    expect(bob.locator("#connection-status")).to_have_text("Connected")
    send(ann, "before the storm")
    expect(message(bob, "before the storm")).to_have_count(1)

    with contextlib.ExitStack() as sockets:
        with joins_waiting_on_the_database(sockets, chat_server, room):
            attempts = bob.evaluate("() => window.__sockets.length")
            bob.evaluate("() => window.__sockets.at(-1).close()")  # bob's network drops
            expect(bob.locator("#connection-status")).to_have_text("Reconnecting…")
            bob.wait_for_function(f"() => window.__sockets.length === {attempts + 1}")  # it tries again
            send(bob, "typed while held")
            expect(bob.locator(".msg.pending")).to_have_count(1)  # kept, shown as sending
            bob.wait_for_timeout(2000)  # the attempt stays unanswered: not refused, not retried
            assert bob.evaluate("() => window.__sockets.at(-1).readyState") == 0  # CONNECTING
            assert bob.evaluate("() => window.__sockets.length") == attempts + 1
            assert "holding handshakes until the database thread catches up" in chat_server.log()
        # Caught up: the joins that waited go through, and that same attempt of bob's opens.
        expect(bob.locator("#connection-status")).to_have_text("Connected", timeout=30_000)
        assert bob.evaluate("() => window.__sockets.length") == attempts + 1
        assert "refusing handshakes" not in chat_server.log()
        send(ann, "after the storm")
        for page in (ann, bob):
            for text in ("before the storm", "typed while held", "after the storm"):
                expect(message(page, text)).to_have_count(1)
        expect(bob.locator(".msg.pending")).to_have_count(0)
