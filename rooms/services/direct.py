"""Direct conversations, memberships and read positions, blocks, written.

A direct conversation is a room of kind `direct` whose members are fixed when
it is opened (Campfire's model): never listed, joined only by its members,
named by an unguessable identifier (rules.new_direct_name). A membership is a
person's lasting place in a room, with how far they have read; public and
private rooms get one when a person joins them. Counts and new conversations
travel on each person's own stream (events.to_person), never to the room.
"""

import hashlib
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from chatsite.names import name_key
from rooms import events, rules
from rooms.errors import ChatError, Code
from rooms.identity import Actor, person_key
from rooms.models import Block, Membership, Message, Presence, Room
from rooms.payloads import author_token
from rooms.selectors.direct import (
    absent_unread,
    conversation_data,
    conversation_partners,
    partners_of_those_gone,
    unread_counts,
)


def _people_key(keys: set[str]) -> str:
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()


def person_resolve(*, name: str, room: Room | None) -> tuple[str, str]:
    """(person key, display name) of whom `name` means: a member present in `room` first, else an account.

    Only people the asker can already see: someone in their room now (a guest
    is known by nothing else), or an account, by its name (an account's name is
    its own in every room). Raises member_not_found otherwise.
    """
    wanted = name_key(name.strip()) if isinstance(name, str) and name.strip() else ""
    if wanted and room is not None:
        present = Presence.objects.filter(room_id=room.pk, username_key=wanted).values_list("guest_key", "username")
        if found := present.first():
            return found
    if wanted:
        user = get_user_model().objects.filter(name_key=wanted, is_active=True).first()
        if user is not None:
            return person_key(user), user.username
    raise ChatError(Code.MEMBER_NOT_FOUND, f"Nobody called {str(name).strip()[:32]} is here or has an account.")


def _blocks(blocker_keys, blocked_key: str) -> bool:
    return Block.objects.filter(blocker_key__in=list(blocker_keys), blocked_key=blocked_key).exists()


def direct_open(*, actor: Actor, usernames: list[Any], room: Room | None, username: str) -> tuple[Room, bool]:
    """Open the direct conversation of `actor` (known there as `username`) and the people named; (room, created).

    The same people always get the same conversation. 1 to 7 others:
    `too_many_people` past that, `direct_self` for a name that is the
    asker's own, `member_not_found` for nobody by that name, `blocked` when
    the one other person of a 1:1 has blocked the asker. A new conversation
    reaches each member's stream as `direct_added`.
    """
    if not usernames:
        raise ChatError(Code.BAD_FRAME, "open_direct needs at least one name.")
    if any(not isinstance(name, str) or len(name) > 200 for name in usernames):
        raise ChatError(Code.BAD_FRAME, "open_direct.usernames must be names.")
    if len({name_key(name.strip()) for name in usernames}) > rules.DIRECT_PEOPLE_MAX - 1:
        raise ChatError(Code.TOO_MANY_PEOPLE)
    people = {actor.guest_key: username}
    for name in usernames:
        key, shown = person_resolve(name=name, room=room)
        if key == actor.guest_key:
            raise ChatError(Code.DIRECT_SELF)
        people[key] = shown
    if len(people) > rules.DIRECT_PEOPLE_MAX:
        raise ChatError(Code.TOO_MANY_PEOPLE)
    others = set(people) - {actor.guest_key}
    if len(others) == 1 and _blocks(others, actor.guest_key):
        raise ChatError(Code.BLOCKED)
    wanted = _people_key(set(people))
    existing = Room.objects.filter(people_key=wanted, kind=Room.Kind.DIRECT, closed_at__isnull=True).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            conversation = _create(people, wanted)
    except IntegrityError:  # the same people opened it at the same moment elsewhere
        existing = Room.objects.filter(people_key=wanted, kind=Room.Kind.DIRECT, closed_at__isnull=True).first()
        if existing is None:
            raise ChatError(Code.INTERNAL_ERROR, "Could not open that conversation; please try again.") from None
        return existing, False
    return conversation, True


def _create(people: dict[str, str], wanted: str) -> Room:
    for _ in range(5):
        name = rules.new_direct_name()
        if not Room.objects.filter(key=name).exists():
            break
    conversation = Room.objects.create(kind=Room.Kind.DIRECT, name=name, title="Direct conversation", people_key=wanted)
    Membership.objects.bulk_create(
        Membership(person_key=key, room=conversation, username=shown) for key, shown in people.items()
    )
    for key in people:
        events.to_person(key, "direct_added", conversation_data(room=conversation, viewer_key=key))
    return conversation


def is_member(*, room: Room, person: str) -> bool:
    return Membership.objects.filter(room_id=room.pk, person_key=person).exists()


_UNREAD = object()


