"""rooms/identity.py: who is acting, from a session or a socket's scope."""

import pytest
from django.contrib.sessions.backends.db import SessionStore

from rooms.identity import GUEST_KEY, USERNAME_KEY, Actor, _scope_actor, ensure_guest

pytestmark = pytest.mark.django_db


def test_a_session_keeps_one_guest_id():
    session = SessionStore()
    first = ensure_guest(session)
    assert first and session.session_key  # saved, so the next request finds it
    assert ensure_guest(SessionStore(session_key=session.session_key)) == first


def test_a_socket_with_a_live_session_is_that_guest_with_their_name():
    session = SessionStore()
    session[GUEST_KEY], session[USERNAME_KEY] = "guest-ann", "ann"
    session.create()
    actor, username = _scope_actor(
        {"session": SessionStore(session_key=session.session_key), "client": ("10.0.0.1", 5)}
    )
    assert (actor.guest_key, actor.ip, actor.user_id, username) == ("guest-ann", "10.0.0.1", None, "ann")


def test_a_socket_without_a_valid_session_is_a_stranger_for_that_connection():
    first, name = _scope_actor({"session": SessionStore(session_key="forged-or-expired")})
    second, _ = _scope_actor({})
    assert first.guest_key.startswith("anon-") and second.guest_key.startswith("anon-")
    assert first.guest_key != second.guest_key
    assert name is None


def test_the_audit_log_names_staff_users_and_guests():
    assert Actor(guest_key="g", user_id=3, is_staff=True, user_name="mod").label == "staff mod"
    assert Actor(guest_key="g", user_id=3).label == "user 3"
    assert Actor(guest_key="abcdefghijk").label == "guest abcdefgh"
