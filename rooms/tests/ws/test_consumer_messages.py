"""The WebSocket contract, driven through the real ASGI application: sending messages,
paging back through history, and leaving the room."""

import re
from datetime import datetime

import pytest
from channels.db import database_sync_to_async

from rooms.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@database_sync_to_async
def stored_messages(room_name):
    return list(Message.objects.filter(room__key=room_name.lower()).order_by("id").values_list("text", flat=True))


# --- send_message ----------------------------------------------------------------


async def test_message_reaches_everyone_including_the_sender(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    await ann.send("send_message", {"text": "hello <b>bob</b>"})
    mine = await ann.expect("receive_message", skip=("room_update", "room_updates", "member_list", "system_message"))
    theirs = await bob.expect("receive_message", skip=("room_update", "room_updates", "member_list", "system_message"))
    assert mine == theirs
    assert mine["text"] == "hello <b>bob</b>"
    assert mine["username"] == "ann"
    assert mine["room"] == "general"
    assert isinstance(mine["id"], int)
    assert ISO_UTC.match(mine["ts"])
    datetime.fromisoformat(mine["ts"].replace("Z", "+00:00"))


async def test_message_ids_increase_and_are_stored_before_broadcast(joined):
    ann = await joined("tech", "ann")
    ids = []
    for i in range(5):
        received = await ann.say(f"n{i}")
        # By the time it is broadcast, the row is committed.
        assert (await stored_messages("tech"))[-1] == f"n{i}"
        ids.append(received["id"])
    assert ids == sorted(ids)
    assert len(set(ids)) == 5


async def test_client_id_gets_an_ack_and_a_resend_is_not_stored_twice(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    await ann.send("send_message", {"text": "once", "client_id": "c-1"})
    ack = await ann.expect(
        "ack", skip=("room_update", "room_updates", "member_list", "system_message", "receive_message")
    )
    assert ack["client_id"] == "c-1"
    await ann.send("send_message", {"text": "once", "client_id": "c-1"})
    again = await ann.expect(
        "ack", skip=("room_update", "room_updates", "member_list", "system_message", "receive_message")
    )
    assert again == ack
    assert await stored_messages("general") == ["once"]
    received = [d for e, d in await bob.collect() if e == "receive_message"]
    assert [m["text"] for m in received] == ["once"]
    assert received[0]["client_id"] == "c-1"


async def test_blank_message_is_invalid(joined):
    ann = await joined()
    for text in ["", "   ", "\n\t"]:
        await ann.send("send_message", {"text": text})
        assert (await ann.expect("error"))["code"] == "invalid_message"


async def test_over_long_message_is_refused_with_the_limit(joined, settings):
    settings.MAX_MESSAGE_LENGTH = 20
    ann = await joined()
    await ann.send("send_message", {"text": "x" * 21, "client_id": "long-1"})
    error = await ann.expect("error")
    assert error["code"] == "message_too_long"
    assert error["max_length"] == 20
    assert error["client_id"] == "long-1"
    assert (await ann.say("x" * 20))["text"] == "x" * 20


async def test_default_limit_is_2000_characters(joined):
    ann = await joined()
    assert (await ann.say("y" * 2000))["text"] == "y" * 2000
    await ann.send("send_message", {"text": "y" * 2001})
    assert (await ann.expect("error"))["code"] == "message_too_long"


async def test_send_before_joining_is_not_in_room(connect):
    ann = await connect(username="ann")
    await ann.send("send_message", {"text": "hello?"})
    assert (await ann.expect("error"))["code"] == "not_in_room"
    await ann.send("history", {})
    assert (await ann.expect("error"))["code"] == "not_in_room"


# --- history -----------------------------------------------------------------------


async def test_history_pages_backwards_oldest_first(joined):
    ann = await joined()
    sent = [(await ann.say(f"h{i}"))["id"] for i in range(30)]
    await ann.send("history", {"before_id": sent[20], "limit": 5})
    page = await ann.expect("history")
    assert page["room"] == "general"
    assert [m["text"] for m in page["messages"]] == ["h15", "h16", "h17", "h18", "h19"]
    assert page["has_more"] is True
    await ann.send("history", {"before_id": sent[3], "limit": 10})
    last = await ann.expect("history")
    assert [m["text"] for m in last["messages"]] == ["h0", "h1", "h2"]
    assert last["has_more"] is False


async def test_history_limit_is_capped_at_100(joined):
    ann = await joined()
    for i in range(105):
        await ann.say(f"c{i}")
    await ann.send("history", {"limit": 5000})
    page = await ann.expect("history")
    assert len(page["messages"]) == 100
    assert page["messages"][-1]["text"] == "c104"


# --- leave_room --------------------------------------------------------------------


async def test_leave_room_then_sending_is_not_in_room(joined):
    ann = await joined()
    await ann.send("leave_room")
    assert (await ann.expect("leave_confirm", skip=("room_update", "room_updates", "member_list")))["room"] == "general"
    await ann.send("send_message", {"text": "still here?"})
    assert (await ann.expect("error", skip=("room_update", "room_updates", "member_list")))["code"] == "not_in_room"
    await ann.send("leave_room")
    assert (await ann.expect("error", skip=("room_update", "room_updates", "member_list")))["code"] == "not_in_room"
