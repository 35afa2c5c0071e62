"""rooms/events.py: announcements leave only after commit, encoded once, addressed by key."""

import json

import pytest
from django.db import transaction

from rooms import events
from rooms.realtime import bus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(monkeypatch):
    sent = []
    monkeypatch.setattr(bus, "publish", lambda group, message: sent.append((group, message)))
    return sent


def test_nothing_is_published_for_a_rolled_back_transaction(published):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.to_room(3, "receive_message", {"text": "never"}, seq=1)
        raise RuntimeError("rolled back")
    assert published == []


def test_a_committed_announcement_is_published_once_after_the_commit(published):
    with transaction.atomic():
        events.to_room(3, "receive_message", {"text": "hi"}, seq=7)
        assert published == []  # not before the commit
    ((group, message),) = published
    assert group == "room.3"
    assert (message["type"], message["room"], message["seq"]) == ("hub.room", 3, 7)
    assert json.loads(message["text"]) == {"event": "receive_message", "data": {"text": "hi"}}


def test_state_snapshots_carry_their_version_and_stream(published):
    with transaction.atomic():
        events.to_room(3, "member_list", {"members": []}, version=4)
        events.to_room(3, "system_message", {"text": "ann left"}, version=5, stream=events.NOTICES, exclude="g-ann")
        events.to_lobby("room_update", {"name": "general"}, room_id=1, version=9)
        events.to_lobby("room_removed", {"name": "gone"})
    (_, members), (_, notice), (lobby_group, update), (_, removed) = published
    assert (members["version"], members["stream"]) == (4, events.MEMBERS)
    assert (notice["stream"], notice["exclude"]) == (events.NOTICES, "g-ann")
    assert lobby_group == bus.LOBBY_GROUP
    assert (update["type"], update["room"], update["version"]) == ("hub.lobby", 1, 9)
    assert "room" not in removed


def test_an_eviction_names_only_what_it_matches(published):
    with transaction.atomic():
        events.evict("kicked", {"room": "general"}, room_id=1, guest_key="g-bob")
        events.evict("error", {"code": "banned"}, user_id=5, close_code=4003)
    (_, kick), (_, ban) = published
    assert {key for key in kick if key != "text"} == {"type", "room", "guest"}
    assert (ban["user"], ban["close"]) == (5, 4003) and "room" not in ban and "guest" not in ban
