"""Guests for tests: a session with a display name (what the lobby's form leaves), as a key or a test client,
and a guest's presence in a room (what joining over the socket writes)."""

from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from rooms import services
from rooms.identity import GUEST_KEY, USERNAME_KEY, Actor
from rooms.models import Room


def guest_session(name: str) -> str:
    """The key of a new session for the guest `name` (guest key `guest-<name>`)."""
    session = SessionStore()
    session[USERNAME_KEY] = name
    session[GUEST_KEY] = f"guest-{name}"
    session.save()
    return session.session_key


def guest(name: str, **options) -> Client:
    """A test client holding the guest `name`'s session."""
    client = Client(**options)
    client.cookies["sessionid"] = guest_session(name)
    return client


def enter(room: Room, name: str) -> None:
    """The guest `name` present in `room`, as a socket's join leaves them."""
    services.presence_enter(
        room=room,
        actor=Actor(guest_key=f"guest-{name}"),
        username=name,
        connection_id=f"conn-{name}",
        process_id=services.process_register(),
    )