def membership_enter(*, room: Room, actor: Actor, username: str, found: Any = _UNREAD) -> int:
    """The person joins a room: their membership (a new one for a public or private room); returns last_read_id.

    A direct conversation's memberships exist from its opening (nothing read
    yet: 0); only members reach this (services.room_for_join refuses everyone
    else). A new membership of a public or private room starts read up to its
    newest message: what was said before one came is history, not unread.
    The join path passes the membership it read with the room already
    (services.presence_enter): `found`, as (pk, last_read_id, username) or None.
    """
    if found is _UNREAD:
        row = Membership.objects.filter(room_id=room.pk, person_key=actor.guest_key)
        found = row.values_list("pk", "last_read_id", "username").first()
    if found is None:
        if room.is_direct:
            raise ChatError(Code.ROOM_NOT_FOUND)
        # Under the room's lock (presence_enter), so two joins of one person do not race; a membership
        # made meanwhile by anything else is kept as it is (no savepoint, no error).
        newest = _membership_start(room_id=room.pk, person_key=actor.guest_key, username=username)
        if newest is None:  # that other membership was there first
            newest = Message.objects.filter(room_id=room.pk).aggregate(newest=Max("id"))["newest"] or 0
        return newest
    if found[2] != username:
        Membership.objects.filter(pk=found[0]).update(username=username)
    return found[1]


_STARTED_WITH = ("room", "person_key", "username", "last_read_id", "joined_at")  # the columns _membership_start writes


def _membership_start(*, room_id: int, person_key: str, username: str) -> int | None:
    """A new membership read up to the room's newest message, and that message's id (0: none yet).

    One statement, INSERT ... SELECT, where the ORM takes two (the newest id,
    then the row): a person's first join of a room is counted in statements
    (docs/performance.md, "Joins"). None when the membership exists already.
    """
    quote = connection.ops.quote_name
    membership, message = Membership._meta, Message._meta
    columns = ", ".join(quote(membership.get_field(name).column) for name in _STARTED_WITH)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(membership.db_table)} ({columns}) "
            f"SELECT %s, %s, %s, COALESCE(MAX({quote(message.pk.column)}), 0), %s FROM {quote(message.db_table)} "
            f"WHERE {quote(message.get_field('room').column)} = %s "
            f"ON CONFLICT DO NOTHING RETURNING {quote(membership.get_field('last_read_id').column)}",
            [room_id, person_key, username, connection.ops.adapt_datetimefield_value(timezone.now()), room_id],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def direct_check_post(*, room: Room, actor: Actor) -> None:
    """May `actor` write in this direct conversation? Only a member, and not in a 1:1 with someone who blocked them."""
    members = set(Membership.objects.filter(room_id=room.pk).values_list("person_key", flat=True))
    if actor.guest_key not in members:
        raise ChatError(Code.ROOM_NOT_FOUND)
    others = members - {actor.guest_key}
    if len(others) == 1 and _blocks(others, actor.guest_key):
        raise ChatError(Code.BLOCKED)


def direct_announce(*, room: Room, message: Message) -> None:
    """A new message in a conversation: each other member's stream hears its unread count (not the text).

    Their sockets showing the conversation skip it: they hear the message itself.
    """
    for person, counts in unread_counts(room_ids=[room.pk], exclude=message.author_key).items():
        update = {"room": room.name, "count": counts[room.pk], "username": message.username}
        events.to_person(person, "unread", update, skip_room=room.pk)


def rooms_unread_announce(*, room_ids: list[int]) -> int:
    """New messages in these public or private rooms: their members online elsewhere hear `unread {room, count}`.

    Called by a process's hub at most once per UNREAD_COALESCE_MS for all the
    rooms written in since (rooms/realtime/unread.py): one query whatever
    the rooms' sizes, and one frame per such member per room per round, not
    per message. Members present in the room are skipped (their pages count
    what they are shown), and so are members with no page open. Returns how
    many updates went out.
    """
    rows = absent_unread(room_ids=room_ids)
    for person, room_id, name, count in rows:
        events.to_person(person, "unread", {"room": name, "count": count}, skip_room=room_id)
    return len(rows)


def person_online_announce(*, person: str, online: bool, unless_present_outside: int | None = None) -> None:
    """`person` came online (their first room) or went offline (their last): the people they share a
    conversation with, and who are online, hear `online {author, online}`; their sidebar dots follow.

    Called by the presence services on those transitions (rooms/services/presence.py), which pass the
    room entered or left as `unless_present_outside`: present in another room, the person was (or stays)
    online, and nobody hears anything. One query either way.
    """
    data = {"author": author_token(person), "online": online}
    for partner in conversation_partners(person=person, unless_present_outside=unless_present_outside):
        events.to_person(partner, "online", data)


def people_offline_announce(*, people: list[str], room_id: int) -> None:
    """person_online_announce(online=False) for each of `people`, who all just left `room_id`; two queries.

    A stopping process's members leave a room at a time (services.presence): one query a person
    was 5,000 queries for 5,000 people (docs/performance.md, "Seventh round").
    """
    for person, partners in partners_of_those_gone(people=people, room_id=room_id).items():
        data = {"author": author_token(person), "online": False}
        for partner in partners:
            events.to_person(partner, "online", data)


