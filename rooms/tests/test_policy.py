"""rooms/policy.py: who moderates, who wrote what."""

from types import SimpleNamespace

import pytest

from rooms import policy
from rooms.errors import ChatError
from rooms.identity import Actor

ann = Actor(guest_key="guest-ann")
staff = Actor(guest_key="guest-mod", user_id=7, is_staff=True)
account = Actor(guest_key="guest-phone", user_id=42)


def test_staff_moderate_every_room_and_an_owner_their_own():
    room = SimpleNamespace(owner_key="guest-ann")
    assert policy.can_moderate(ann, room)
    assert policy.can_moderate(staff, room)
    assert not policy.can_moderate(account, room)


def test_a_room_without_an_owner_is_moderated_by_staff_only():
    nobody = Actor(guest_key="")  # an empty key must never match an empty owner
    assert not policy.moderates(nobody, "")
    assert policy.moderates(staff, "")


def test_require_moderator_and_staff_refuse_with_forbidden():
    with pytest.raises(ChatError) as caught:
        policy.require_moderator(account, SimpleNamespace(owner_key="guest-ann"))
    assert caught.value.code == "forbidden"
    with pytest.raises(ChatError, match="Only moderators can close rooms."):
        policy.require_staff(ann, "Only moderators can close rooms.")
    policy.require_staff(staff, "unused")


def test_a_message_is_its_sessions_or_its_accounts():
    message = SimpleNamespace(author_key="guest-laptop", author_user_id=42)
    assert policy.is_author(account, message)  # the same account on another device
    assert policy.is_author(Actor(guest_key="guest-laptop"), message)
    assert not policy.is_author(ann, message)
    guests = SimpleNamespace(author_key="guest-other", author_user_id=None)
    assert not policy.is_author(Actor(guest_key="guest-x", user_id=None), guests)
