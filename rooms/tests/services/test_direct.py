"""The direct-conversation services on the database: read positions, counts, an account's deletion."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rooms import selectors, services
from rooms.errors import ChatError
from rooms.identity import Actor, person_key
from rooms.models import Block, Membership, Message, Presence, Room

pytestmark = pytest.mark.django_db


def conversation(ann: Actor, bob_key: str) -> Room:
    room = Room.objects.create(kind=Room.Kind.DIRECT, name="_" + "a" * 30, title="Direct conversation")
    Membership.objects.create(person_key=ann.guest_key, room=room, username="ann")
    Membership.objects.create(person_key=bob_key, room=room, username="bob")
    return room


def test_read_positions_only_move_forward_and_own_messages_are_never_unread():
    ann, bob = Actor(guest_key="guest-ann"), Actor(guest_key="guest-bob")
    room = conversation(ann, bob.guest_key)
    first, _ = services.message_post(room=room, actor=ann, username="ann", text="one")
    second, _ = services.message_post(room=room, actor=ann, username="ann", text="two")
    services.message_post(room=room, actor=bob, username="bob", text="mine")

    assert selectors.unread_counts(room_ids=[room.pk]) == {"guest-ann": {room.pk: 1}, "guest-bob": {room.pk: 2}}
    assert services.membership_read(actor=bob, room_name=room.name.upper(), message_id=second.pk) == 0
    assert services.membership_read(actor=bob, room_name=room.name, message_id=first.pk) == 0  # not backwards
    assert Membership.objects.get(person_key="guest-bob").last_read_id == second.pk
    # Past the newest message is the newest message: a later one still counts.
    services.membership_read(actor=ann, room_name=room.name, message_id=10**12)
    assert Membership.objects.get(person_key="guest-ann").last_read_id == Message.objects.latest("id").pk
    with pytest.raises(ChatError) as refused:
        services.membership_read(actor=Actor(guest_key="guest-carol"), room_name=room.name, message_id=first.pk)
    assert refused.value.code == "room_not_found"


def test_a_deleted_account_belongs_to_nothing_and_its_conversation_stays_for_the_other():
    user = get_user_model().objects.create_user("dora", password="a long and unusual pass phrase 7")
    dora = Actor(guest_key=person_key(user), user_id=user.pk, user_name="dora")
    bob = Actor(guest_key="guest-bob")
    room = conversation(dora, bob.guest_key)
    services.message_post(room=room, actor=dora, username="dora", text="hello bob")
    Block.objects.create(blocker_key=dora.guest_key, blocked_key="guest-eve", blocked_name="eve")

    services.account_delete(user=user, actor=dora)

    assert list(Membership.objects.filter(room=room).values_list("person_key", flat=True)) == ["guest-bob"]
    assert not Block.objects.exists()
    assert [m["username"] for m in selectors.person_inbox(person="guest-bob")["conversations"][0]["people"]] == []
    assert Message.objects.get(room=room).username == "deleted user"


def test_a_round_of_room_counts_is_one_query_however_many_members_and_skips_those_present_or_offline():
    general = Room.objects.get(key="general")
    tech = Room.objects.get(key="tech")
    ann = Actor(guest_key="g:ann")

    def members(count: int, prefix: str) -> list[str]:
        keys = [f"g:{prefix}{n}" for n in range(count)]
        Membership.objects.bulk_create(Membership(person_key=key, room=general, username=key) for key in keys)
        Presence.objects.bulk_create(
            Presence(room=tech, guest_key=key, username=key, username_key=key) for key in keys
        )  # online, elsewhere
        return keys

    queries = []
    for count, prefix in ((3, "few"), (200, "many")):
        Membership.objects.filter(room=general).delete()
        Presence.objects.all().delete()
        away = members(count, prefix)
        services.message_post(room=general, actor=ann, username="ann", text=f"to {count}")
        with CaptureQueriesContext(connection) as captured:
            sent = services.rooms_unread_announce(room_ids=[general.pk, tech.pk])
        queries.append(len(captured))
        assert sent == count
        assert {key for key, _, _, _ in selectors.absent_unread(room_ids=[general.pk])} == set(away)
    assert queries[0] == queries[1] == 1

    # One of them comes to #general (present: counts for themselves), one goes offline: neither is told.
    Presence.objects.filter(guest_key="g:many0").update(room=general)
    Presence.objects.filter(guest_key="g:many1").delete()
    told = {key for key, _, _, _ in selectors.absent_unread(room_ids=[general.pk])}
    assert "g:many0" not in told and "g:many1" not in told and len(told) == 198


def test_a_first_membership_starts_read_up_to_the_newest_message_in_one_statement():
    from rooms.services.direct import membership_enter

    room = Room.objects.create(name="firsts", key="firsts", kind=Room.Kind.NAMED)
    assert membership_enter(room=room, actor=Actor(guest_key="g-early"), username="early") == 0  # nothing said yet
    for n in range(3):
        Message.objects.create(room=room, seq=n + 1, author_key="g-early", username="early", text=f"m{n}")
    Message.objects.create(room=Room.objects.create(name="other", key="other"), seq=1, author_key="x", text="later")
    newest = Message.objects.filter(room=room).latest("id").pk
    with CaptureQueriesContext(connection) as queries:
        # found=None: the join read the (absent) membership with the room already (presence_enter)
        assert membership_enter(room=room, actor=Actor(guest_key="g-late"), username="late", found=None) == newest
    assert len(queries) == 1
    assert Membership.objects.get(room=room, person_key="g-late").last_read_id == newest
    # A membership that is there already is kept as it is, and the join still starts at the newest message.
    from rooms.services.direct import _membership_start

    assert _membership_start(room_id=room.pk, person_key="g-early", username="renamed") is None
    assert Membership.objects.get(room=room, person_key="g-early").username == "early"
    # A join that read no membership, one being made meanwhile: the row is kept, the join starts at the newest.
    assert membership_enter(room=room, actor=Actor(guest_key="g-early"), username="early", found=None) == newest
    assert Membership.objects.filter(room=room, person_key="g-early").count() == 1
