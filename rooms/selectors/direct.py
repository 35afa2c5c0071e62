"""Direct conversations and unread counts, read: a person's inbox, a conversation's shape, counts.

Each read here takes a fixed number of queries, however many rooms and
conversations a person belongs to (docs/performance.md measures it with 1,000).
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from rooms.errors import ChatError, Code
from rooms.identity import ACCOUNT_PREFIX, is_account_key
from rooms.models import Block, Membership, Message, Presence, Room
from rooms.payloads import author_token, avatar_url, timestamp
from rooms.prepared import Prepared


def _unread() -> Coalesce:
    """A membership's unread count: undeleted messages after its read position, not written by that person
    nor by anyone they block (their pages hide those)."""
    blocked = Block.objects.filter(blocker_key=OuterRef(OuterRef("person_key"))).values("blocked_key")
    newer = (
        Message.objects.filter(room_id=OuterRef("room_id"), id__gt=OuterRef("last_read_id"), deleted_at__isnull=True)
        .exclude(author_key=OuterRef("person_key"))
        .exclude(author_key__in=blocked)
        .order_by()
        .values("room_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(newer, output_field=IntegerField()), Value(0))


def unread_counts(
    *, room_ids: list[int], person: str | None = None, exclude: str | None = None
) -> dict[str, dict[int, int]]:
    """{person key: {room id: unread}} for the members of some rooms (one of them, or all but `exclude`,
    and then but those who block `exclude`: they hear nothing of what that person writes); one query."""
    rows = Membership.objects.filter(room_id__in=room_ids)
    if person is not None:
        rows = rows.filter(person_key=person)
    if exclude is not None:
        rows = rows.exclude(person_key=exclude).filter(
            ~Exists(Block.objects.filter(blocker_key=OuterRef("person_key"), blocked_key=exclude))
        )
    counts: dict[str, dict[int, int]] = {}
    for key, room_id, count in rows.annotate(unread=_unread()).values_list("person_key", "room_id", "unread"):
        counts.setdefault(key, {})[room_id] = count
    return counts


def absent_unread(*, room_ids: list[int]) -> list[tuple[str, int, str, int]]:
    """(person key, room id, room name, unread) of the members of these rooms who are online elsewhere; one query.

    Online: present in some room. Elsewhere: not present in that room (a page
    showing it counts its messages itself). Members with no open page hear
    nothing: their counts come with `inbox` when they connect.
    """
    online = Presence.objects.filter(guest_key=OuterRef("person_key"))
    here = online.filter(room_id=OuterRef("room_id"))
    rows = (
        Membership.objects.filter(room_id__in=room_ids)
        .filter(Exists(online), ~Exists(here))
        .annotate(unread=_unread())
        .order_by("room_id", "pk")
    )
    return list(rows.values_list("person_key", "room_id", "room__name", "unread"))


def _partners(*, person: str, room_id: int | None = None):
    theirs = Membership.objects.filter(person_key=person, room__kind=Room.Kind.DIRECT, room__closed_at__isnull=True)
    rows = (
        Membership.objects.filter(room_id__in=theirs.values("room_id"))
        .exclude(person_key=person)
        .filter(Exists(Presence.objects.filter(guest_key=OuterRef("person_key"))))
    )
    if room_id is not None:
        elsewhere = Presence.objects.filter(guest_key=person).exclude(room_id=room_id)
        rows = rows.filter(~Exists(elsewhere))
    return rows.order_by("person_key").values_list("person_key").distinct()


# Asked on every join (whom to tell the person came online): prepared (rooms/prepared.py).
_partners_online = Prepared(_partners, person=str)
_partners_unless_elsewhere = Prepared(_partners, person=str, room_id=int)


def conversation_partners(*, person: str, unless_present_outside: int | None = None) -> list[str]:
    """The person keys of everyone who shares a direct conversation with `person` and is online now; one query.

    With `unless_present_outside` (a room id): nobody, if `person` is present in any other room (in the same query).
    """
    if unless_present_outside is None:
        rows = _partners_online(person=person)
    else:
        rows = _partners_unless_elsewhere(person=person, room_id=unless_present_outside)
    return [key for (key,) in rows]


def partners_of_those_gone(*, people: list[str], room_id: int) -> dict[str, list[str]]:
    """conversation_partners of each of `people`, who just left `room_id`, for those not present elsewhere.

    {person: the keys of everyone online who shares a direct conversation with them}; at most two
    queries for any number of people (a stopping process's members leave a room at a time).
    """
    elsewhere = set(
        Presence.objects.filter(guest_key__in=people).exclude(room_id=room_id).values_list("guest_key", flat=True)
    )
    gone = [person for person in people if person not in elsewhere]
    if not gone:
        return {}
    # Their rooms first by person (SQLite otherwise walks every open conversation for each of them).
    theirs = Membership.objects.filter(person_key__in=gone).values("room_id")
    rows = (
        Membership.objects.filter(room_id__in=theirs, room__kind=Room.Kind.DIRECT, room__closed_at__isnull=True)
        # everyone in their conversations, and whether online
        .annotate(online=Exists(Presence.objects.filter(guest_key=OuterRef("person_key"))))
        .values_list("room_id", "person_key", "online")
    )
    members: dict[int, list[tuple[str, bool]]] = {}
    for room_id, key, online in rows:
        members.setdefault(room_id, []).append((key, online))
    leaving = set(gone)
    found: dict[str, set[str]] = {}
    for people_there in members.values():
        for key, _ in people_there:
            if key in leaving:
                found.setdefault(key, set()).update(k for k, online in people_there if online and k != key)
    return {person: sorted(keys) for person, keys in found.items() if keys}


def _people(room_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """(person key, name) of each conversation's members, in the order they were added; one query."""
    people: dict[int, list[tuple[str, str]]] = {}
    rows = Membership.objects.filter(room_id__in=room_ids).order_by("room_id", "pk")
    for room_id, key, name in rows.values_list("room_id", "person_key", "username"):
        people.setdefault(room_id, []).append((key, name))
    return people


def _faces(keys: set[str]) -> tuple[set[str], dict[str, str]]:
    """Who of these people is online now (present in any room), and the accounts' avatar stems; two queries."""
    online = set(Presence.objects.filter(guest_key__in=list(keys)).values_list("guest_key", flat=True))
    account_ids = [int(key.removeprefix(ACCOUNT_PREFIX)) for key in keys if is_account_key(key)]
    stems = {}
    if account_ids:
        users = get_user_model().objects.filter(pk__in=account_ids).values_list("pk", "avatar")
        stems = {f"{ACCOUNT_PREFIX}{pk}": stem for pk, stem in users}
    return online, stems


def _person(key: str, name: str, online: set[str], stems: dict[str, str]) -> dict[str, Any]:
    return {
        "username": name,
        "author": author_token(key),
        "account": is_account_key(key),
        "avatar": avatar_url(stems.get(key)),
        "online": key in online,
    }


def _conversation(name: str, active, people: list[tuple[str, str]], viewer_key: str, online, stems) -> dict[str, Any]:
    return {
        "room": name,
        "people": [_person(key, person, online, stems) for key, person in people if key != viewer_key],
        "last_active": timestamp(active),
    }


def conversation_data(*, room: Room, viewer_key: str) -> dict[str, Any]:
    """One conversation as `viewer_key` sees it in their list: the others' names, faces, online dots."""
    people = _people([room.pk]).get(room.pk, [])
    online, stems = _faces({key for key, _ in people})
    return _conversation(room.name, room.last_active_at, people, viewer_key, online, stems)


INBOX_PAGE = 50  # conversations in `inbox` and in each `inbox_page`, newest activity first


def _unread_row(name: str, kind: str, unread: int, last_read_id: int | None) -> dict[str, Any]:
    return {"room": name, "kind": kind, "count": unread, "last_read": last_read_id}


def _conversations_page(person: str, rooms: list[tuple[int, str, Any]]) -> list[dict[str, Any]]:
    """The conversations (room id, name, last active) as `person` sees them; three queries (members, presence,
    avatars)."""
    people = _people([room_id for room_id, _, _ in rooms]) if rooms else {}
    keys = {key for members in people.values() for key, _ in members}
    online, stems = _faces(keys) if keys else (set(), {})
    return [
        _conversation(name, active, people.get(room_id, []), person, online, stems) for room_id, name, active in rooms
    ]


def _direct_memberships(person: str):
    return (
        Membership.objects.filter(person_key=person, room__kind=Room.Kind.DIRECT, room__closed_at__isnull=True)
        .annotate(unread=_unread())
        .order_by("-room__last_active_at", "-room_id")
    )


# What the inbox reads of a membership: its room (id, name, kind, last active), the unread count, the read position.
_INBOX_ROW = ("room_id", "room__name", "room__kind", "room__last_active_at", "unread", "last_read_id")

_rooms_of = Prepared(
    lambda person: (
        Membership.objects.filter(person_key=person, room__closed_at__isnull=True)
        .exclude(room__kind=Room.Kind.DIRECT)
        .annotate(unread=_unread())
        .order_by("-room__last_active_at", "room_id")
        .values_list(*_INBOX_ROW)
    ),
    person=str,
)
_direct_page = Prepared(
    lambda person: _direct_memberships(person).values_list(*_INBOX_ROW)[: INBOX_PAGE + 1], person=str
)
_direct_unread = Prepared(
    lambda person: _direct_memberships(person).filter(unread__gt=0).values_list(*_INBOX_ROW), person=str
)
_blocks_of = Prepared(
    lambda person: Block.objects.filter(blocker_key=person).values_list("blocked_key", "blocked_name"), person=str
)


def person_inbox(*, person: str) -> dict[str, Any]:
    """What a socket is told right after connecting: the person's newest INBOX_PAGE conversations
    (`more`: there are older ones, `inbox_more` pages on), the unread count and read position of every
    public and private room they belong to and of every conversation shown or with anything unread
    (so the tab title's total is right without the rest), and whom they block.

    Seven queries at most, however many rooms and conversations (docs/performance.md); the four that
    every connect makes are prepared (rooms/prepared.py).
    """
    rooms = _rooms_of(person=person)
    page = _direct_page(person=person)
    more, page = len(page) > INBOX_PAGE, page[:INBOX_PAGE]
    shown = {row[0] for row in page}
    # Asked even when everything fits on the page (it then finds nothing): the same queries for everyone.
    unread_elsewhere = [row for row in _direct_unread(person=person) if row[0] not in shown]
    blocks = _blocks_of(person=person)
    return {
        "conversations": _conversations_page(
            person, [(room_id, name, active) for room_id, name, _, active, *_ in page]
        ),
        "more": more,
        "unread": [_unread_row(*row[1:3], *row[4:]) for row in [*rooms, *page, *unread_elsewhere]],
        "blocked": [{"username": name, "author": author_token(key)} for key, name in blocks],
    }


def conversation_of(*, person: str, room_name: str) -> dict[str, Any]:
    """One conversation of `person`, as their list shows it (`room_not_found` for anything else); four queries."""
    key = room_name.strip().lower()
    membership = (
        Membership.objects.filter(person_key=person, room__key=key, room__kind=Room.Kind.DIRECT)
        .filter(room__closed_at__isnull=True)
        .select_related("room")
        .first()
    )
    if membership is None:
        raise ChatError(Code.ROOM_NOT_FOUND)
    return conversation_data(room=membership.room, viewer_key=person)


def inbox_page(*, person: str, before: str) -> dict[str, Any]:
    """The next INBOX_PAGE conversations of `person` after the conversation `before` (its room name), in
    inbox order, with their unread rows; `more`: older ones still. Four queries at most.

    A `before` that is not one of theirs is `room_not_found`, as for a room that does not exist.
    """
    key = before.strip().lower()
    mark = (
        Membership.objects.filter(person_key=person, room__key=key, room__kind=Room.Kind.DIRECT)
        .values_list("room__last_active_at", "room_id")
        .first()
    )
    if mark is None:
        raise ChatError(Code.ROOM_NOT_FOUND)
    active, room_id = mark
    older = Q(room__last_active_at__lt=active) | Q(room__last_active_at=active, room_id__lt=room_id)
    page = list(_direct_memberships(person).filter(older).values_list(*_INBOX_ROW)[: INBOX_PAGE + 1])
    more, page = len(page) > INBOX_PAGE, page[:INBOX_PAGE]
    return {
        "before": before,
        "conversations": _conversations_page(
            person, [(room_id, name, active) for room_id, name, _, active, *_ in page]
        ),
        "more": more,
        "unread": [_unread_row(*row[1:3], *row[4:]) for row in page],
    }
