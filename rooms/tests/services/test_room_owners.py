"""Room owners (delete, kick, lock, slow mode) and a moderator closing a room mid-join,
driven through the consumer."""

import asyncio
import time

import pytest
from channels.db import database_sync_to_async

from rooms import selectors, services
from rooms.identity import Actor
from rooms.models import AuditEntry, Presence, Room
from rooms.tests.services.moderation_steps import NOISE
from rooms.tests.support.client import owned_room

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def audit_actions():
    return list(AuditEntry.objects.order_by("created_at").values_list("action", flat=True))


# --- room owners ----------------------------------------------------------------


async def test_owner_deletes_anyones_message_and_it_is_audited(connect):
    ann, code = await owned_room(connect)
    bob = await connect(username="bob")
    await bob.join(code)
    sent = await bob.say("spam")
    await ann.send("delete_message", {"id": sent["id"]})
    assert (await bob.expect("message_deleted", skip=NOISE))["by"] == "owner"
    assert await audit_actions() == ["delete_message"]


async def test_owner_kicks_a_member_who_cannot_come_straight_back(connect):
    ann, code = await owned_room(connect)
    bob = await connect(username="bob")
    await bob.join(code)
    await ann.collect()
    await ann.send("kick_member", {"username": "BOB"})
    kicked = await bob.expect("kicked", skip=NOISE)
    assert kicked["room"] == code
    notice = await ann.expect("system_message", skip=("room_update", "room_updates"))
    assert notice["text"] == "bob was removed"
    assert (await ann.expect("member_list", skip=("room_update", "room_updates")))["members"] == ["ann"]
    # Out of the room, socket still open; rejoining is refused for a while.
    await bob.send("send_message", {"text": "hello?"})
    assert (await bob.expect("error", skip=NOISE))["code"] == "not_in_room"
    await bob.send("join_room", {"room_name": code})
    assert (await bob.expect("error", skip=NOISE))["code"] == "banned"
    assert await audit_actions() == ["kick"]


async def test_kick_errors(connect):
    ann, code = await owned_room(connect)
    await ann.send("kick_member", {"username": "nobody"})
    assert (await ann.expect("error", skip=NOISE))["code"] == "member_not_found"
    await ann.send("kick_member", {"username": "ann"})
    assert (await ann.expect("error", skip=NOISE))["code"] == "forbidden"


async def test_lock_makes_the_room_read_only_for_everyone_but_the_owner(connect):
    ann, code = await owned_room(connect)
    bob = await connect(username="bob")
    await bob.join(code)
    await ann.send("lock_room", {"locked": True})
    state = await bob.expect("room_state", skip=NOISE)
    assert state == {"room": code, "locked": True, "slow_mode": 0}
    await bob.send("send_message", {"text": "let me talk", "client_id": "b1"})
    error = await bob.expect("error", skip=NOISE)
    assert (error["code"], error["client_id"]) == ("room_locked", "b1")
    assert (await ann.say("owner may"))["text"] == "owner may"
    await ann.send("lock_room", {"locked": False})
    await bob.expect("room_state", skip=(*NOISE, "receive_message"))
    assert (await bob.say("thanks"))["text"] == "thanks"


async def test_slow_mode_spaces_each_members_messages(connect):
    ann, code = await owned_room(connect)
    bob = await connect(username="bob")
    await bob.join(code)
    await ann.send("set_slow_mode", {"seconds": 2})
    assert (await bob.expect("room_state", skip=NOISE))["slow_mode"] == 2
    await bob.say("one")
    await bob.send("send_message", {"text": "two", "client_id": "b2"})
    error = await bob.expect("error", skip=NOISE)
    assert error["code"] == "rate_limited"
    assert 0 < error["retry_after"] <= 2
    assert error["client_id"] == "b2"
    # The owner is exempt; after the wait, bob may post again.
    await ann.say("a")
    await ann.say("b")
    assert [(await bob.expect("receive_message", skip=NOISE))["text"] for _ in range(2)] == ["a", "b"]
    await asyncio.sleep(error["retry_after"] + 0.1)
    assert (await bob.say("two"))["text"] == "two"


