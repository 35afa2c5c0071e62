"""Rooms, read: finding one by name, the lobby's bounded list and search, members, the hub's checks."""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from rooms.identity import ACCOUNT_PREFIX, Actor, is_account_key
from rooms.models import Membership, Message, Presence, Room
from rooms.payloads import room_data
from rooms.prepared import Prepared
from rooms.selectors.bans import bans_against, bans_keeping_out


def room_by_name(*, name: str) -> Room | None:
    """An open room by name or private code, case-insensitively."""
    if "\x00" in name:
        return None  # no room has one, and PostgreSQL refuses NUL even in a query (/r/a%00b/)
    return Room.objects.filter(key=name.strip().lower(), closed_at__isnull=True).first()


@dataclass
class JoinFacts:
    """What a join needs to know besides the room, read with it in one query (room_for_joining).

    For `guest_key` only; services.presence_enter uses them instead of asking again.
    """

    guest_key: str
    ban_id: int | None  # the ban in force keeping them out, if any (the longest)
    membership: tuple[int, int, str] | None  # (pk, last_read_id, username) of their membership, if any
    username_key: str | None = None  # the name the reserved check below is for
    name_reserved: bool = False  # that name (or a look-alike) is another account's
    since_seq: int | None = None  # resuming: the seq of the newest message with an id up to since_id (0: none)


_ROOM_FIELDS = tuple(field.attname for field in Room._meta.concrete_fields)


@functools.cache
def _joining(account: bool, name_check: bool, since: bool) -> Prepared:
    """room_for_joining's statement for one shape of join: by an account or a guest, checking a name, resuming."""
    arguments = {"key": str, "guest_key": str, "now": datetime}
    if account:
        arguments["user_id"] = int
    if name_check:
        arguments["username_key"] = str
    if since:
        arguments["since_id"] = int

    def build(*, key, guest_key, now, user_id=None, username_key=None, since_id=None):
        actor = Actor(guest_key=guest_key, user_id=user_id)
        member = Membership.objects.filter(room=OuterRef("pk"), person_key=guest_key)
        query = Room.objects.filter(key=key, closed_at__isnull=True).annotate(
            join_ban=Subquery(bans_keeping_out(actor=actor, room=OuterRef("pk"), now=now).values("pk")[:1]),
            join_member=Subquery(member.values("pk")[:1]),
            join_read=Subquery(member.values("last_read_id")[:1]),
            join_member_name=Subquery(member.values("username")[:1]),
        )
        facts = ["join_ban", "join_member", "join_read", "join_member_name"]
        if name_check:
            accounts = get_user_model().objects.filter(name_key=username_key)
            if account:
                accounts = accounts.exclude(pk=user_id)
            query = query.annotate(join_reserved=Exists(accounts))
            facts.append("join_reserved")
        if since:
            # Within a room id order is seq order, and the messages up to since_id were committed
            # before the client saw since_id: reading this before the room's lock misses none.
            seen = Message.objects.filter(room=OuterRef("pk"), id__lte=since_id).order_by("-id")
            query = query.annotate(join_since_seq=Subquery(seen.values("seq")[:1]))
            facts.append("join_since_seq")
        return query.order_by("pk").values_list(*_ROOM_FIELDS, *facts)[:1]

    return Prepared(build, **arguments)


def room_for_joining(
    *, name: str, actor: Actor, username_key: str | None = None, since_id: int | None = None
) -> Room | None:
    """room_by_name, with the actor's ban, membership, (for `username_key`) whether the name is another
    account's and (for `since_id`) where a resume starts, in the same statement: `room.joining` holds them
    (JoinFacts).

    One query where a join used to spend four (docs/performance.md): the subqueries
    run on the indexes of bans (guest, user), memberships (room, person) and users (name_key).
    Prepared (rooms/prepared.py): compiling it cost more than running it.
    """
    if "\x00" in name:
        return None
    optional = {"user_id": actor.user_id, "username_key": username_key, "since_id": since_id}
    optional = {argument: value for argument, value in optional.items() if value is not None}
    statement = _joining("user_id" in optional, "username_key" in optional, "since_id" in optional)
    rows = statement(key=name.strip().lower(), guest_key=actor.guest_key, now=timezone.now(), **optional)
    if not rows:
        return None
    count = len(_ROOM_FIELDS)
    room = Room.from_db(DEFAULT_DB_ALIAS, _ROOM_FIELDS, rows[0][:count])
    ban_id, member, read, member_name, *more = rows[0][count:]
    reserved = bool(more.pop(0)) if username_key is not None else False
    room.joining = JoinFacts(
        guest_key=actor.guest_key,
        ban_id=ban_id,
        membership=None if member is None else (member, read, member_name),
        username_key=username_key,
        name_reserved=reserved,
        since_seq=(more[0] or 0) if since_id is not None else None,
    )
    return room


