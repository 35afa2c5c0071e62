"""The rooms admin pages: the changelist (columns, filters, search, queries) and a room's
change form, with WebSocket clients in the room watching the changes land live."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from rooms import rules
from rooms.models import Room
from rooms.tests.admin.steps import NOISE, ChangeList, audit_log, by_name, changelist, room
from rooms.tests.support.client import owned_room

pytestmark = pytest.mark.django_db(transaction=True)


# --- 1. rooms changelist ----------------------------------------------------------------


async def test_room_changelist_shows_live_members_and_messages(joined, staff):
    ann = await joined("general", "ann")
    await joined("general", "bob")
    await ann.say("one")
    await ann.say("two")
    rows = by_name(await changelist(staff, "room"))
    general = rows["general"]
    assert general["live_members"] == "2"
    assert general["message_count"] == "2"
    assert general["kind"] == "Topic"
    assert rows["tech"]["live_members"] == "0"
    assert {"created_at", "last_active_at"} <= set(general)


@database_sync_to_async
def make_rooms() -> tuple[Room, Room]:
    """A named room and a private room, made the way people make them."""
    from rooms import services
    from rooms.identity import Actor

    owner = Actor(guest_key="owner-guest")
    named = services.room_create_named(name="book-club", actor=owner)[0]
    private = services.room_create_private(actor=owner)
    return named, private


async def test_room_changelist_filters_by_kind_and_searches_name_code_and_title(staff):
    named, private = await make_rooms()
    everything = {row["name"] for row in (await changelist(staff, "room")).rows}
    assert {"general", "tech", "book-club", private.name} <= everything

    assert [row["name"] for row in (await changelist(staff, "room", kind__exact="private")).rows] == [private.name]
    named_only = {row["name"] for row in (await changelist(staff, "room", kind__exact="named")).rows}
    assert named_only == {"book-club"}
    topics = {row["name"] for row in (await changelist(staff, "room", kind__exact="topic")).rows}
    assert topics == {"general", "tech", "sports", "music", "gaming"}

    assert [row["name"] for row in (await changelist(staff, "room", q="book")).rows] == ["book-club"]
    assert [row["name"] for row in (await changelist(staff, "room", q=private.name.lower())).rows] == [private.name]
    # Private rooms are titled "Private room <code>": a title search finds them all.
    assert [row["name"] for row in (await changelist(staff, "room", q="private room")).rows] == [private.name]
    assert (await changelist(staff, "room", q="no-such-room")).rows == []


def test_room_changelist_queries_do_not_grow_with_rooms(django_assert_max_num_queries):
    from rooms import services
    from rooms.identity import Actor

    user = get_user_model().objects.create_superuser("mod", "mod@example.com", "pw-not-used")
    client = Client()
    client.force_login(user)
    client.get("/admin/rooms/room/")  # warm up: the session's guest id, content types
    process = services.process_register()

    def add_rooms(count: int) -> None:
        start = Room.objects.count()
        for i in range(start, start + count):
            actor = Actor(guest_key=f"guest-{i}")
            room = services.room_create_named(name=f"room-{i}", actor=actor)[0]
            services.presence_enter(
                room=room, actor=actor, username=f"user{i}", connection_id=f"c{i}", process_id=process
            )
            services.message_post(room=room, actor=actor, username=f"user{i}", text="hi")

    def queries() -> int:
        with django_assert_max_num_queries(12) as captured:
            response = client.get("/admin/rooms/room/")
        assert response.status_code == 200
        return len(captured.captured_queries)

    add_rooms(1)
    few = queries()
    add_rooms(20)
    rows = by_name(ChangeList(client.get("/admin/rooms/room/").content.decode()))
    assert (rows["room-20"]["live_members"], rows["room-20"]["message_count"]) == ("1", "1")
    assert queries() == few


async def test_a_rooms_message_count_links_to_its_messages(joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("tech", "bob")
    hello = await ann.say("hello")
    await bob.say("elsewhere")
    page = await changelist(staff, "room")
    row, links = next(
        (row, links) for row, links in zip(page.rows, page.links, strict=True) if row["name"] == "general"
    )
    assert row["message_count"] == "1"
    listed = await staff.get(links["message_count"])
    assert listed.status_code == 200
    assert [int(row["id"]) for row in ChangeList(listed.content.decode()).rows] == [hello["id"]]


# --- the room change form ---------------------------------------------------------------


async def test_the_room_change_form_locks_sets_slow_mode_and_renames_live(connect, joined, staff):
    ann = await joined("general", "ann")
    lobby = await connect(username="carol")
    await lobby.collect()
    general = await room("general")
    response = await staff.post(
        f"/admin/rooms/room/{general.pk}/change/",
        {"title": "General chat", "locked": "on", "slow_mode_seconds": "5", "_save": "Save"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    state = await ann.expect("room_state", skip=NOISE)
    assert state["locked"] is True
    final = state if state["slow_mode"] == 5 else await ann.expect("room_state", skip=NOISE)
    assert final == {"room": "general", "locked": True, "slow_mode": 5}
    update = await lobby.expect("room_update")
    assert (update["name"], update["title"], update["users"]) == ("general", "General chat", 1)
    saved = await room("general")
    assert (saved.title, saved.locked, saved.slow_mode_seconds) == ("General chat", True, 5)
    assert {entry[1] for entry in await audit_log()} == {"lock_room", "slow_mode", "rename_room"}


async def test_renaming_a_private_room_reaches_only_its_members(connect, staff):
    ann, code = await owned_room(connect)
    lobby = await connect(username="carol")
    private = await room(code)
    response = await staff.post(
        f"/admin/rooms/room/{private.pk}/change/", {"title": "Book club", "slow_mode_seconds": "0", "_save": "Save"}
    )
    assert response.status_code == 302
    update = await ann.expect("room_update", skip=("member_list", "system_message"))
    assert (update["name"], update["title"], update["users"]) == (code, "Book club", 1)
    assert await lobby.events(skip=()) == []


async def test_the_room_change_form_refuses_bad_values_with_form_errors(staff):
    general = await room("general")
    response = await staff.post(
        f"/admin/rooms/room/{general.pk}/change/",
        {"title": "", "slow_mode_seconds": str(rules.SLOW_MODE_MAX_SECONDS + 1), "_save": "Save"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="errorlist') >= 2
    saved = await room("general")
    assert (saved.title, saved.slow_mode_seconds) == ("General", 0)
    assert await audit_log() == []
