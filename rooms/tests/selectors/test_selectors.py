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


def test_the_lobby_lists_topics_in_their_order_then_named_rooms_busiest_first(settings):
    quiet, _ = services.room_create_named(name="quiet", actor=ann)
    busy, _ = services.room_create_named(name="busy", actor=ann)
    Presence.objects.create(room=busy, guest_key="g1", username="a", username_key="a")
    services.room_create_private(actor=ann)  # never listed
    names = [room["name"] for room in selectors.public_rooms()]
    assert names == [*settings.TOPIC_ROOMS, "busy", "quiet"]
    assert selectors.public_rooms()[len(settings.TOPIC_ROOMS)]["users"] == 1


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
