"""Reactions, written: adding and removing one's emoji on a message, and a moderator removing anyone's.

Each change takes the room's next change sequence (rooms/services/changes.py,
under the room's row lock, like a message's seq) and stamps it on the message
(`Message.reactions_seq`), so a page that was away asks for what changed after
the sequence it knew (rooms/selectors/messages.py `join_snapshot`). The room
hears the message's whole set of reactions as `reactions {id, room, rseq,
reactions}` after the commit: a whole set rather than a change, so the newest
one wins wherever frames cross, and the hub may send only the newest of a
burst (rooms/realtime/coalesce.py).
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from rooms import events, policy, rules, throttle
from rooms.errors import ChatError, Code
from rooms.identity import Actor
from rooms.models import Message, Reaction, Room
from rooms.payloads import reactions_event
from rooms.selectors import message_reactions
from rooms.services.changes import next_change_seq
from rooms.services.moderation import audit
from rooms.services.rule import apply


def _message(message_id: int, room_id: int | None) -> Message:
    """The message reacted to, locked; a removed one (or one of another room) is `message_not_found`."""
    query = Message.objects.select_for_update().select_related("room").filter(pk=message_id, deleted_at__isnull=True)
    if room_id is not None:
        query = query.filter(room_id=room_id)
    message = query.first()
    if message is None:
        raise ChatError(Code.MESSAGE_NOT_FOUND, "No such message in this room (it may have been removed).")
    return message


def _announce(message: Message, room: Room, rseq: int) -> None:
    """Stamp the message with the room's reaction sequence `rseq` and tell the room its reactions now."""
    Message.objects.filter(pk=message.pk).update(reactions_seq=rseq)
    data = reactions_event(message.pk, room.name, rseq, message_reactions(message_id=message.pk))
    events.to_room(room.pk, "reactions", data, coalesce=f"reactions:{message.pk}", rank=rseq)


def reaction_add(*, room: Room, actor: Actor, username: str, message_id: int, emoji: str) -> bool:
    """Add the actor's `emoji` to a message of `room`; True if it was not there yet.

    `emoji` must be one of the picker's (`invalid_emoji`); a removed message is
    `message_not_found`; a message with REACTIONS_PER_MESSAGE_MAX different emoji
    takes no new one (`reaction_limit`, an emoji already there may still be
    added); past REACTION_RATE_LIMIT changes per window, `reactions_too_fast`.
    The room hears `reactions` after the commit; adding one already there changes nothing.
    """
    emoji = apply(rules.clean_reaction_emoji, emoji)
    throttle.reaction_check(guest_key=actor.guest_key)
    with transaction.atomic():
        # The room's row first, as posting takes it, then the message: one lock order everywhere.
        rseq = next_change_seq(room.pk)
        message = _message(message_id, room.pk)
        existing = Reaction.objects.filter(message=message)
        if existing.filter(person_key=actor.guest_key, emoji=emoji).exists():
            return False
        emojis = set(existing.values_list("emoji", flat=True).distinct())
        if emoji not in emojis and len(emojis) >= settings.REACTIONS_PER_MESSAGE_MAX:
            raise ChatError(
                Code.REACTION_LIMIT,
                f"A message takes at most {settings.REACTIONS_PER_MESSAGE_MAX} different reactions.",
                max_reactions=settings.REACTIONS_PER_MESSAGE_MAX,
            )
        Reaction.objects.create(message=message, person_key=actor.guest_key, username=username[:64], emoji=emoji)
        _announce(message, room, rseq)
    return True


def reaction_remove(
    *, actor: Actor, message_id: int, emoji: str, room: Room | None = None, person_key: str | None = None
) -> bool:
    """Take a reaction off a message; True if there was one to take.

    Without `person_key`, the actor's own (the socket's `unreact`, rate-limited
    like adding). With it, that person's: the room's owner or staff only (the
    admin), audited. The room hears `reactions` after the commit. `room`, when
    given, is the room the message must be in.
    """
    emoji = apply(rules.clean_reaction_emoji, emoji)
    own = person_key is None or person_key == actor.guest_key
    if own:
        throttle.reaction_check(guest_key=actor.guest_key)
    room_id = room.pk if room else Message.objects.filter(pk=message_id).values_list("room_id", flat=True).first()
    if room_id is None:
        raise ChatError(Code.MESSAGE_NOT_FOUND)
    with transaction.atomic():
        rseq = next_change_seq(room_id)  # the room first, then the message, as reaction_add
        message = _message(message_id, room_id)
        if not own:
            policy.require_moderator(actor, message.room)
        deleted, _ = Reaction.objects.filter(
            message=message, person_key=actor.guest_key if own else person_key, emoji=emoji
        ).delete()
        if not deleted:
            return False
        _announce(message, message.room, rseq)
        if not own:
            audit(
                actor=actor,
                action="remove_reaction",
                room=message.room,
                target=f"message {message.pk}",
                detail=emoji,
            )
    return True


def reactions_reannounce(*, message_ids: Iterable[int]) -> None:
    """Tell each message's room its reactions again (their people changed: a sign-up, a deleted account).

    Inside the caller's transaction; removed messages are skipped (nobody shows them).
    """
    messages = Message.objects.filter(pk__in=set(message_ids), deleted_at__isnull=True).select_related("room")
    for message in messages.order_by("room_id", "pk"):
        _announce(message, message.room, next_change_seq(message.room_id))
