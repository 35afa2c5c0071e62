"""A lobby with hundreds of rooms: the busiest fifty on the first screen, a search that finds any other."""

import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import axe_violations, create_room, wait_in_room
from rooms.tests.support.servers import sqlite_server

ROOMS = 300
TOPICS = 5


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory):
    """This module's own server: its hundreds of rooms would crowd every other browser test's lobby."""
    with sqlite_server(
        tmp_path_factory.mktemp("crowded-lobby"), ROOM_CREATE_LIMIT="1000", ROOM_CREATE_ADDRESS_LIMIT="1000"
    ) as server:
        # club-000 … club-299, the higher the number the more recently active.
        server.shell(
            "from datetime import timedelta; from django.utils import timezone; from rooms.models import Room; "
            "start = timezone.now() - timedelta(days=1); "
            "Room.objects.bulk_create(Room(kind='named', name=f'club-{i:03}', key=f'club-{i:03}', "
            f"title=f'club-{{i:03}}', last_active_at=start + timedelta(seconds=i)) for i in range({ROOMS}))"
        )
        yield server


def room_buttons(page, list_id: str):
    return page.locator(f"#{list_id} > li")


def test_the_lobby_shows_the_busiest_fifty_and_the_search_finds_and_opens_any_other(open_page):
    ann = open_page("/")
    busiest = room_buttons(ann, "room-list")
    expect(busiest).to_have_count(50)
    expect(busiest.first).to_have_attribute("data-room", "general")
    expect(busiest.nth(TOPICS)).to_have_attribute("data-room", "club-299")  # the most recently active
    expect(ann.locator("#room-list-status")).to_have_text(f"and {TOPICS + ROOMS - 50} more rooms")
    expect(ann.get_by_role("button", name=re.compile("^club-007"))).to_have_count(0)

    ann.get_by_role("searchbox", name="Find a room by name").fill("club-007")
    found = room_buttons(ann, "room-results")
    expect(found).to_have_count(1)
    expect(ann.locator("#room-list")).to_be_hidden()
    assert axe_violations(ann) == []
    ann.fill("#id_username", "ann")
    found.get_by_role("button", name=re.compile("^club-007")).click()
    wait_in_room(ann, "ann", "club-007")

    # The sidebar is bounded too; the room ann is in is listed and marked all the same.
    sidebar = ann.locator("#sidebar-rooms > li")
    expect(sidebar).to_have_count(51)
    expect(ann.locator("#sidebar-rooms").get_by_role("link", name=re.compile("^club-007"))).to_have_attribute(
        "aria-current", "page"
    )
    expect(ann.locator("#sidebar-more")).to_have_text(f"{TOPICS + ROOMS - 50} more rooms in the lobby")


# The events each of the page's sockets hears, by name, in window.__heard.
HEARD = """
window.__heard = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", (e) => window.__heard.push(JSON.parse(e.data).event));
  }
};
"""


def test_every_room_a_to_z_a_page_at_a_time_and_a_new_match_arrives_live(open_page):
    ann = open_page("/")
    ann.add_init_script(HEARD)
    ann.reload()
    expect(room_buttons(ann, "room-list")).to_have_count(50)
    # The lists are live once the socket's room_list is in: before it, these links load pages from the server
    # (?q=&after=…, a page of 50 on its own), and a room_list arriving mid-search starts the search again.
    ann.wait_for_function("() => window.__heard.includes('room_list')")
    ann.get_by_role("link", name="All rooms, A to Z").click()
    found = room_buttons(ann, "room-results")
    expect(found).to_have_count(50)
    expect(found.first).to_have_attribute("data-room", "club-000")
    ann.get_by_role("link", name="More rooms").click()
    expect(found).to_have_count(100)
    expect(found.nth(50)).to_have_attribute("data-room", "club-050")

    # A search with every match shown takes a new matching room live; the full busiest list does not grow.
    ann.get_by_role("searchbox", name="Find a room by name").fill("zebra")
    expect(ann.locator("#room-list-status")).to_have_text("No room has “zebra” in its name.")
    bob = open_page("/")
    create_room(bob, "bob", "zebra-crossing")
    expect(found).to_have_count(1)
    expect(found.first).to_have_attribute("data-room", "zebra-crossing")
    expect(room_buttons(ann, "room-list")).to_have_count(50)
