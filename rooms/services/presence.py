"""Presence, written: server processes and their heartbeats, joining, leaving, removal, the sweep.

Presence lives in the database, the one store every process already shares
(docs/design.md argues the choice): a `Presence` row per person in a room and a
`Connection` row per open socket, each owned by a `ServerProcess` whose
heartbeat keeps it alive. A process that dies without cleaning up (kill -9)
stops beating; after PRESENCE_TIMEOUT_SECONDS any survivor sweeps its
connections away, announcing the leaves exactly as a normal disconnect does.

Every function that changes presence locks the room row first (by bumping its
`presence_version`, `lock_room`), so joins, leaves, sweeps and purges of one
room queue up instead of racing, and each member list carries the version it shows.
"""

import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from chatsite import names
from rooms import events
from rooms.errors import ChatError, Code
from rooms.identity import Actor
from rooms.models import Connection, Presence, Room, ServerProcess
from rooms.payloads import member_list_data, room_data, timestamp
from rooms.prepared import Prepared, PreparedInsert
from rooms.selectors import room_roster, roster_of
from rooms.services.direct import membership_enter, people_offline_announce, person_online_announce

logger = logging.getLogger(__name__)


@dataclass
class Entered:
    members: list[str]
    version: int
    users: int
    accounts: dict[str, str]  # the members who are accounts: {name: avatar stem}
    last_read: int = 0  # the newest message id this person had read here before joining (0: none)
    last_seq: int | None = None  # the room's newest message seq and reaction seq, read under its lock
    reactions_seq: int | None = None


def process_register() -> str:
    """Record this server process and return its id."""
    process = ServerProcess.objects.create(id=secrets.token_hex(8), host=socket.gethostname()[:255], pid=os.getpid())
    return process.id


def process_heartbeat(*, process_id: str) -> bool:
    """Keep this process's members alive; False if a sweeper already declared it dead."""
    return ServerProcess.objects.filter(id=process_id).update(heartbeat_at=timezone.now()) == 1


def lock_room(room_id: int, *, touch: bool = False) -> int | None:
    """Lock the room row for this transaction, bump its presence version, return it.

    None when the room is gone or closed. `touch` also records now as its last activity.
    """
    table = Room._meta.db_table
    extra = ", last_active_at = %s" if touch else ""
    params = [timezone.now(), room_id] if touch else [room_id]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET presence_version = presence_version + 1{extra} "
            f"WHERE id = %s AND closed_at IS NULL RETURNING presence_version",
            params,
        )
        row = cursor.fetchone()
    return row[0] if row else None


def roster(room_id: int) -> dict[str, Any]:
    """`members` and `accounts` of a room, as announce_presence takes them."""
    members, accounts = room_roster(room_id=room_id)
    return {"members": members, "accounts": accounts}


def announce_presence(
    room: Room,
    *,
    version: int,
    members: list[str],
    accounts: dict[str, str],
    kind: str | None = None,
    username: str = "",
    guest_key: str = "",
    text: str = "",
) -> None:
    """Member list, count and (for a join or leave) the notice, after commit."""
    if kind is not None:
        _announce_notice(room, version=version, kind=kind, username=username, guest_key=guest_key, text=text)
    events.to_room(room.pk, "member_list", member_list_data(room.name, members, accounts), version=version)
    update = room_data(room, len(members))
    if room.is_public:
        events.to_lobby("room_update", update, room_id=room.pk, version=version)
    else:
        events.to_room(room.pk, "room_update", update, version=version, stream=events.COUNT)


def _announce_notice(room: Room, *, version: int, kind: str, username: str, guest_key: str, text: str = "") -> None:
    """`system_message`: someone joined, left or was renamed (not to that person's own sockets), after commit."""
    verb = {"join": "joined", "leave": "left"}.get(kind, "")
    events.to_room(
        room.pk,
        "system_message",
        {
            "room": room.name,
            "kind": kind,
            "username": username,
            "text": text or f"{username} {verb}",
            "ts": timestamp(timezone.now()),
        },
        exclude=guest_key,
        # A socket that joined at this version or later already has this member in its list.
        version=version,
        stream=events.NOTICES,
    )


def _belongs_to_another_account(username_key: str, actor: Actor) -> bool:
    """An account's name (or a look-alike of it) is its own in every room: nobody else may use it."""
    accounts = get_user_model().objects.filter(name_key=username_key)
    if actor.user_id is not None:
        accounts = accounts.exclude(pk=actor.user_id)
    return accounts.exists()


