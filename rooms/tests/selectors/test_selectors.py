"""rooms/selectors/: the lobby's order, history pages, join snapshots, the ban in force."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rooms import selectors, services
from rooms.identity import Actor
from rooms.models import Ban, Presence, Room

pytestmark = pytest.mark.django_db

ann = Actor(guest_key="guest-ann")


def post(room, count, prefix="m"):
    return [services.message_post(room=room, actor=ann, username="ann", text=f"{prefix}{i}")[0] for i in range(count)]


def bulk_rooms(count: int, *, prefix: str = "room") -> list[Room]:
    """`count` empty named rooms, the higher the number the more recently active."""
    start = timezone.now() - timedelta(days=1)
    return Room.objects.bulk_create(
        Room(
            kind=Room.Kind.NAMED,
            name=f"{prefix}-{i:04}",
            key=f"{prefix}-{i:04}",
            title=f"{prefix}-{i:04}",
            last_active_at=start + timedelta(seconds=i),
        )
        for i in range(count)
    )


def occupy(room: Room, people: int) -> None:
    Presence.objects.bulk_create(
        Presence(room=room, guest_key=f"g-{room.pk}-{i}", username=f"p{i}", username_key=f"p{i}") for i in range(people)
    )


def test_the_lobby_is_bounded_topics_first_then_busiest_then_latest_active(settings, django_assert_max_num_queries):
    settings.LOBBY_ROOMS_MAX = 20
    rooms = bulk_rooms(300)
    occupy(rooms[10], 3)
    occupy(rooms[20], 1)
    occupy(rooms[30], 3)  # as busy as room-0010, and active more recently
    Room.objects.filter(pk=rooms[10].pk).update(last_active_at=timezone.now() - timedelta(days=3))
    services.room_create_private(actor=ann)  # never listed
    Room.objects.filter(pk=rooms[299].pk).update(closed_at=timezone.now())  # nor a closed room
    with django_assert_max_num_queries(6) as queries:
        lobby = selectors.lobby_rooms()
    names = [room["name"] for room in lobby["rooms"]]
    topics = len(settings.TOPIC_ROOMS)
    assert names[:topics] == settings.TOPIC_ROOMS
    assert names[topics:] == ["room-0030", "room-0010", "room-0020", *[f"room-{i:04}" for i in range(298, 286, -1)]]
    assert [room["users"] for room in lobby["rooms"][topics : topics + 4]] == [3, 3, 1, 0]
    assert len(lobby["rooms"]) == 20
    assert lobby["total"] == topics + 299
    # Not 300 rooms read into Python: each query has a LIMIT, only counts, or reads named rows (topics, ids).
    for query in queries.captured_queries:
        assert any(mark in query["sql"] for mark in ("LIMIT", "COUNT(", " IN (", "= 'topic'")), query["sql"]


def test_topic_rooms_are_always_in_the_lobby_even_past_the_bound(settings):
    settings.LOBBY_ROOMS_MAX = 3
    occupy(bulk_rooms(5)[0], 9)
    names = [room["name"] for room in selectors.lobby_rooms()["rooms"]]
    assert names == settings.TOPIC_ROOMS


def test_finding_rooms_by_part_of_the_name_a_page_at_a_time(settings):
    settings.LOBBY_ROOMS_MAX = 10
    bulk_rooms(300)
    occupy(Room.objects.get(key="room-0123"), 2)
    found = selectors.rooms_find(query="ROOM-012")
    assert [room["name"] for room in found["rooms"]] == [f"room-{i:04}" for i in range(120, 130)]
    assert found["rooms"][3]["users"] == 2
    assert found["next"] is None  # exactly one page
    page = selectors.rooms_find(query="-01")
    assert [room["name"] for room in page["rooms"]] == [f"room-{i:04}" for i in range(100, 110)]
    assert page["next"] == "room-0109"
    page = selectors.rooms_find(query="-01", after=page["next"])
    assert page["rooms"][0]["name"] == "room-0110"
    # Everything, A to Z (topic rooms among them), when nothing is typed; never a private room.
    services.room_create_private(actor=ann)
    everything, after = [], None
    while True:
        page = selectors.rooms_find(query="", after=after)
        everything += [room["name"] for room in page["rooms"]]
        if not (after := page["next"]):
            break
    assert everything == sorted([*settings.TOPIC_ROOMS, *(f"room-{i:04}" for i in range(300))])
    # Wildcards are text, not patterns.
    assert selectors.rooms_find(query="%")["rooms"] == []
    assert selectors.rooms_find(query="_")["rooms"] == []
    assert (
        selectors.rooms_find(query="room\x00")["rooms"] == selectors.rooms_find(query="", after="\x00")["rooms"] == []
    )


def test_rooms_are_found_by_name_or_code_case_insensitively_and_never_when_closed():
    room, _ = services.room_create_named(name="Book-Club", actor=ann)
    assert selectors.room_by_name(name=" book-club ") == room
    assert selectors.room_by_name(name="nul\x00") is None
    Room.objects.filter(pk=room.pk).update(closed_at=timezone.now())
    assert selectors.room_by_name(name="book-club") is None


def test_history_pages_go_back_in_order_and_skip_removed_messages(settings):
    settings.HISTORY_PAGE_SIZE = 3
    room = Room.objects.get(key="general")
    sent = post(room, 7)
    services.message_delete(message_id=sent[5].pk, actor=ann)
    page, more = selectors.room_history(room=room)
    assert [m["text"] for m in page] == ["m3", "m4", "m6"] and more
    page, more = selectors.room_history(room=room, before_id=page[0]["id"])
    assert [m["text"] for m in page] == ["m0", "m1", "m2"] and not more


def test_a_join_resumes_after_since_id_or_asks_for_a_resync_when_too_far_behind(settings):
    room = Room.objects.get(key="general")
    sent = post(room, 5)
    snapshot = selectors.join_snapshot(room=room, since_id=sent[2].pk)
    assert (snapshot.resumed, snapshot.start_seq, snapshot.last_seq, snapshot.history) == (True, 3, 5, [])
    assert [data["text"] for _, data in selectors.messages_after(room=room, after_seq=3, upto_seq=5, limit=10)] == [
        "m3",
        "m4",
    ]
    settings.RESUME_MAX = 1
    far = selectors.join_snapshot(room=room, since_id=sent[0].pk)
    assert far.resync and not far.resumed and far.latest_id == sent[-1].pk and len(far.history) == 5


def test_the_ban_that_lasts_longest_is_the_one_reported():
    general = Room.objects.get(key="general")
    Ban.objects.create(guest_key="guest-ann", room=general, until=timezone.now() + timedelta(hours=1))
    forever = Ban.objects.create(guest_key="guest-ann", room=None)
    Ban.objects.create(guest_key="guest-ann", room=general, until=timezone.now() - timedelta(hours=1))
    assert selectors.active_ban(actor=ann, room=general) == forever
    forever.delete()
    assert selectors.active_ban(actor=ann, room=general).until > timezone.now()
    assert selectors.active_ban(actor=ann, room=None) is None  # the room ban is not a site ban
    assert Ban.objects.filter(selectors.in_force()).count() == 1
