"""The WebSocket contract, driven through the real ASGI application."""

import json
import re
from datetime import datetime

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore

from chatsite.asgi import application
from rooms.identity import USERNAME_KEY
from rooms.models import Message, Room
from rooms.rules import CODE_ALPHABET

pytestmark = pytest.mark.django_db(transaction=True)

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@database_sync_to_async
def stored_messages(room_name):
    return list(Message.objects.filter(room__key=room_name.lower()).order_by("id").values_list("text", flat=True))


@database_sync_to_async
def session_username(session_key):
    return SessionStore(session_key=session_key).get(USERNAME_KEY)


@database_sync_to_async
def make_private_room(code="K7QX9MPA"):
    return Room.objects.create(kind=Room.Kind.PRIVATE, name=code, title=f"Private room {code}").name


# --- connecting and the lobby --------------------------------------------------


async def test_room_list_on_connect_lists_public_rooms_only():
    await make_private_room("SECRET22")
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"http://localhost")])
    connected, _ = await communicator.connect()
    assert connected
    frame = await communicator.receive_json_from()
    assert frame["event"] == "room_list"
    rooms = frame["data"]["rooms"]
    assert [r["name"] for r in rooms[:5]] == ["general", "tech", "sports", "music", "gaming"]
    assert all(set(r) == {"name", "title", "kind", "users"} for r in rooms)
    assert "SECRET22" not in {r["name"] for r in rooms}
    await communicator.disconnect()


async def test_handshake_from_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"http://evil.example")])
    connected, _ = await communicator.connect()
    assert not connected


async def test_other_websocket_paths_are_refused_cleanly():
    communicator = WebsocketCommunicator(application, "/ws/other/", headers=[(b"origin", b"http://localhost")])
    connected, _ = await communicator.connect()
    assert not connected


# --- join_room -----------------------------------------------------------------


async def test_join_topic_room_case_insensitively(connect):
    ann = await connect()
    confirm = await ann.join("GeNeRaL", "ann")
    assert confirm["room"] == {"name": "general", "title": "General", "kind": "topic", "users": 1}
    assert confirm["username"] == "ann"
    assert confirm["members"] == ["ann"]
    assert confirm["history"] == []


async def test_join_private_room_by_code_in_any_case(connect):
    code = await make_private_room("K7QX9MPA")
    ann = await connect()
    confirm = await ann.join(code.lower(), "ann")
    assert confirm["room"]["name"] == "K7QX9MPA"
    assert confirm["room"]["kind"] == "private"


async def test_unknown_room_is_room_not_found_and_socket_stays_usable(connect):
    ann = await connect()
    await ann.send("join_room", {"room_name": "NOPE2345", "username": "ann"})
    error = await ann.expect("error")
    assert error["code"] == "room_not_found"
    assert error["event"] == "join_room"
    confirm = await ann.join("general", "ann")
    assert confirm["room"]["name"] == "general"


async def test_create_true_makes_and_joins_a_named_room_announced_to_everyone(connect):
    watcher = await connect()
    ann = await connect()
    confirm = await ann.join("Book-Club", "ann", create=True)
    assert confirm["room"] == {"name": "Book-Club", "title": "Book-Club", "kind": "named", "users": 1}
    update = await watcher.expect("room_update", skip=("room_list",))
    assert update["name"] == "Book-Club"
    assert update["kind"] == "named"
    # It is now public: a new socket sees it in room_list, and joining by name finds the same room.
    other = await connect()
    assert (await other.join("book-club", "cat"))["room"]["name"] == "Book-Club"


async def test_create_true_with_an_invalid_name_is_refused(connect):
    ann = await connect()
    for name in ["bad name!", "-dash-first", "x" * 33]:
        await ann.send("join_room", {"room_name": name, "username": "ann", "create": True})
        assert (await ann.expect("error"))["code"] == "invalid_room_name"


async def test_username_from_the_session_when_omitted(connect):
    ann = await connect(username="ann")
    confirm = await ann.join("general")
    assert confirm["username"] == "ann"


async def test_no_username_anywhere_is_invalid_username(connect):
    anon = await connect()
    await anon.send("join_room", {"room_name": "general"})
    assert (await anon.expect("error"))["code"] == "invalid_username"


async def test_given_username_is_stored_in_the_session(connect):
    ann = await connect()
    await ann.join("general", "  Ann   Lee ")
    assert await session_username(ann.session_key) == "Ann Lee"


