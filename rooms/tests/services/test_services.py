"""Services: the one place each action happens."""

import json

import pytest
from django.core.management import call_command

from rooms import services
from rooms.errors import ChatError
from rooms.identity import Actor
from rooms.models import Message, Room
from rooms.realtime import bus

pytestmark = pytest.mark.django_db

ANN = Actor(guest_key="guest-ann")
BOB = Actor(guest_key="guest-bob")


def general():
    return Room.objects.get(key="general")


def test_topic_rooms_exist_after_migrate_and_follow_the_setting(settings):
    assert set(Room.objects.filter(kind="topic").values_list("name", flat=True)) == {
        "general",
        "tech",
        "sports",
        "music",
        "gaming",
    }
    settings.TOPIC_ROOMS = [*settings.TOPIC_ROOMS, "movies"]
    call_command("migrate", verbosity=0)
    assert Room.objects.get(key="movies").kind == "topic"


def test_message_post_assigns_gap_free_seq_per_room():
    room = general()
    other = Room.objects.get(key="tech")
    seqs = [services.message_post(room=room, actor=ANN, username="ann", text=f"t{i}")[0].seq for i in range(3)]
    services.message_post(room=other, actor=ANN, username="ann", text="elsewhere")
    seqs.append(services.message_post(room=room, actor=BOB, username="bob", text="t3")[0].seq)
    assert seqs == [1, 2, 3, 4]
    room.refresh_from_db()
    assert room.last_seq == 4


def test_message_post_trims_trailing_whitespace_only():
    message, created = services.message_post(room=general(), actor=ANN, username="ann", text="  indented\n\n ")
    assert created
    assert message.text == "  indented"


def test_same_client_id_from_the_same_guest_is_stored_once():
    first, created = services.message_post(room=general(), actor=ANN, username="ann", text="hi", client_id="x1")
    again, created_again = services.message_post(room=general(), actor=ANN, username="ann", text="hi", client_id="x1")
    assert created and not created_again
    assert again.pk == first.pk
    # Another guest may use the same client_id: it is scoped to the sender.
    theirs, created_theirs = services.message_post(room=general(), actor=BOB, username="bob", text="hi", client_id="x1")
    assert created_theirs and theirs.pk != first.pk
    assert Message.objects.count() == 2
    assert general().last_seq == 2


def test_a_closed_room_takes_no_messages():
    room = general()
    Room.objects.filter(pk=room.pk).update(closed_at="2026-01-01T00:00:00Z")
    with pytest.raises(ChatError) as caught:
        services.message_post(room=room, actor=ANN, username="ann", text="hello?")
    assert caught.value.code == "room_not_found"
    assert not Message.objects.exists()


def test_private_rooms_get_unique_codes_and_an_owner(settings):
    settings.ROOM_CREATE_LIMIT = 20  # one person making twenty: the creation limit has its own tests
    rooms = [services.room_create_private(actor=ANN) for _ in range(20)]
    assert len({room.name for room in rooms}) == 20
    assert all(room.kind == "private" and room.owner_key == "guest-ann" for room in rooms)


def test_room_create_named_returns_the_existing_room_case_insensitively():
    room, created = services.room_create_named(name="Quiz", actor=ANN)
    same, created_again = services.room_create_named(name="QUIZ", actor=BOB)
    assert created and not created_again
    assert same.pk == room.pk
    assert same.owner_key == "guest-ann"


def test_room_for_join_only_creates_when_asked():
    with pytest.raises(ChatError) as caught:
        services.room_for_join(room_name="nope", create=False, actor=ANN)
    assert caught.value.code == "room_not_found"
    assert services.room_for_join(room_name="nope", create=True, actor=ANN).kind == "named"


