"""Reactions in the services: they belong to the person, through sign-up and account deletion,
and a moderator removes anyone's through the same service (audited)."""

import pytest

from chatsite.accounts.models import User
from rooms import services
from rooms.errors import ChatError
from rooms.identity import Actor, person_key
from rooms.models import AuditEntry, Message, Reaction, Room

pytestmark = pytest.mark.django_db


@pytest.fixture
def room():
    return Room.objects.get(key="general")


def post(room, actor, text="hello", **extra):
    return services.message_post(room=room, actor=actor, username="ann", text=text, **extra)[0]


def react(room, actor, message, emoji, name="ann"):
    return services.reaction_add(room=room, actor=actor, username=name, message_id=message.pk, emoji=emoji)


def reactions(message):
    return sorted(Reaction.objects.filter(message=message).values_list("person_key", "emoji"))


def test_a_guests_reactions_become_the_accounts_and_a_double_stays_once(room):
    user = User.objects.create_user("ann", password="pw-Aa1!-long-enough")
    account = Actor(guest_key=person_key(user), user_id=user.pk, user_name="ann")
    guest = Actor(guest_key="guest-ann")
    message = post(room, Actor(guest_key="guest-bob"))
    react(room, guest, message, "👀")
    react(room, guest, message, "🎉")
    react(room, account, message, "🎉")  # from another device, already signed in
    services.person_adopt(guest_key="guest-ann", actor=account)
    assert reactions(message) == [(account.guest_key, "🎉"), (account.guest_key, "👀")]
    rseq = Message.objects.get(pk=message.pk).reactions_seq
    assert rseq == Room.objects.get(pk=room.pk).last_reaction_seq  # the new set was announced: a resume sees it


def test_a_deleted_accounts_reactions_go(room):
    user = User.objects.create_user("ann", password="pw-Aa1!-long-enough")
    account = Actor(guest_key=person_key(user), user_id=user.pk, user_name="ann")
    bob = Actor(guest_key="guest-bob")
    message = post(room, bob)
    react(room, account, message, "👀")
    react(room, bob, message, "👀", name="bob")
    services.account_delete(user=user, actor=account)
    assert reactions(message) == [("guest-bob", "👀")]


def test_a_moderator_removes_anyones_reaction_audited_and_a_member_cannot(room):
    bob = Actor(guest_key="guest-bob")
    message = post(room, bob)
    react(room, bob, message, "😂", name="bob")
    with pytest.raises(ChatError) as refused:
        services.reaction_remove(
            actor=Actor(guest_key="guest-eve"), message_id=message.pk, emoji="😂", person_key="guest-bob"
        )
    assert refused.value.code == "forbidden"
    assert reactions(message) == [("guest-bob", "😂")]
    staff = Actor(guest_key="user-999", is_staff=True, user_name="mod")
    assert services.reaction_remove(actor=staff, message_id=message.pk, emoji="😂", person_key="guest-bob")
    assert reactions(message) == []
    entry = AuditEntry.objects.get(action="remove_reaction")
    assert entry.target == f"message {message.pk}"


def test_a_reply_in_a_batch_to_a_removed_message_is_refused_alone(room):
    ann = Actor(guest_key="guest-ann")
    original = post(room, ann, "original")
    gone = post(room, ann, "gone")
    services.message_delete(message_id=gone.pk, actor=ann)
    results = services.message_post_batch(
        posts=[
            services.Post(room=room, actor=ann, username="ann", text="re 1", reply_to=original.pk),
            services.Post(room=room, actor=ann, username="ann", text="re 2", reply_to=gone.pk),
        ]
    )
    assert results[0][0].reply_to_id == original.pk
    assert isinstance(results[1], ChatError)
    assert results[1].code == "message_not_found"


def test_a_resent_reply_whose_original_was_removed_meanwhile_is_the_stored_one(room):
    ann = Actor(guest_key="guest-ann")
    original = post(room, ann, "original")
    reply, created = services.message_post(
        room=room, actor=ann, username="ann", text="re", client_id="c-1", reply_to=original.pk
    )
    services.message_delete(message_id=original.pk, actor=ann)
    again, created_again = services.message_post(
        room=room, actor=ann, username="ann", text="re", client_id="c-1", reply_to=original.pk
    )
    assert (created, created_again) == (True, False)
    assert again.pk == reply.pk
    with pytest.raises(ChatError) as refused:  # a new reply to it is refused
        services.message_post(room=room, actor=ann, username="ann", text="re", client_id="c-2", reply_to=original.pk)
    assert refused.value.code == "message_not_found"
