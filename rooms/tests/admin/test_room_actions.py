"""The admin's room actions (close, reopen, lock, clear history), run by a staff user,
with WebSocket clients in the room and the lobby watching each action land live."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from rooms.models import AuditEntry
from rooms.tests.admin.steps import NOISE, _make_moderator, _text, audit_log, by_name, changelist, message, room

pytestmark = pytest.mark.django_db(transaction=True)


# --- 2. room actions ----------------------------------------------------------------------


async def home_page() -> str:
    """The lobby as a new visitor sees it."""
    return (await database_sync_to_async(Client().get)("/")).content.decode()


async def test_closing_a_room_tells_its_members_removes_them_and_archives_it(connect, joined, staff):
    ann = await connect(username="ann")
    await ann.join("book-club", create=True)
    bob = await joined("book-club", "bob")
    sent = await ann.say("last words")
    lobby = await connect(username="carol")  # on the home page, in no room
    await lobby.collect()
    assert 'value="book-club"' in await home_page()

    confirmation = await staff.close_rooms([await room("book-club")], reason="  off-topic flame war ")
    assert "book-club (Named, 2 online now, 1 message)" in _text(confirmation)
    assert 'name="reason"' in confirmation
    assert "Closed: 1." in await staff.page_messages()

    for member in (ann, bob):
        closed = await member.expect("room_closed", skip=(*NOISE, "receive_message"))
        assert closed == {"room": "book-club", "reason": "off-topic flame war"}
        # Still connected, but in no room.
        await member.send("send_message", {"text": "anyone?"})
        assert (await member.expect("error", skip=NOISE))["code"] == "not_in_room"
    assert (await lobby.expect("room_removed", skip=("room_update", "room_updates"))) == {"name": "book-club"}

    # Archived, not deleted: moderators keep the messages; nobody can join it or list it.
    archived = await room("book-club")
    assert archived.closed_at is not None
    assert (await message(sent["id"])).text == "last words"
    await lobby.send("join_room", {"room_name": "book-club"})
    assert (await lobby.expect("error"))["code"] == "room_not_found"
    assert 'value="book-club"' not in await home_page()
    rows = by_name(await changelist(staff, "room", status="closed"))
    assert list(rows) == ["book-club"]
    assert rows["book-club"]["live_members"] == "0"
    assert await audit_log() == [("staff mod", "close_room", "book-club", "")]
    assert await database_sync_to_async(AuditEntry.objects.values_list("detail", flat=True).get)() == (
        "off-topic flame war"
    )


async def test_closing_and_clearing_ask_for_confirmation_first(joined, staff):
    ann = await joined("general", "ann")
    sent = await ann.say("keep me")
    general = await room("general")
    for action in ("close_rooms", "clear_history"):
        asked = await staff.post("/admin/rooms/room/", {"action": action, "_selected_action": [general.pk], "index": 0})
        assert asked.status_code == 200
        assert 'name="confirm"' in asked.content.decode()
    assert await ann.events() == []  # nothing happens until the moderator confirms
    assert (await room("general")).closed_at is None
    assert (await message(sent["id"])).deleted_at is None
    too_long = await staff.post(
        "/admin/rooms/room/",
        {"action": "close_rooms", "_selected_action": [general.pk], "confirm": "yes", "reason": "x" * 201},
    )
    assert too_long.status_code == 200
    assert "errorlist" in too_long.content.decode()
    assert await ann.events() == []
    # Confirmed without a reason: members get the standard one.
    await staff.close_rooms([general])
    assert (await ann.expect("room_closed", skip=NOISE)) == {"room": "general", "reason": "closed by a moderator"}


async def test_closing_a_private_room_is_not_announced_to_the_lobby(connect, staff):
    ann = await connect(username="ann")
    await ann.send("create_room")
    code = (await ann.expect("room_created"))["room"]["name"]
    await ann.join(code)
    lobby = await connect(username="carol")
    await lobby.collect()
    await staff.close_rooms([await room(code)])
    assert (await ann.expect("room_closed", skip=NOISE))["room"] == code
    assert await lobby.events(skip=()) == []


async def test_a_closed_room_can_be_reopened_with_its_history(connect, staff):
    ann = await connect(username="ann")
    await ann.join("book-club", create=True)
    sent = await ann.say("before the storm")
    await staff.close_rooms([await room("book-club")])
    await ann.expect("room_closed", skip=NOISE)
    lobby = await connect(username="carol")

    await staff.action("room", "reopen_rooms", [await room("book-club")])
    assert "Reopened: 1." in await staff.page_messages()
    update = await lobby.expect("room_update")
    assert (update["name"], update["kind"], update["users"]) == ("book-club", "named", 0)
    assert 'value="book-club"' in await home_page()
    confirm = await ann.join("book-club")
    assert [m["id"] for m in confirm["history"]] == [sent["id"]]
    assert [entry[1] for entry in await audit_log()] == ["close_room", "reopen_room"]


async def test_staff_without_change_permission_cannot_run_room_actions(joined):
    ann = await joined("general", "ann")
    viewer = await _make_moderator("viewer", superuser=False)

    @database_sync_to_async
    def grant_view():
        from django.contrib.auth.models import Permission

        viewer.user.user_permissions.add(Permission.objects.get(codename="view_room"))

    await grant_view()
    assert len((await changelist(viewer, "room")).rows) == 5
    general = await room("general")
    for action in ("close_rooms", "lock_rooms", "clear_history"):
        response = await viewer.post(
            "/admin/rooms/room/", {"action": action, "_selected_action": [general.pk], "index": 0}
        )
        assert response.status_code == 200  # the changelist again: there is no such action for them
    assert await ann.events() == []
    assert (await room("general")).closed_at is None
    assert await audit_log() == []


async def test_lock_and_unlock_from_the_admin_take_effect_live(connect, joined, staff):
    ann = await joined("general", "ann")
    moderator = await connect(session=staff.session_key)
    await moderator.join("general", "mod")
    await ann.collect()

    await staff.action("room", "lock_rooms", [await room("general")])
    for client in (ann, moderator):
        assert await client.expect("room_state", skip=NOISE) == {"room": "general", "locked": True, "slow_mode": 0}
    await ann.send("send_message", {"text": "hello?", "client_id": "a1"})
    error = await ann.expect("error", skip=NOISE)
    assert (error["code"], error["client_id"]) == ("room_locked", "a1")
    assert (await moderator.say("staff may speak"))["text"] == "staff may speak"
    assert (await ann.expect("receive_message", skip=NOISE))["text"] == "staff may speak"
    # A newcomer learns the state on joining.
    bob = await connect(username="bob")
    assert (await bob.join("general"))["locked"] is True
    rows = by_name(await changelist(staff, "room", locked__exact="1"))
    assert list(rows) == ["general"]

    await staff.action("room", "unlock_rooms", [await room("general")])
    assert (await ann.expect("room_state", skip=NOISE))["locked"] is False
    assert (await ann.say("thanks"))["text"] == "thanks"
    actions = [entry[1] for entry in await audit_log()]
    assert actions == ["lock_room", "unlock_room"]


async def test_clearing_history_empties_every_open_page_and_new_joins(connect, joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    for text in ("one", "two", "three"):
        await ann.say(text)
    await bob.collect()

    confirmation = await staff.confirmed_action("room", "clear_history", [await room("general")])
    assert "general (Topic, 2 online now, 3 messages)" in _text(confirmation)
    assert "Cleared: 1." in await staff.page_messages()

    for client in (ann, bob):
        assert await client.expect("history_cleared", skip=(*NOISE, "receive_message")) == {"room": "general"}
    newcomer = await connect(username="cat")
    confirm = await newcomer.join("general")
    assert (confirm["history"], confirm["has_more"]) == ([], False)
    await bob.send("history", {})
    assert (await bob.expect("history", skip=NOISE))["messages"] == []
    # Talk goes on afterwards.
    assert (await ann.say("fresh start"))["text"] == "fresh start"
    assert await audit_log() == [("staff mod", "clear_history", "general", "")]
