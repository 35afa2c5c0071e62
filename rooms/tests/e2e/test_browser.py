"""The pages in headless Chromium, used the way a person uses them."""

import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import crowd, fresh_room_name, send

pytestmark = pytest.mark.browser


def enter_room(page, username: str, room: str) -> None:
    """From the lobby: type a display name, click a public room."""
    page.fill("#id_username", username)
    page.click(f"button[name=enter][value={room}]")
    expect(page).to_have_url(re.compile(rf"/r/{room}/$"))
    expect(page.locator("#connection-status")).to_have_text("Connected")
    expect(page.locator("#member-list")).to_contain_text(username)


def test_two_tabs_chat_live_and_script_shows_as_text(open_page):
    ann = open_page("/")
    bob = open_page("/")
    enter_room(ann, "ann", "music")
    enter_room(bob, "bob", "music")

    send(ann, "hello bob")
    expect(bob.locator(".msg").filter(has_text="hello bob").locator(".msg-author")).to_have_text("ann")
    expect(bob.locator(".msg").filter(has_text="hello bob").locator("time")).to_have_attribute(
        "datetime", re.compile(r"Z$")
    )

    payload = "<script>alert(1)</script>"
    send(bob, payload)
    message = ann.locator(".msg-text").filter(has_text=payload)
    expect(message).to_have_text(payload)
    assert ann.locator(".message-list script").count() == 0
    assert ann.dialogs == [] and bob.dialogs == []


def test_history_is_shown_on_entering_and_older_pages_load_on_scroll(open_page):
    ann = open_page("/")
    enter_room(ann, "ann", "gaming")
    for i in range(60):
        send(ann, f"old message {i}")
    expect(ann.locator(".msg-text").filter(has_text="old message 59")).to_be_visible()

    cat = open_page("/")
    enter_room(cat, "cat", "gaming")
    expect(cat.locator(".msg-text").filter(has_text="old message 59")).to_be_visible()
    expect(cat.locator(".msg-text").filter(has_text=re.compile(r"^old message 5$"))).to_have_count(0)
    cat.locator("#messages").evaluate("node => node.scrollTop = 0")
    expect(cat.locator(".msg-text").filter(has_text=re.compile(r"^old message 0$"))).to_have_count(1)


def test_messages_survive_a_server_restart(open_page, chat_server):
    ann = open_page("/")
    enter_room(ann, "ann", "sports")
    send(ann, "remember me")
    expect(ann.locator(".msg:not(.pending) .msg-text").filter(has_text="remember me")).to_be_visible()

    chat_server.restart()
    ann.reload()
    expect(ann.locator("#connection-status")).to_have_text("Connected")
    expect(ann.locator(".msg-text").filter(has_text="remember me")).to_be_visible()


def test_lobby_errors_show_next_to_the_form(open_page):
    page = open_page("/")
    page.click("button[name=enter][value=general]")
    expect(page.locator("#username-error")).to_contain_text("display name")
    page.fill("#id_username", "ann")
    page.fill("#id_room", "NOPE2345")
    page.click("button[name=action][value=join]")
    expect(page.locator("#room-error")).to_contain_text("No room called")


def test_private_room_by_code(open_page):
    ann = open_page("/")
    ann.fill("#id_username", "ann")
    ann.click("button[name=action][value=create_private]")
    expect(ann.locator("#room-code")).to_be_visible()
    code = ann.locator("#room-code").inner_text()

    bob = open_page("/")
    bob.fill("#id_username", "bob")
    bob.fill("#id_room", code.lower())
    bob.click("button[name=action][value=join]")
    expect(bob).to_have_url(re.compile(rf"/r/{code}/$"))
    expect(bob.locator("#member-list")).to_contain_text("ann")


def test_presence_member_list_notices_and_live_lobby_counts(open_page):
    lobby = open_page("/")
    count = lobby.locator("#room-list li[data-room=tech] .count-value")
    expect(count).to_have_text("0")

    ann = open_page("/")
    enter_room(ann, "ann", "tech")
    expect(count).to_have_text("1")

    bob = open_page("/")
    enter_room(bob, "bob", "tech")
    expect(ann.locator("#member-list .member .member-name")).to_have_text(["ann", "bob"])
    expect(ann.locator(".notice").filter(has_text="bob joined")).to_be_visible()
    expect(count).to_have_text("2")

    bob.close()
    expect(ann.locator(".notice").filter(has_text="bob left")).to_be_visible()
    expect(ann.locator("#member-list .member .member-name")).to_have_text(["ann"])
    expect(count).to_have_text("1")


def test_the_lobbys_room_buttons_are_not_redrawn_under_the_pointer_when_the_live_list_arrives(open_page):
    # The lobby's buttons come drawn by the server; room_list follows when the socket opens. A button
    # thrown away and drawn again at that moment swallows the click of someone quick to pick a room.
    lobby = open_page("/")
    lobby.add_init_script(
        "addEventListener('DOMContentLoaded', () => {"
        " window.__drawn = [...document.querySelectorAll('#room-list button')]; })"
    )
    lobby.reload()
    music = lobby.locator("#room-list li[data-room=music] .count-value")
    before = int(music.inner_text())
    ann = open_page("/")
    enter_room(ann, "ann", "music")
    expect(music).to_have_text(str(before + 1))  # the lobby's socket is live: its room_list came long before
    replaced = lobby.evaluate(
        "window.__drawn.filter((b) => !b.isConnected"
        " && document.querySelector(`#room-list button[value='${b.value}']`)).map((b) => b.value)"
    )
    assert lobby.evaluate("window.__drawn.length") >= 5
    assert replaced == []


def test_many_people_joining_at_once_show_in_the_lobby_counts(open_page, chat_server):
    """Joins that come together reach the lobby as one multi-room update (room_updates); the grid shows them all."""
    lobby = open_page("/")
    rooms = [fresh_room_name("crowd") for _ in range(3)]
    counts = [lobby.locator(f"#room-list li[data-room={room}] .count-value") for room in rooms]
    with crowd(chat_server.ws_url, [(rooms[n % 3], f"person{n}") for n in range(12)]):
        for count in counts:
            expect(count).to_have_text("4")
    for count in counts:
        expect(count).to_have_text("0")


def test_switching_rooms_in_the_sidebar_keeps_one_socket_and_the_url_follows(open_page):
    page = open_page("/")
    enter_room(page, "zed", "general")
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    expect(page.locator("#sidebar-rooms li[data-room=music]")).to_be_visible()
    page.evaluate("window.__samePage = true")

    page.click("#sidebar-rooms li[data-room=music] a")
    expect(page).to_have_url(re.compile(r"/r/music/$"))
    expect(page.locator("#room-title")).to_have_text("Music")
    expect(page.locator("#sidebar-rooms li[data-room=music] a")).to_have_attribute("aria-current", "page")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/r/general/$"))
    expect(page.locator("#room-title")).to_have_text("General")
    page.go_forward()
    expect(page.locator("#room-title")).to_have_text("Music")

    assert page.evaluate("window.__samePage") is True  # no reload happened
    assert sockets == []  # still the socket the room page opened