PUBLIC_KINDS = (Room.Kind.TOPIC, Room.Kind.NAMED)


def readable_rooms(*, actor: Actor):
    """The rooms whose messages `actor` may read, as a queryset: the one place that decides it.

    Search (rooms/selectors/search.py) and anything else that reads across rooms
    goes through here. Public rooms (topic and named) are everyone's. A private
    room is entered only with its code, so it is the person's if they show they
    have it: they are in it now (a Presence row), they joined it (a Membership
    row), they made it (owner_key), or they wrote in it (a message of theirs,
    removed or not). A direct conversation is its members' only, by Membership,
    staff included (staff see a conversation's message only when it is reported).
    Closed rooms are for staff only. A room someone is banned from (a ban in
    force, rooms/selectors/bans.py) is not theirs to read, as they cannot join
    it; a site ban leaves them no room at all.
    """
    key = actor.guest_key
    member_of = Q(pk__in=Membership.objects.filter(person_key=key).values("room_id"))
    private = Q(kind=Room.Kind.PRIVATE) & (
        Q(owner_key=key)
        | member_of
        | Q(pk__in=Presence.objects.filter(guest_key=key).values("room_id"))
        | Q(pk__in=Message.objects.filter(author_key=key).values("room_id"))
    )
    direct = Q(kind=Room.Kind.DIRECT) & member_of
    rooms = Room.objects.filter(Q(kind__in=PUBLIC_KINDS) | private | direct)
    bans = bans_against(actor=actor)
    if bans.filter(room__isnull=True).exists():
        return Room.objects.none()
    rooms = rooms.exclude(pk__in=bans.filter(room__isnull=False).values("room_id"))
    return rooms if actor.is_staff else rooms.filter(closed_at__isnull=True)


def lobby_rooms() -> dict[str, Any]:
    """The lobby's first screen and `room_list`: at most LOBBY_ROOMS_MAX public rooms, and how many there are.

    Topic rooms always, in their configured order; then named rooms with the
    most people in them now, then the most recently active (a leave or a
    message stamps `last_active_at`). Never every room: the people present
    are counted from `Presence` (as many rows as people online), the empty
    rooms read through the (kind, closed_at, last_active_at) index with a
    LIMIT, the total counted in SQL.
    """
    limit = settings.LOBBY_ROOMS_MAX
    order = {key: i for i, key in enumerate(settings.TOPIC_ROOMS)}
    topics = sorted(
        Room.objects.filter(kind=Room.Kind.TOPIC, closed_at__isnull=True),
        key=lambda room: (order.get(room.key, len(order)), room.key),
    )
    slots = max(0, limit - len(topics))
    named = Room.objects.filter(kind=Room.Kind.NAMED, closed_at__isnull=True)
    busiest = list(
        Presence.objects.filter(room__kind=Room.Kind.NAMED, room__closed_at__isnull=True)
        .values("room_id")
        .annotate(users=Count("id"))
        .order_by("-users", "-room__last_active_at", "room_id")
        .values_list("room_id", "users")[:slots]
    )
    busy = Room.objects.in_bulk([room_id for room_id, _ in busiest]) if busiest else {}
    rooms = [room_data(room, users) for room, users in zip(topics, _counts(topics), strict=True)]
    rooms += [room_data(busy[room_id], users) for room_id, users in busiest]
    if len(busiest) < slots:  # every occupied room is listed: the rest are empty, most recently active first
        quiet = named.exclude(pk__in=list(busy)).order_by("-last_active_at", "key")[: slots - len(busiest)]
        rooms += [room_data(room, 0) for room in quiet]
    total = Room.objects.filter(kind__in=PUBLIC_KINDS, closed_at__isnull=True).count()
    return {"rooms": rooms, "total": total, "limit": limit}


