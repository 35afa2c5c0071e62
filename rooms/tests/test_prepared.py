"""rooms/prepared.py: a queryset compiled once answers as the queryset itself would, for every value."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
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
