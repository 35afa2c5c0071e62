"""One person past the cap on open sockets, in headless Chromium: one clear message, no reconnect loop.

Its own server with WS_MAX_SOCKETS_PER_PERSON=1, so a second tab of the same
session is already one too many.
"""

import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import create_room, fresh_room_name
from rooms.tests.support.servers import sqlite_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory):
    """Overrides conftest's for this module: one socket per person."""
    with sqlite_server(tmp_path_factory.mktemp("one-tab"), WS_MAX_SOCKETS_PER_PERSON="1") as server:
        yield server


def test_a_tab_past_the_cap_says_so_and_does_not_reconnect(open_page):
    room = fresh_room_name("tabs")
    first = open_page("/")
    create_room(first, "dave", room)
    second = first.context.new_page()  # the same browser, the same session
    sockets = []
    second.on("websocket", lambda socket: sockets.append(socket.url))
    second.goto(f"/r/{room}/")

    expect(second.locator("#connection-status")).to_have_text("Disconnected")
    notice = "chatsite is open in too many tabs; close some and reload this page."
    expect(second.get_by_text(notice).first).to_be_visible()
    expect(second.locator("#message-input")).to_be_disabled()
    # Past the first reconnect delays (0.5 s, then 1 s): still the one socket.
    second.wait_for_timeout(2500)
    assert len(sockets) == 1
    expect(first.locator("#connection-status")).to_have_text("Connected")

    # Closing the other tab frees the slot: a reload gets in.
    first.close()
    second.reload()
    expect(second.locator("#connection-status")).to_have_text("Connected")
    expect(second.locator("#member-list")).to_contain_text("dave")


def test_the_lobby_past_the_cap_says_its_counts_are_not_live_and_its_forms_still_work(open_page):
    room = fresh_room_name("tabs")
    first = open_page("/")
    create_room(first, "erin", room)
    lobby = first.context.new_page()  # the same session: its lobby socket is one too many
    lobby.goto("/")
    expect(lobby.get_by_role("status")).to_have_text(
        "chatsite is open in too many tabs, so these counts are not live; close some and reload this page."
    )
    lobby.fill("#id_room", room)
    lobby.click("button[name=action][value=join]")
    expect(lobby).to_have_url(re.compile(rf"/r/{re.escape(room)}/$"))