async def test_moderation_events_from_others_are_forbidden(connect):
    ann, code = await owned_room(connect)
    bob = await connect(username="bob")
    await bob.join(code)
    sent = await ann.say("owner's words")
    for event, data in [
        ("kick_member", {"username": "ann"}),
        ("lock_room", {"locked": True}),
        ("set_slow_mode", {"seconds": 5}),
        ("delete_message", {"id": sent["id"]}),
    ]:
        await bob.send(event, data)
        assert (await bob.expect("error", skip=(*NOISE, "receive_message")))["code"] == "forbidden", event
    assert await audit_actions() == []


async def test_topic_rooms_have_no_owner(joined):
    ann = await joined("general", "ann")
    await ann.send("lock_room", {"locked": True})
    assert (await ann.expect("error", skip=NOISE))["code"] == "forbidden"


async def test_the_creator_of_a_named_room_owns_it(connect):
    ann = await connect(username="ann")
    confirm = await ann.join("ann-s-place", create=True)
    assert confirm["owner"] is True
    bob = await connect(username="bob")
    assert (await bob.join("ann-s-place"))["owner"] is False


# --- removal racing a join ----------------------------------------------------------


async def test_a_room_closed_while_someone_is_joining_leaves_them_out_cleanly(connect, monkeypatch):
    """A moderator closes the room between the joiner's presence and their history snapshot."""
    real_snapshot = selectors.join_snapshot

    def snapshot_after_a_close(*, room, since_id=None, **rest):
        services.room_close(room=room, actor=Actor(guest_key="mod", is_staff=True), reason="spam")
        time.sleep(0.3)  # the eviction reaches the socket while its join is still under way
        return real_snapshot(room=room, since_id=since_id, **rest)

    monkeypatch.setattr(selectors, "join_snapshot", snapshot_after_a_close)
    room = await database_sync_to_async(services.room_create_named)(
        name="doomed", actor=Actor(guest_key="owner-of-doomed")
    )
    ann = await connect(username="ann")
    await ann.send("join_room", {"room_name": "doomed"})
    frames = [event for event, _ in await ann.collect(seconds=1) if event not in (*NOISE, "room_removed")]
    assert frames == ["room_closed"]
    await ann.send("send_message", {"text": "anyone?"})
    assert (await ann.expect("error", skip=NOISE))["code"] == "not_in_room"
    assert not await database_sync_to_async(Presence.objects.filter(room_id=room[0].pk).exists)()
    assert await database_sync_to_async(Room.objects.filter(pk=room[0].pk, closed_at__isnull=False).exists)()


async def test_a_join_whose_history_cannot_be_read_takes_its_presence_back(connect, monkeypatch):
    """The presence is entered and the history read in one trip to the database thread: the read failing
    (the database gone between the two) leaves no presence behind, and the same join again goes through."""
    from django.db import OperationalError

    real_snapshot = selectors.join_snapshot
    failures = []

    def snapshot_once_unreachable(**arguments):
        if not failures:
            failures.append(arguments["room"].name)
            raise OperationalError("the database went away")
        return real_snapshot(**arguments)

    bob = await connect(username="bob")
    await bob.join("general")
    monkeypatch.setattr(selectors, "join_snapshot", snapshot_once_unreachable)
    ann = await connect(username="ann")
    await ann.send("join_room", {"room_name": "general"})
    assert (await ann.expect("error", skip=NOISE))["code"] == "unavailable"
    assert failures == ["general"]
    present = await database_sync_to_async(lambda: sorted(Presence.objects.values_list("username", flat=True)))()
    assert present == ["bob"]  # ann's presence, committed before the read, was taken back
    confirm = await ann.join("general")
    assert confirm["members"] == ["bob", "ann"] and confirm["username"] == "ann"
