"""rooms/prepared.py: a queryset compiled once answers as the queryset itself would, for every value."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rooms.models import Ban, Message, Room
from rooms.prepared import Prepared

pytestmark = pytest.mark.django_db(transaction=True)


def bans_of(*, guest_key, now):
    return Ban.objects.filter(guest_key=guest_key, until__gt=now).order_by("id").values_list("id", "reason", "until")


def test_each_call_answers_what_the_queryset_answers_for_those_values():
    room = Room.objects.create(name="prep", key="prep", kind=Room.Kind.NAMED)
    now = timezone.now()
    for guest, hours, reason in [("ann", 1, "a"), ("ann", -1, "b"), ("bob", 2, "c"), ("ann", 3, "d")]:
        Ban.objects.create(guest_key=guest, room=room, until=now + timedelta(hours=hours), reason=reason)
    prepared = Prepared(bans_of, guest_key=str, now=type(now))
    for guest in ("ann", "bob", "nobody"):
        for moment in (now, now + timedelta(minutes=90), now - timedelta(days=1)):
            assert prepared(guest_key=guest, now=moment) == list(bans_of(guest_key=guest, now=moment))
    assert [reason for _, reason, _ in prepared(guest_key="ann", now=now)] == ["a", "d"]
    assert prepared(guest_key="ann", now=now)[0][2] == Ban.objects.get(reason="a").until  # a datetime, converted


def test_an_int_argument_used_twice_gets_the_value_in_both_places():
    room = Room.objects.create(name="ints", key="ints", kind=Room.Kind.NAMED)
    for seq in range(1, 6):
        Message.objects.create(room=room, seq=seq, author_key="k", username="u", text=f"m{seq}")

    def window(*, low):
        return Message.objects.filter(seq__gt=low, id__gt=low).order_by("seq").values_list("text", flat=False)

    prepared = Prepared(window, low=int)
    assert prepared(low=3) == [("m4",), ("m5",)]
    assert prepared(low=0) == [(f"m{n}",) for n in range(1, 6)]


def test_the_sql_is_compiled_once_per_thread(monkeypatch):
    compiled = []
    as_sql = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiled.append(self.query.model)
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    prepared = Prepared(bans_of, guest_key=str, now=type(timezone.now()))
    for guest in ("ann", "bob", "cat"):
        prepared(guest_key=guest, now=timezone.now())
    assert compiled == [Ban]
    answers = []

    def elsewhere():
        try:
            answers.append(prepared(guest_key="ann", now=timezone.now()))
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join(10)
    assert answers == [[]] and compiled == [Ban, Ban]  # another thread, another connection: compiled there


def test_a_value_the_sql_does_not_carry_as_given_is_refused_at_once():
    def containing(*, text):
        return Message.objects.filter(text__icontains=text).values_list("id")  # the parameter becomes %text%

    with pytest.raises(ValueError, match="`text` is not among the SQL's parameters"):
        Prepared(containing, text=str)(text="hello")
    with pytest.raises(TypeError):
        Prepared(containing, text=float)(text=1.5)


def test_a_prepared_insert_stores_what_bulk_create_stores_in_one_statement_per_batch():
    from rooms.prepared import PreparedInsert

    room = Room.objects.create(name="ins", key="ins", kind=Room.Kind.NAMED)
    original = Message.objects.create(room=room, seq=1, author_key="k", username="u", text="first")
    insert = PreparedInsert(Message)

    def batch(start, count):
        return [
            Message(room=room, seq=seq, author_key=f"k{seq}", username="ü", text=f"m{seq}", client_id=f"c{seq}")
            for seq in range(start, start + count)
        ]

    first = batch(2, 3)
    first[1].reply_to = original  # a related object: its id is what is stored
    with CaptureQueriesContext(connection) as queries:
        insert(first)
    assert len([q for q in queries if q["sql"].startswith("INSERT")]) == 1
    assert all(m.pk is not None and not m._state.adding for m in first)
    stored = {m.pk: m for m in Message.objects.filter(seq__gte=2)}
    for message in first:
        row = stored[message.pk]  # the ids came back in the order of the rows
        assert (row.seq, row.author_key, row.username, row.text, row.client_id, row.created_at) == (
            message.seq,
            message.author_key,
            message.username,
            message.text,
            message.client_id,
            message.created_at,
        )
    assert stored[first[1].pk].reply_to_id == original.pk and stored[first[0].pk].reply_to_id is None

    again = batch(5, 3)  # the same size: the statement compiled for the first is used again
    insert(again)
    assert insert.usable and len(insert.local.statements) == 1
    assert [m.text for m in Message.objects.filter(pk__in=[m.pk for m in again]).order_by("seq")] == [
        "m5",
        "m6",
        "m7",
    ]

    # 200 rows: on SQLite more than one statement can carry (its parameter limit), split as bulk_create splits them
    many = batch(8, 200)
    fields = [f for f in Message._meta.concrete_fields if not f.primary_key]
    size = connection.ops.bulk_batch_size(fields, many)
    with CaptureQueriesContext(connection) as queries:
        insert(many)
    assert len([q for q in queries if q["sql"].startswith("INSERT")]) == -(-200 // size)
    assert Message.objects.filter(room=room).count() == 1 + 3 + 3 + 200
    assert sorted(Message.objects.filter(pk__in=[m.pk for m in many]).values_list("seq", flat=True)) == list(
        range(8, 208)
    )


def test_a_queryset_of_instances_comes_back_as_the_queryset_builds_them():
    from django.contrib.auth import get_user_model

    room = Room.objects.create(name="objs", key="objs", kind=Room.Kind.NAMED)
    author = get_user_model().objects.create_user(username="writer", password="x" * 12, avatar="stem1")
    first = Message.objects.create(room=room, seq=1, author_key="k", username="writer", text="one", author_user=author)
    Message.objects.create(room=room, seq=2, author_key="g", username="guest", text="two", reply_to=first)
    Message.objects.create(room=room, seq=3, author_key="g", username="guest", text="three", reply_to=first)

    def page(*, room_id, upto):
        return (
            Message.objects.filter(room_id=room_id, seq__lte=upto)
            .annotate(author_avatar=F("author_user__avatar"))
            .select_related("reply_to")
            .order_by("-seq")[:2]
        )

    prepared = Prepared(page, room_id=int, upto=int)
    for upto in (1, 2, 3, 0):
        got, expected = prepared(room_id=room.pk, upto=upto), list(page(room_id=room.pk, upto=upto))
        assert [(m.pk, m.text, m.created_at, m.author_avatar) for m in got] == [
            (m.pk, m.text, m.created_at, m.author_avatar) for m in expected
        ]
    newest = prepared(room_id=room.pk, upto=3)
    assert [m.text for m in newest] == ["three", "two"] and isinstance(newest[0], Message)
    with CaptureQueriesContext(connection) as queries:
        assert newest[0].reply_to.text == "one"  # populated with the row: no query of its own
    assert len(queries) == 0
    assert prepared(room_id=room.pk, upto=1)[0].author_avatar == "stem1"
    assert not newest[0]._state.adding  # saved rows, as from_db makes them


def test_a_prepared_insert_takes_rows_whose_key_is_given():
    from rooms.models import Connection, Presence, ServerProcess
    from rooms.prepared import PreparedInsert

    room = Room.objects.create(name="keys", key="keys", kind=Room.Kind.NAMED)
    process = ServerProcess.objects.create(id="p1", host="h", pid=1)
    presence = Presence(room=room, guest_key="g1", username="ann", username_key="ann")
    PreparedInsert(Presence)([presence])
    assert presence.pk == Presence.objects.get(guest_key="g1").pk  # the auto key came back
    insert = PreparedInsert(Connection)
    with CaptureQueriesContext(connection) as queries:
        insert([Connection(id="c1", presence=presence, process=process)])
        insert([Connection(id="c2", presence=presence, process=process)])
    assert len([q for q in queries if q["sql"].startswith("INSERT")]) == 2
    assert insert.usable and len(insert.local.statements) == 1  # compiled for the first, used for the second
    stored = Connection.objects.order_by("id").values_list("id", "presence_id", "process_id")
    assert list(stored) == [("c1", presence.pk, "p1"), ("c2", presence.pk, "p1")]
    # The key is the caller's: a second row with it is refused, not replaced.
    with pytest.raises(IntegrityError), transaction.atomic():
        insert([Connection(id="c1", presence=presence, process=process)])