def _lock_for_join(room_id: int) -> tuple[int, int, int] | None:
    """lock_room for a join: also the room's last_seq and last_reaction_seq, in the same statement.

    None when the room is gone or closed. Read from the locked row, which
    every post updates too, so every message up to that last_seq is committed
    (selectors.join_snapshot reads its page up to it). Nothing else is read in
    this statement: on PostgreSQL a subquery here would see the snapshot taken
    before the statement waited for the lock, not the row's newest state.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Room._meta.db_table} SET presence_version = presence_version + 1 "
            "WHERE id = %s AND closed_at IS NULL RETURNING presence_version, last_seq, last_reaction_seq",
            [room_id],
        )
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1], row[2])


# A join's statements, compiled once (rooms/prepared.py): every socket that joins a room runs them.
_present = Prepared(
    lambda room_id: (
        Presence.objects.filter(room_id=room_id)
        .order_by("joined_at", "id")
        .values_list("pk", "guest_key", "username", "username_key")
    ),
    room_id=int,
)
_insert_presence = PreparedInsert(Presence)
_insert_connection = PreparedInsert(Connection)


def presence_enter(
    *, room: Room, actor: Actor, username: str, connection_id: str, process_id: str, moving: bool = False
) -> Entered:
    """Put one socket of `actor` into `room` under `username`.

    The same guest in a second tab joins their existing presence (counted once,
    no second notice). A name already used by someone else in the room,
    or a look-alike of it (`chatsite.names.name_key`: case, NFKC and
    confusable skeletons), raises `username_taken`; so does the name of an
    account other than the actor's, in any room, raises `username_reserved`. On the first socket
    the room hears `system_message` (join), `member_list` and `room_update`.
    A tab joining under another name renames the person in the room: the others
    hear `system_message` (rename, "dave is now zzz"), and every other socket of
    theirs there `renamed {room, username}` and speaks under the new name, so
    no socket keeps a name its person gave up. A person in no other room comes
    online: the people they share a conversation with hear `online` (not when
    `moving`: a socket that just left another room, and so never went offline).

    What services.room_for_join read with the room (`room.joining`) is not read
    again. Under the room's lock: one statement locks it and reads its
    positions, one reads who is present (the member list is worked out from
    it), then only the writes (docs/performance.md, "Joins").
    """
    facts, room.joining = getattr(room, "joining", None), None  # true as the room was read: used once
    if facts is not None and facts.guest_key != actor.guest_key:
        facts = None
    username_key = names.name_key(username)
    if facts is not None and facts.username_key == username_key:
        reserved = facts.name_reserved
    else:
        reserved = _belongs_to_another_account(username_key, actor)
    if reserved:
        raise ChatError(
            Code.USERNAME_RESERVED, f"{username} is the name of an account. Log in as {username}, or pick another name."
        )
    taken = ChatError(Code.USERNAME_TAKEN, f"Someone in this room is already called {username}.")
    with transaction.atomic():
        locked = _lock_for_join(room.pk)
        if locked is None:
            raise ChatError(Code.ROOM_NOT_FOUND)
        version, last_seq, reactions_seq = locked
        present = _present(room_id=room.pk)
        mine = next((row for row in present if row[1] == actor.guest_key), None)
        if any(row[3] == username_key and row[1] != actor.guest_key for row in present):
            raise taken  # every presence change of the room takes its lock: this is exact
        announce, before = None, ""
        try:  # no savepoint: a refusal here undoes the whole join anyway
            if mine is None:
                presence = Presence(
                    room_id=room.pk, guest_key=actor.guest_key, username=username, username_key=username_key
                )
                _insert_presence([presence])
                presence_id = presence.pk
                present.append((presence_id, actor.guest_key, username, username_key))
                announce = "join"
            else:
                presence_id, before = mine[0], mine[2]
                if before != username:
                    Presence.objects.filter(pk=presence_id).update(username=username, username_key=username_key)
                    present = [(p, k, username if k == actor.guest_key else n, u) for p, k, n, u in present]
                    announce = "rename"
        except IntegrityError:
            raise taken from None  # the unique name in the room, should anything change presence without its lock
        _insert_connection([Connection(id=connection_id, presence_id=presence_id, process_id=process_id)])
        # A conversation's membership is read again under the lock: whoever left it meanwhile is out.
        known = {"found": facts.membership} if facts is not None and not room.is_direct else {}
        last_read = membership_enter(room=room, actor=actor, username=username, **known)
        members, accounts = roster_of((name, key) for _, key, name, _ in present)
        if announce == "rename":
            renamed = {"room": room.name, "username": username}
            events.rename(room.pk, actor.guest_key, username, "renamed", renamed, source=connection_id)
        if announce is not None:
            announce_presence(
                room,
                version=version,
                members=members,
                accounts=accounts,
                kind=announce,
                username=username,
                guest_key=actor.guest_key,
                text=f"{before} is now {username}" if announce == "rename" else "",
            )
        if announce == "join" and not moving:
            person_online_announce(person=actor.guest_key, online=True, unless_present_outside=room.pk)
    return Entered(
        members=members,
        version=version,
        users=len(members),
        accounts=accounts,
        last_read=last_read,
        last_seq=last_seq,
        reactions_seq=reactions_seq,
    )


def presence_leave(*, connection_id: str, staying: bool = False) -> bool:
    """Take one socket out of its room; the person leaves with their last socket.

    Returns True if the person left (and the room heard `system_message`
    (leave), `member_list` and `room_update`). Unknown connections are a no-op,
    so a sweeper and a late disconnect can both call this safely. A person
    left in no room goes offline (`online` to the people they share a
    conversation with), unless the socket is `staying` open to join another.
    """
    link = Connection.objects.filter(id=connection_id).values_list("presence__room_id", flat=True).first()
    if link is None:
        return False
    with transaction.atomic():
        version = lock_room(link, touch=True)
        conn = Connection.objects.select_related("presence__room").filter(id=connection_id).first()
        if conn is None:
            return False
        presence = conn.presence
        conn.delete()
        if presence.connections.exists():
            return False
        presence.delete()
        if version is not None:
            announce_presence(
                presence.room,
                version=version,
                **roster(presence.room_id),
                kind="leave",
                username=presence.username,
                guest_key=presence.guest_key,
            )
        if not staying:
            person_online_announce(person=presence.guest_key, online=False, unless_present_outside=presence.room_id)
    return True


def presence_remove(*, room: Room, guest_key: str, text: str) -> str | None:
    """Take a person out of a room, whatever sockets they have there (kick, ban).

    Returns their display name, or None if they were not present. The room
    hears `system_message` (leave, with `text`), `member_list` and `room_update`;
    the person's own sockets are told through events.evict by the caller.
    """
    with transaction.atomic():
        version = lock_room(room.pk, touch=True)
        presence = Presence.objects.filter(room_id=room.pk, guest_key=guest_key).first()
        if presence is None:
            return None
        presence.delete()
        if version is not None:
            announce_presence(
                room,
                version=version,
                **roster(room.pk),
                kind="leave",
                username=presence.username,
                guest_key=guest_key,
                text=text.format(username=presence.username),
            )
        person_online_announce(person=guest_key, online=False, unless_present_outside=room.pk)
    return presence.username


def _process_leave(process_id: str) -> int:
    """Every socket a server process held leaves its room, a room at a time; how many people left.

    What presence_leave does for each socket, done for all of a room's at
    once: a process stopping (or swept after it died) with 5,000 sockets took
    5,000 presence_leave calls, each with its lock, its roster and its member
    list to the whole room, some fifteen seconds of the database thread: longer
    than a deploy waits for a process to stop (docs/performance.md, the reconnect
    storm). Each person who left is announced (`system_message`); the room hears
    one `member_list` and one count.
    """
    room_ids = Connection.objects.filter(process_id=process_id).values_list("presence__room_id", flat=True)
    return sum(_room_leave(room_id, process_id) for room_id in sorted(set(room_ids)))


def _room_leave(room_id: int, process_id: str) -> int:
    """The sockets of `process_id` in one room leave it; the people left with no socket there go."""
    with transaction.atomic():
        version = lock_room(room_id, touch=True)
        Connection.objects.filter(process_id=process_id, presence__room_id=room_id).delete()
        gone = list(
            Presence.objects.filter(room_id=room_id, connections__isnull=True)
            .order_by("joined_at", "id")
            .values_list("pk", "guest_key", "username")
        )
        if not gone:
            return 0
        Presence.objects.filter(pk__in=[pk for pk, _, _ in gone]).delete()
        if version is not None:
            room = Room.objects.get(pk=room_id)
            for _, guest_key, username in gone:
                _announce_notice(room, version=version, kind="leave", username=username, guest_key=guest_key)
            announce_presence(room, version=version, **roster(room_id))
        people_offline_announce(people=[guest_key for _, guest_key, _ in gone], room_id=room_id)
    return len(gone)


def presence_sweep() -> int:
    """Remove the connections of processes that stopped beating; return how many people left."""
    cutoff = timezone.now() - timedelta(seconds=settings.PRESENCE_TIMEOUT_SECONDS)
    left = 0
    for process_id in ServerProcess.objects.filter(heartbeat_at__lt=cutoff).values_list("id", flat=True):
        left += _process_leave(process_id)
        ServerProcess.objects.filter(id=process_id, heartbeat_at__lt=cutoff).delete()
        logger.info("swept server process %s: %d left", process_id, left)
    return left


def process_deregister(*, process_id: str) -> int:
    """This server process is stopping (SIGTERM, a deploy): its members leave now, not after the timeout.

    Returns how many people left. The others in their rooms hear the leaves as
    after any disconnect, so counts and member lists are right at once.
    """
    left = _process_leave(process_id)
    ServerProcess.objects.filter(id=process_id).delete()
    return left