def membership_read(*, actor: Actor, room_name: str, message_id: int) -> int:
    """`actor` has read `room_name` up to `message_id`; returns the unread count left.

    Only a room they belong to (else `room_not_found`, as for a room that does
    not exist). Read positions only move forward. Every socket of theirs hears
    `unread {room, count, last_read}`, so their other devices clear it too.
    """
    key = room_name.strip().lower() if isinstance(room_name, str) else ""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .select_related("room")
            .filter(person_key=actor.guest_key, room__key=key, room__closed_at__isnull=True)
            .first()
        )
        if membership is None:
            raise ChatError(Code.ROOM_NOT_FOUND)
        newest = Message.objects.filter(room_id=membership.room_id).aggregate(newest=Max("id"))["newest"] or 0
        position = min(message_id, newest)
        if position > membership.last_read_id:
            membership.last_read_id = position
            membership.save(update_fields=["last_read_id"])
        left = unread_counts(room_ids=[membership.room_id], person=actor.guest_key).get(actor.guest_key, {})
        count = left.get(membership.room_id, 0)
        update = {"room": membership.room.name, "count": count, "last_read": membership.last_read_id}
        events.to_person(actor.guest_key, "unread", update)
    return count


def memberships_adopt(*, guest_key: str, person: str) -> None:
    """A guest became the account `person`: their memberships are the account's (services.person_adopt).

    Where both belong to a room, one membership stays, read as far as either
    read it. A conversation's people change with it (its people key), unless
    the account already has one with the same people: then that one is what
    open_direct finds, and the guest's stays, with its history, in the list.
    """
    for membership in Membership.objects.filter(person_key=guest_key).select_related("room"):
        kept = Membership.objects.filter(room_id=membership.room_id, person_key=person).first()
        if kept is not None:
            kept.last_read_id = max(kept.last_read_id, membership.last_read_id)
            kept.save(update_fields=["last_read_id"])
            membership.delete()
        else:
            membership.person_key = person
            membership.save(update_fields=["person_key"])
        room = membership.room
        if room.is_direct:
            keys = set(Membership.objects.filter(room_id=room.pk).values_list("person_key", flat=True))
            wanted = _people_key(keys)
            taken = Room.objects.filter(people_key=wanted).exclude(pk=room.pk).exists()
            Room.objects.filter(pk=room.pk).update(people_key="" if taken else wanted)
    Block.objects.filter(blocker_key=guest_key).update(blocker_key=person)
    Block.objects.filter(blocked_key=guest_key).update(blocked_key=person)


def memberships_forget(*, person: str) -> None:
    """An account is deleted: it belongs to no room any more, and its blocks go (services.account_delete).

    Its conversations stay for the other members, with its messages as "deleted user".
    """
    Membership.objects.filter(person_key=person).delete()
    Block.objects.filter(blocker_key=person).delete()
    Block.objects.filter(blocked_key=person).delete()


def _block_target(*, actor: Actor, room: Room | None, username: str | None, message_id: int | None) -> tuple[str, str]:
    if message_id is not None:
        if room is None:
            raise ChatError(Code.NOT_IN_ROOM)
        found = (
            Message.objects.filter(pk=message_id, room_id=room.pk, deleted_at__isnull=True)
            .values_list("author_key", "username")
            .first()
        )
        if found is None:
            raise ChatError(Code.MESSAGE_NOT_FOUND)
        return found
    return person_resolve(name=username or "", room=room)


def block_create(
    *, actor: Actor, room: Room | None, username: str | None = None, message_id: int | None = None
) -> dict[str, str]:
    """`actor` blocks a person (a member of their room by name, or the author of a message shown there).

    That person can no longer open or write in a 1:1 conversation with them,
    and the blocker's pages hide that person's messages in rooms. Every
    socket of the blocker hears `block_added {username, author}`. Returns that.
    """
    key, shown = _block_target(actor=actor, room=room, username=username, message_id=message_id)
    if key == actor.guest_key:
        raise ChatError(Code.FORBIDDEN, "You cannot block yourself.")
    data = {"username": shown, "author": author_token(key)}
    with transaction.atomic():
        _, created = Block.objects.get_or_create(
            blocker_key=actor.guest_key, blocked_key=key, defaults={"blocked_name": shown}
        )
        if created:
            events.to_person(actor.guest_key, "block_added", data)
    return data


def block_lift(*, actor: Actor, author: str) -> bool:
    """`actor` unblocks the person whose author token is `author`; every socket of theirs hears `block_removed`."""
    with transaction.atomic():
        for block in Block.objects.filter(blocker_key=actor.guest_key):
            if author_token(block.blocked_key) == author:
                block.delete()
                events.to_person(actor.guest_key, "block_removed", {"username": block.blocked_name, "author": author})
                return True
    return False