@pytest.mark.parametrize("name", ["", "   ", "x" * 33, "ann\u202eevil", "bell\x07"])
async def test_invalid_usernames_are_refused(connect, name):
    ann = await connect()
    await ann.send("join_room", {"room_name": "general", "username": name})
    assert (await ann.expect("error"))["code"] == "invalid_username"


async def test_joining_another_room_leaves_the_current_one(connect, joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    await ann.expect("member_list", skip=("room_update", "room_updates", "system_message"))
    await bob.join("tech")
    members = await ann.expect("member_list", skip=("room_update", "room_updates", "system_message"))
    assert members == {"room": "general", "members": ["ann"]}


async def test_join_confirm_history_is_the_latest_50_oldest_first(joined, connect):
    ann = await joined("general", "ann")
    for i in range(55):
        await ann.say(f"m{i}")
    bob = await connect()
    confirm = await bob.join("general", "bob")
    assert [m["text"] for m in confirm["history"]] == [f"m{i}" for i in range(5, 55)]
    assert confirm["has_more"] is True


# --- create_room -----------------------------------------------------------------


async def test_create_room_returns_a_fresh_unambiguous_code(connect):
    ann = await connect()
    codes = set()
    for _ in range(3):
        await ann.send("create_room", {"username": "ann"})
        room = (await ann.expect("room_created"))["room"]
        assert room["kind"] == "private"
        assert room["users"] == 0
        assert len(room["name"]) >= 6
        assert set(room["name"]) <= set(CODE_ALPHABET)
        assert not set(room["name"]) & set("0O1IL")
        codes.add(room["name"])
    assert len(codes) == 3
    # Private rooms never show in the public list.
    fresh = await connect()
    await fresh.join(codes.pop(), "bob")


async def test_private_rooms_stay_out_of_room_list(connect):
    ann = await connect()
    await ann.send("create_room", {"username": "ann"})
    code = (await ann.expect("room_created"))["room"]["name"]
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"http://localhost")])
    await communicator.connect()
    names = {r["name"] for r in (await communicator.receive_json_from())["data"]["rooms"]}
    assert code not in names
    await communicator.disconnect()


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


# --- malformed frames ---------------------------------------------------------------

BAD_FRAMES = [
    ("not json", "bad_frame"),
    ("[1, 2, 3]", "bad_frame"),
    ('"just a string"', "bad_frame"),
    ("{}", "bad_frame"),
    ('{"event": 5}', "bad_frame"),
    ('{"event": "send_message", "data": []}', "bad_frame"),
    ('{"event": "send_message", "data": {"text": 5}}', "bad_frame"),
    ('{"event": "send_message", "data": {}}', "bad_frame"),
    ('{"event": "join_room", "data": {"room_name": "general", "create": "yes"}}', "bad_frame"),
    ('{"event": "history", "data": {"before_id": true}}', "bad_frame"),
    ('{"event": "history", "data": {"before_id": -3}}', "bad_frame"),
    ('{"event": "send_message", "data": {"text": "a", "client_id": "' + "x" * 65 + '"}}', "bad_frame"),
    ('{"event": "x", "data": {"a": {"b": {"c": {"d": {}}}}}}', "bad_frame"),
    ("[" * 5000 + "]" * 5000, "bad_frame"),
    ('{"event": "fly_to_the_moon", "data": {}}', "unknown_event"),
    ('{"event": "' + "y" * 70000 + '"}', "frame_too_large"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_FRAMES)
async def test_malformed_frames_get_a_stable_code_and_nobody_else_notices(joined, frame, code):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    await ann.collect()
    await ann.send_raw(frame)
    error = await ann.expect("error")
    assert error["code"] == code
    assert error["message"]
    assert await bob.events() == []
    # Still usable.
    assert (await ann.say("still here"))["text"] == "still here"


async def test_binary_frames_are_refused(joined):
    ann = await joined()
    await ann.send_raw(binary=b"\x00\x01binary")
    assert (await ann.expect("error"))["code"] == "bad_frame"
    assert (await ann.say("ok"))["text"] == "ok"


async def test_error_frames_are_valid_json_objects(connect):
    ann = await connect()
    await ann.send_raw("nope")
    raw = await ann.communicator.receive_from()
    frame = json.loads(raw)
    assert frame["event"] == "error"
    assert set(frame["data"]) >= {"code", "message"}