def rooms_find(*, query: str, after: str | None = None) -> dict[str, Any]:
    """`room_results`: open public rooms whose name contains `query` (any case), A to Z, LOBBY_ROOMS_MAX a page.

    An empty `query` pages through every public room. `next` is the name to
    pass as `after` for the following page, or None on the last one.
    """
    limit = settings.LOBBY_ROOMS_MAX
    if "\x00" in query or (after and "\x00" in after):
        return {"query": query, "rooms": [], "next": None}  # no name has one, and PostgreSQL refuses NUL in a query
    # "Not private or direct" rather than "kind in (topic, named)": with the kind filter SQLite walks
    # the kind index and sorts every room; this way it reads the key index in order.
    found = Room.objects.exclude(kind__in=[Room.Kind.PRIVATE, Room.Kind.DIRECT]).filter(closed_at__isnull=True)
    if wanted := query.strip().lower():
        found = found.filter(key__contains=wanted)  # Django escapes % and _: a name's text, not a pattern
    if after:
        found = found.filter(key__gt=after.strip().lower())
    page = list(found.order_by("key")[: limit + 1])
    more, page = len(page) > limit, page[:limit]
    rooms = [room_data(room, users) for room, users in zip(page, _counts(page), strict=True)]
    return {"query": query, "rooms": rooms, "next": page[-1].key if more else None}


def _counts(rooms: list[Room]) -> list[int]:
    """The people in each of a few rooms, in one query."""
    if not rooms:
        return []
    counts = dict(
        Presence.objects.filter(room_id__in=[room.pk for room in rooms])
        .values("room_id")
        .annotate(users=Count("id"))
        .values_list("room_id", "users")
    )
    return [counts.get(room.pk, 0) for room in rooms]


def room_members(*, room_id: int) -> list[str]:
    """Display names of everyone present, in the order they arrived."""
    return room_roster(room_id=room_id)[0]


def room_roster(*, room_id: int) -> tuple[list[str], dict[str, str]]:
    """Display names of everyone present, in the order they arrived, and {name: avatar stem} of the accounts among them."""
    rows = Presence.objects.filter(room_id=room_id).order_by("joined_at", "id").values_list("username", "guest_key")
    return roster_of(rows)


def roster_of(rows: Iterable[tuple[str, str]]) -> tuple[list[str], dict[str, str]]:
    """room_roster from (username, guest_key) pairs already read, in the order they arrived."""
    names, account_names = [], {}
    for name, key in rows:
        names.append(name)
        if is_account_key(key):
            account_names[int(key.removeprefix(ACCOUNT_PREFIX))] = name
    avatars = {}
    if account_names:  # a second query only where accounts are present
        avatars = dict(get_user_model().objects.filter(pk__in=account_names).values_list("pk", "avatar"))
    return names, {name: avatars.get(pk, "") for pk, name in account_names.items()}


def room_tails(*, room_ids: list[int]) -> dict[int, int]:
    """The newest message seq of each room: the hub's check for anything it missed."""
    return dict(Room.objects.filter(pk__in=room_ids).values_list("pk", "last_seq"))


def presence_state(*, room_ids: list[int]) -> list[tuple[Room, int, list[str], dict[str, str]]]:
    """(room, presence version, members, accounts among them) for the given rooms and for every public room.

    The hub restates these to its own sockets when the channel layer comes back
    after an outage that may have swallowed member lists and counts. Each
    carries its version, so a newer live update always wins over it.
    """
    public = Q(kind__in=[Room.Kind.TOPIC, Room.Kind.NAMED])
    rooms = Room.objects.filter(public | Q(pk__in=room_ids), closed_at__isnull=True)
    return [(room, room.presence_version, *room_roster(room_id=room.pk)) for room in rooms]
