"""The lobby over the socket when there are many rooms: a bounded room_list, and find_rooms for the rest."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from chatsite.asgi import application
from rooms.models import Presence, Room
from rooms.tests.support.client import NOISE

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def many_rooms(count: int, *, busy: dict[int, int]) -> None:
    """`count` named rooms (room-0000 …), the higher the number the more recently active; busy: {number: people}."""
    start = timezone.now() - timedelta(days=1)
    rooms = Room.objects.bulk_create(
        Room(
            kind=Room.Kind.NAMED,
            name=f"room-{i:04}",
            key=f"room-{i:04}",
            title=f"Room {i}",
            last_active_at=start + timedelta(seconds=i),
        )
        for i in range(count)
    )
    Presence.objects.bulk_create(
        Presence(room=rooms[number], guest_key=f"g{number}-{i}", username=f"p{i}", username_key=f"p{i}")
        for number, people in busy.items()
        for i in range(people)
    )


async def test_room_list_is_bounded_busiest_first_and_says_how_many_there_are(settings):
    settings.LOBBY_ROOMS_MAX = 30
    await many_rooms(1000, busy={5: 2, 700: 1, 42: 4})
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"http://localhost")])
    assert (await communicator.connect())[0]
    frame = await communicator.receive_json_from()
    await communicator.disconnect()
    assert frame["event"] == "room_list"
    rooms, topics = frame["data"]["rooms"], len(settings.TOPIC_ROOMS)
    assert len(rooms) == 30
    assert [room["name"] for room in rooms[:topics]] == settings.TOPIC_ROOMS
    assert [(room["name"], room["users"]) for room in rooms[topics : topics + 4]] == [
        ("room-0042", 4),
        ("room-0005", 2),
        ("room-0700", 1),
        ("room-0999", 0),
    ]
    assert (frame["data"]["total"], frame["data"]["limit"]) == (topics + 1000, 30)


async def test_find_rooms_finds_a_room_not_listed_and_pages_through_the_rest(connect, settings):
    settings.LOBBY_ROOMS_MAX = 10
    await many_rooms(500, busy={})
    eve = await connect(username="eve")
    await eve.send("find_rooms", {"query": "Room-001"})
    found = await eve.expect("room_results", skip=NOISE)
    assert found == {
        "query": "Room-001",
        "rooms": [{"name": f"room-{i:04}", "title": f"Room {i}", "kind": "named", "users": 0} for i in range(10, 20)],
        "next": None,
    }
    await eve.send("find_rooms", {"query": "room-02"})
    first = await eve.expect("room_results", skip=NOISE)
    assert (first["rooms"][0]["name"], first["next"]) == ("room-0200", "room-0209")
    await eve.send("find_rooms", {"query": "room-02", "after": first["next"]})
    assert (await eve.expect("room_results", skip=NOISE))["rooms"][0]["name"] == "room-0210"
    # A room found is a room like any other: join it.
    assert (await eve.join("room-0013"))["room"]["name"] == "room-0013"
    # A wrong shape is bad_frame, and the socket stays usable.
    await eve.send("find_rooms", {"query": ["room"]})
    assert (await eve.expect("error", skip=NOISE))["code"] == "bad_frame"
    await eve.send("find_rooms", {})
    everything = await eve.expect("room_results", skip=NOISE)
    assert everything["rooms"][0]["name"] == "gaming" and everything["next"]