def test_message_post_batch_is_message_post_in_one_transaction(django_capture_on_commit_callbacks):
    """A refused post comes back as its error and costs the others nothing; seq stays gap-free."""
    room, tech = general(), Room.objects.get(key="tech")
    locked = Room.objects.create(kind="named", name="quiet", title="quiet", locked=True)
    services.message_post(room=room, actor=ANN, username="ann", text="before", client_id="c1")
    posts = [
        services.Post(room=room, actor=ANN, username="ann", text="one"),
        services.Post(room=locked, actor=BOB, username="bob", text="refused: locked"),
        services.Post(room=tech, actor=BOB, username="bob", text="elsewhere"),
        services.Post(room=room, actor=ANN, username="ann", text="   "),
        services.Post(room=room, actor=ANN, username="ann", text="again", client_id="c1"),
        services.Post(room=room, actor=BOB, username="bob", text="two"),
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        results = services.message_post_batch(posts=posts)
    assert [r.code if isinstance(r, ChatError) else (r[0].text, r[1]) for r in results] == [
        ("one", True),
        "room_locked",
        ("elsewhere", True),
        "invalid_message",
        ("before", False),
        ("two", True),
    ]
    assert list(Message.objects.filter(room=room).order_by("seq").values_list("seq", "text")) == [
        (1, "before"),
        (2, "one"),
        (3, "two"),
    ]
    assert not Message.objects.filter(room=locked).exists()
    assert Room.objects.get(pk=locked.pk).last_seq == 0
    broadcasts = [callback for callback in callbacks if "_on_commit" in callback.__qualname__]
    assert len(broadcasts) == 3  # one broadcast per stored message, none for the refused or the repeat
    # and one note per stored message for the rooms' unread counts (events.room_written), which the hub gathers
    assert len(callbacks) - len(broadcasts) == 3


def test_a_clean_batch_costs_the_same_statements_whatever_its_size_and_rooms(
    django_capture_on_commit_callbacks, monkeypatch
):
    """Group commit in bulk: the positions in every room of the batch in one statement, all the rows in one INSERT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    room, tech, music = general(), Room.objects.get(key="tech"), Room.objects.get(key="music")
    published = []
    monkeypatch.setattr(bus, "publish", lambda group, message: published.append((group, message)))

    def post(count, rooms):
        posts = [
            services.Post(room=rooms[n % len(rooms)], actor=(ANN, BOB)[n % 2], username="u", text=f"{count}-{n}")
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            results = services.message_post_batch(posts=posts)
        return results, len(queries)

    small, small_queries = post(2, [room, tech])
    published.clear()
    large, large_queries = post(30, [room, tech])
    assert small_queries == large_queries
    assert [(m.room_id, m.seq, m.text) for m, created in small] == [(room.pk, 1, "2-0"), (tech.pk, 1, "2-1")]
    assert all(created for _, created in large)
    stored = {(m.pk, m.room_id, m.seq, m.text) for m in Message.objects.filter(text__startswith="30-")}
    assert stored == {(m.pk, m.room_id, m.seq, m.text) for m, _ in large}
    assert sorted(m.seq for m, _ in large if m.room_id == room.pk) == list(range(2, 17))
    assert Room.objects.get(pk=tech.pk).last_seq == 16
    # One broadcast per message, after the commit, each room's in seq order, each with its stored id.
    of_large = published[:30]
    assert [m.text for m, _ in large] == [f"30-{n}" for n in range(30)]
    for group in (bus.room_group(room.pk), bus.room_group(tech.pk)):
        frames = [json.loads(message["text"]) for g, message in of_large if g == group]
        assert [m["seq"] for g, m in of_large if g == group] == sorted(m["seq"] for g, m in of_large if g == group)
        assert {f["data"]["id"] for f in frames} == {m.pk for m, _ in large if bus.room_group(m.room_id) == group}
    assert post(12, [room, tech, music])[1] == small_queries  # one more room, the same statements
    assert Room.objects.get(pk=music.pk).last_seq == 4


def test_joining_and_posting_cost_the_same_queries_whatever_the_history():
    """A room with many messages is joined and posted to with the same queries as an empty one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rooms import selectors, services

    big, empty = general(), Room.objects.get(key="tech")
    Message.objects.bulk_create(
        Message(room=big, seq=seq, author_key="seed", username="seed", text=f"m{seq}") for seq in range(1, 2001)
    )
    Room.objects.filter(pk=big.pk).update(last_seq=2000)
    process_id = services.process_register()

    def costs(room, n):
        actor = Actor(guest_key=f"guest-{room.key}-{n}")
        with CaptureQueriesContext(connection) as joining:
            found = services.room_for_join(room_name=room.name, create=False, actor=actor)
            services.presence_enter(
                room=found, actor=actor, username=f"u{n}", connection_id=f"c-{room.key}-{n}", process_id=process_id
            )
            snapshot = selectors.join_snapshot(room=found)
        with CaptureQueriesContext(connection) as posting:
            services.message_post(room=found, actor=actor, username=f"u{n}", text="hi")
        return len(joining), len(posting), snapshot

    big_join, big_post, big_snapshot = costs(big, 1)
    empty_join, empty_post, empty_snapshot = costs(empty, 1)
    assert (big_join, big_post) == (empty_join, empty_post)
    assert len(big_snapshot.history) == 50 and big_snapshot.has_more
    assert [m["text"] for m in big_snapshot.history[-2:]] == ["m1999", "m2000"]
    assert empty_snapshot.history == [] and not empty_snapshot.has_more


def test_a_batch_that_starts_again_does_not_count_a_slow_mode_post_twice():
    slow = Room.objects.create(kind="named", name="slowroom", title="slowroom", slow_mode_seconds=30)
    locked = Room.objects.create(kind="named", name="shut", title="shut", locked=True)
    results = services.message_post_batch(
        posts=[
            services.Post(room=slow, actor=ANN, username="ann", text="my one message this half-minute"),
            services.Post(room=locked, actor=BOB, username="bob", text="refused"),
        ]
    )
    assert isinstance(results[0], tuple) and results[0][0].text == "my one message this half-minute"
    assert isinstance(results[1], ChatError) and results[1].code == "room_locked"
    with pytest.raises(ChatError) as refused:
        services.message_post(room=slow, actor=ANN, username="ann", text="too soon")
    assert refused.value.code == "rate_limited"
