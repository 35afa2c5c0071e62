"""How many rooms a person or an address may create, and how long an empty named room lives."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from rooms import services
from rooms.errors import ChatError
from rooms.identity import Actor
from rooms.models import Message, Presence, Room

pytestmark = pytest.mark.django_db

ANN = Actor(guest_key="guest-ann", ip="198.51.100.7")


def refusal(create) -> ChatError:
    with pytest.raises(ChatError) as caught:
        create()
    return caught.value


# --- creation limits -------------------------------------------------------------


def test_a_person_may_create_room_create_limit_rooms_then_gets_room_limit(settings):
    settings.ROOM_CREATE_LIMIT = 3
    settings.ROOM_CREATE_WINDOW_SECONDS = 600
    for i in range(2):
        assert services.room_create_named(name=f"ann-room-{i}", actor=ANN)[1]
    services.room_create_private(actor=ANN)  # private rooms count too
    error = refusal(lambda: services.room_create_named(name="ann-room-3", actor=ANN))
    assert error.code == "room_limit"
    assert 0 < error.extra["retry_after"] <= 600
    assert "3 every 10 min" in error.message
    assert refusal(lambda: services.room_create_private(actor=ANN)).code == "room_limit"
    assert refusal(lambda: services.room_for_join(room_name="ann-room-4", create=True, actor=ANN)).code == "room_limit"
    assert not Room.objects.filter(key__in=["ann-room-3", "ann-room-4"]).exists()

    # Joining is never limited: an existing room, by the form's "create" or by join_room {create: true}.
    assert services.room_create_named(name="ANN-ROOM-0", actor=ANN) == (Room.objects.get(key="ann-room-0"), False)
    assert services.room_for_join(room_name="ann-room-1", create=True, actor=ANN).name == "ann-room-1"
    assert services.room_for_join(room_name="general", create=True, actor=ANN).name == "general"
    # Someone else, from elsewhere, is not affected; staff (creating from the admin's address) are not counted.
    assert services.room_create_named(name="bob-room", actor=Actor(guest_key="guest-bob", ip="203.0.113.9"))[1]
    staff = Actor(guest_key="guest-mod", user_id=1, is_staff=True, ip="198.51.100.7")
    for i in range(4):
        assert services.room_create_named(name=f"staff-room-{i}", actor=staff)[1]


def test_an_address_may_create_room_create_address_limit_rooms_across_sessions(settings):
    settings.ROOM_CREATE_LIMIT = 5
    settings.ROOM_CREATE_ADDRESS_LIMIT = 4
    guests = [Actor(guest_key=f"guest-{i}", ip="198.51.100.7") for i in range(3)]
    for i, guest in enumerate([*guests, guests[0]]):
        services.room_create_named(name=f"shared-{i}", actor=guest)
    fresh = Actor(guest_key="guest-fresh", ip="198.51.100.7")
    error = refusal(lambda: services.room_create_named(name="shared-4", actor=fresh))
    assert error.code == "room_limit"
    assert "your network address" in error.message
    assert services.room_create_named(name="elsewhere", actor=Actor(guest_key="guest-fresh", ip="203.0.113.9"))[1]


def test_the_window_ends_and_creating_is_allowed_again(settings):
    settings.ROOM_CREATE_LIMIT = 1
    settings.ROOM_CREATE_WINDOW_SECONDS = 1
    services.room_create_named(name="first-one", actor=ANN)
    assert refusal(lambda: services.room_create_named(name="second-one", actor=ANN)).code == "room_limit"
    time.sleep(1.2)  # the window (its cache entries) runs out
    assert services.room_create_named(name="second-one", actor=ANN)[1]


# --- idle expiry -----------------------------------------------------------------


def idle_room(name: str, *, kind: str = Room.Kind.NAMED, idle: timedelta) -> Room:
    room = Room.objects.create(kind=kind, name=name, title=name)
    Message.objects.create(room=room, seq=1, author_key="guest-ann", username="ann", text="hello")
    Room.objects.filter(pk=room.pk).update(last_active_at=timezone.now() - idle, last_seq=1)
    return room


def test_empty_named_rooms_idle_past_the_default_expiry_are_deleted_with_their_messages():
    week = timedelta(days=7)
    old = idle_room("long-gone", idle=week + timedelta(hours=1))
    recent = idle_room("last-week", idle=week - timedelta(hours=1))
    occupied = idle_room("still-here", idle=week * 4)
    Presence.objects.create(room=occupied, guest_key="guest-bob", username="bob", username_key="bob")
    topic = Room.objects.get(key="general")
    Room.objects.filter(pk=topic.pk).update(last_active_at=timezone.now() - week * 4)
    closed = idle_room("archived", idle=week * 4)
    Room.objects.filter(pk=closed.pk).update(closed_at=timezone.now() - week * 4)

    assert services.rooms_purge_empty() == ["long-gone"]
    assert not Room.objects.filter(pk=old.pk).exists()
    assert not Message.objects.filter(room_id=old.pk).exists()
    remaining = set(Room.objects.values_list("key", flat=True))
    assert {"last-week", "still-here", "general", "archived"} <= remaining
    assert Message.objects.filter(room=recent).count() == 1


def test_private_rooms_keep_their_grace_and_zero_keeps_named_rooms_for_ever(settings):
    settings.ROOM_EMPTY_GRACE_SECONDS = 30
    settings.ROOM_IDLE_EXPIRY_SECONDS = 3600
    idle_room("K7QX9MPA", kind=Room.Kind.PRIVATE, idle=timedelta(minutes=1))
    idle_room("an-hour-not-yet", idle=timedelta(minutes=59))
    idle_room("over-an-hour", idle=timedelta(minutes=61))
    assert sorted(services.rooms_purge_empty()) == ["K7QX9MPA", "over-an-hour"]

    settings.ROOM_IDLE_EXPIRY_SECONDS = 0
    idle_room("kept-for-ever", idle=timedelta(days=3650))
    assert services.rooms_purge_empty() == []
    assert Room.objects.filter(key__in=["kept-for-ever", "an-hour-not-yet"]).count() == 2
