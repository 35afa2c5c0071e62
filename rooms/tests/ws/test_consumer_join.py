"""The WebSocket contract, driven through the real ASGI application: connecting, the lobby,
joining rooms and creating private ones."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore

from chatsite.asgi import application
from rooms.identity import USERNAME_KEY
from rooms.models import Room
from rooms.rules import CODE_ALPHABET
from rooms.tests.support.client import NOISE

pytestmark = pytest.mark.django_db(transaction=True)


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
    update = await watcher.expect("room_update", skip=("room_list", "inbox"))
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


async def test_create_true_never_turns_a_code_shaped_name_into_a_room(connect, settings):
    """Asking to create "K7QX9MPA" is asking whether that code exists: a guess, counted like one."""
    settings.JOIN_MISS_LIMIT = 2
    code = await make_private_room("K7QX9MPA")
    eve = await connect()
    confirm = await eve.join(code.lower(), "eve", create=True)  # holding the code is the key
    assert (confirm["room"]["kind"], confirm["room"]["name"]) == ("private", code)
    for guess in ["ZZZZZZ22", "ZZZZZZ23"]:
        await eve.send("join_room", {"room_name": guess, "create": True})
        assert (await eve.expect("error", skip=NOISE))["code"] == "room_not_found"
    await eve.send("join_room", {"room_name": "ZZZZZZ24", "create": True})
    assert (await eve.expect("error", skip=NOISE))["code"] == "rate_limited"
    assert not await database_sync_to_async(Room.objects.filter(kind=Room.Kind.NAMED, key__startswith="zzzz").exists)()


async def test_creating_past_the_limit_is_room_limit_and_the_socket_stays_usable(connect, settings):
    settings.ROOM_CREATE_LIMIT = 2
    eve = await connect(username="eve")
    for name in ["eve-one", "eve-two"]:
        assert (await eve.join(name, create=True))["room"]["name"] == name
    await eve.send("join_room", {"room_name": "eve-three", "create": True})
    error = await eve.expect("error", skip=NOISE)
    assert (error["code"], error["event"]) == ("room_limit", "join_room")
    assert 0 < error["retry_after"] <= settings.ROOM_CREATE_WINDOW_SECONDS
    await eve.send("create_room")
    assert (await eve.expect("error", skip=NOISE))["code"] == "room_limit"
    # Still usable, still where it was: joining existing rooms, even with create, is not limited.
    assert (await eve.join("eve-one", create=True))["room"]["name"] == "eve-one"
    assert (await eve.join("general"))["room"]["name"] == "general"
    assert not await database_sync_to_async(Room.objects.filter(key="eve-three").exists)()


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
    assert members == {"room": "general", "members": ["ann"], "accounts": [], "avatars": {}}


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
