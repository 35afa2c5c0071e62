"""The direct-conversation services on the database: read positions, counts, an account's deletion."""

import pytest
from django.contrib.auth import get_user_model

from rooms import selectors, services
from rooms.errors import ChatError
from rooms.identity import Actor, person_key
from rooms.models import Block, Membership, Message, Room

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
