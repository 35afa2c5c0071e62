"""Own messages, room owners and flood control, driven through the consumer."""

import asyncio
import json
import time

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from rooms import selectors, services
from rooms.identity import Actor
from rooms.models import AuditEntry, Ban, Message, Presence, Room
from rooms.tests.support.client import NOISE as ROOM_NOISE
from rooms.tests.support.client import owned_room

pytestmark = pytest.mark.django_db(transaction=True)

NOISE = (*ROOM_NOISE, "ack")


@database_sync_to_async
def message_row(message_id):
    return Message.objects.get(pk=message_id)


@database_sync_to_async
def audit_actions():
    return list(AuditEntry.objects.order_by("created_at").values_list("action", flat=True))


@database_sync_to_async
def age_message(message_id, seconds):
    Message.objects.filter(pk=message_id).update(created_at=timezone.now() - timezone.timedelta(seconds=seconds))


# --- editing and deleting one's own messages -------------------------------------


async def test_edit_own_message_reaches_the_room(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    sent = await ann.say("helo")
    await ann.send("edit_message", {"id": sent["id"], "text": "hello"})
    for client in (ann, bob):
        update = await client.expect("message_updated", skip=(*NOISE, "receive_message"))
        assert (update["id"], update["text"], update["room"]) == (sent["id"], "hello", "general")
        assert update["edited_at"].endswith("Z")
    row = await message_row(sent["id"])
    assert row.text == "hello" and row.edited_at is not None
    # History shows the edit.
    await bob.send("history", {})
    page = await bob.expect("history", skip=(*NOISE, "receive_message"))
    assert page["messages"][-1]["text"] == "hello"
    assert "edited_at" in page["messages"][-1]


async def test_the_same_display_name_in_another_session_cannot_edit_or_delete(joined, connect):
    ann = await joined("general", "ann")
    sent = await ann.say("mine")
    await ann.send("leave_room")
    impostor = await connect()
    await impostor.join("general", "ann")  # same display name, different session
    await impostor.send("edit_message", {"id": sent["id"], "text": "pwned"})
    assert (await impostor.expect("error", skip=NOISE))["code"] == "forbidden"
    await impostor.send("delete_message", {"id": sent["id"]})
    assert (await impostor.expect("error", skip=NOISE))["code"] == "forbidden"
    assert (await message_row(sent["id"])).text == "mine"


async def test_edits_close_after_the_edit_window(joined, settings):
    settings.EDIT_WINDOW_SECONDS = 60
    ann = await joined()
    sent = await ann.say("typo")
    await age_message(sent["id"], 61)
    await ann.send("edit_message", {"id": sent["id"], "text": "fixed"})
    assert (await ann.expect("error", skip=NOISE))["code"] == "edit_window_closed"


async def test_edit_checks_the_text_and_the_message(joined):
    ann = await joined()
    sent = await ann.say("x")
    await ann.send("edit_message", {"id": sent["id"], "text": "  "})
    assert (await ann.expect("error", skip=NOISE))["code"] == "invalid_message"
    await ann.send("edit_message", {"id": 999999, "text": "y"})
    assert (await ann.expect("error", skip=NOISE))["code"] == "message_not_found"


async def test_delete_own_message_removes_it_live_and_from_history(joined, connect):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    keep = await ann.say("keep")
    gone = await ann.say("oops")
    await ann.send("delete_message", {"id": gone["id"]})
    deleted = await bob.expect("message_deleted", skip=(*NOISE, "receive_message"))
    assert deleted == {"id": gone["id"], "room": "general", "by": "author"}
    newcomer = await connect()
    history = (await newcomer.join("general", "cat"))["history"]
    assert [m["id"] for m in history] == [keep["id"]]
    await ann.send("delete_message", {"id": gone["id"]})
    assert (await ann.expect("error", skip=(*NOISE, "receive_message", "message_deleted")))["code"] == (
        "message_not_found"
    )


async def test_messages_of_another_room_are_not_found(joined):
    ann = await joined("general", "ann")
    sent = await ann.say("here")
    await ann.join("tech")
    await ann.send("delete_message", {"id": sent["id"]})
    assert (await ann.expect("error", skip=NOISE))["code"] == "message_not_found"


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


# --- typing -------------------------------------------------------------------------


async def test_typing_reaches_the_others_throttled_and_is_not_stored(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    await bob.collect()
    for _ in range(5):
        await ann.send("typing")
    frames = await bob.collect(seconds=0.5)
    assert [data for event, data in frames if event == "typing"] == [{"room": "general", "username": "ann"}]
    assert "typing" not in [event for event, _ in await ann.collect()]
    assert await database_sync_to_async(Message.objects.count)() == 0


# --- flood control --------------------------------------------------------------------


async def test_message_bucket_refuses_a_burst_and_refills(connect, settings):
    settings.RATE_LIMIT_BURST = 3
    settings.RATE_LIMIT_PER_SECOND = 2
    ann = await connect(username="ann")
    await ann.join("general")
    for i in range(3):
        await ann.say(f"burst {i}")
    await ann.send("send_message", {"text": "one too many", "client_id": "c4"})
    error = await ann.expect("error", skip=NOISE)
    assert error["code"] == "rate_limited"
    assert error["client_id"] == "c4"
    assert 0 < error["retry_after"] <= 0.5
    await asyncio.sleep(error["retry_after"] + 0.05)
    assert (await ann.say("one too many", client_id="c4"))["text"] == "one too many"


async def test_a_frame_flood_is_refused_then_disconnected_while_others_chat(connect, joined, settings):
    settings.FRAME_RATE_BURST = 20
    settings.FRAME_RATE_PER_SECOND = 5
    settings.FLOOD_DISCONNECT_AFTER = 50
    flooder = await connect(username="flood")
    await flooder.join("general")
    bob = await joined("general", "bob")
    for _ in range(200):
        await flooder.send("history", {"limit": 1})
    frames = []
    while True:
        output = await flooder.communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            assert output["code"] == 4008
            break
        frames.append(output)
    errors = [json.loads(f["text"])["data"] for f in frames if '"rate_limited"' in f.get("text", "")]
    # Every refused frame before the close is answered, naming what was refused.
    assert len(errors) == settings.FLOOD_DISCONNECT_AFTER - 1
    assert {error["event"] for error in errors} == {"history"}
    assert (await bob.say("still fine"))["text"] == "still fine"


async def test_every_message_refused_by_the_frame_limit_is_answered_with_its_client_id(connect, settings):
    settings.FRAME_RATE_BURST = 5
    settings.FRAME_RATE_PER_SECOND = 1
    ann = await connect(username="ann")
    await ann.join("general")
    sent = [f"c{i}" for i in range(30)]
    for client_id in sent:
        await ann.send("send_message", {"text": f"text {client_id}", "client_id": client_id})
    acked, refused = set(), set()
    while len(acked | refused) < len(sent):
        event, data = await ann.receive()
        if event == "ack":
            acked.add(data["client_id"])
        elif event == "error":
            assert data["code"] == "rate_limited"
            refused.add(data["client_id"])
    assert acked and refused
    assert acked | refused == set(sent)
    assert not acked & refused


async def test_guessing_codes_is_throttled_per_session(connect, settings):
    settings.JOIN_MISS_LIMIT = 3
    guesser = await connect(username="eve")
    for i in range(3):
        await guesser.send("join_room", {"room_name": f"GUESS{i}22"})
        assert (await guesser.expect("error"))["code"] == "room_not_found"
    await guesser.send("join_room", {"room_name": "GUESS922"})
    error = await guesser.expect("error")
    assert error["code"] == "rate_limited"
    assert error["retry_after"] == 60
    # Even a real room is refused until the minute is up: guesses cost the same.
    await guesser.send("join_room", {"room_name": "general"})
    assert (await guesser.expect("error"))["code"] == "rate_limited"


async def test_a_banned_guest_cannot_join(connect):
    ann = await connect(username="ann")
    await database_sync_to_async(Ban.objects.create)(guest_key=await _guest_of(ann), reason="spam")
    await ann.send("join_room", {"room_name": "general"})
    error = await ann.expect("error")
    assert error["code"] == "banned"
    assert "spam" in error["message"]
    assert error["until"] is None


@database_sync_to_async
def _guest_of(client):
    from django.contrib.sessions.backends.db import SessionStore

    from rooms.identity import GUEST_KEY

    return SessionStore(session_key=client.session_key)[GUEST_KEY]


# --- removal racing a join ----------------------------------------------------------


async def test_a_room_closed_while_someone_is_joining_leaves_them_out_cleanly(connect, monkeypatch):
    """A moderator closes the room between the joiner's presence and their history snapshot."""
    real_snapshot = selectors.join_snapshot

    def snapshot_after_a_close(*, room, since_id=None):
        services.room_close(room=room, actor=Actor(guest_key="mod", is_staff=True), reason="spam")
        time.sleep(0.3)  # the eviction reaches the socket while its join is still under way
        return real_snapshot(room=room, since_id=since_id)

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
