"""Direct conversations and unread counts, read: a person's inbox, a conversation's shape, counts.

Each read here takes a fixed number of queries, however many rooms and
conversations a person belongs to (docs/performance.md measures it with 1,000).
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from rooms.identity import ACCOUNT_PREFIX, is_account_key
from rooms.models import Block, Membership, Message, Presence, Room
from rooms.payloads import author_token, avatar_url, timestamp


def _unread() -> Coalesce:
    """A membership's unread count: undeleted messages after its read position, not written by that person."""
    newer = (
        Message.objects.filter(room_id=OuterRef("room_id"), id__gt=OuterRef("last_read_id"), deleted_at__isnull=True)
        .exclude(author_key=OuterRef("person_key"))
        .order_by()
        .values("room_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(newer, output_field=IntegerField()), Value(0))


def unread_counts(
    *, room_ids: list[int], person: str | None = None, exclude: str | None = None
) -> dict[str, dict[int, int]]:
    """{person key: {room id: unread}} for the members of some rooms (one of them, or all but `exclude`); one query."""
    rows = Membership.objects.filter(room_id__in=room_ids)
    if person is not None:
        rows = rows.filter(person_key=person)
    if exclude is not None:
        rows = rows.exclude(person_key=exclude)
    counts: dict[str, dict[int, int]] = {}
    for key, room_id, count in rows.annotate(unread=_unread()).values_list("person_key", "room_id", "unread"):
        counts.setdefault(key, {})[room_id] = count
    return counts


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


def _conversation(room: Room, people: list[tuple[str, str]], viewer_key: str, online, stems) -> dict[str, Any]:
    return {
        "room": room.name,
        "people": [_person(key, name, online, stems) for key, name in people if key != viewer_key],
        "last_active": timestamp(room.last_active_at),
    }


def conversation_data(*, room: Room, viewer_key: str) -> dict[str, Any]:
    """One conversation as `viewer_key` sees it in their list: the others' names, faces, online dots."""
    people = _people([room.pk]).get(room.pk, [])
    online, stems = _faces({key for key, _ in people})
    return _conversation(room, people, viewer_key, online, stems)


def person_inbox(*, person: str) -> dict[str, Any]:
    """What a socket is told right after connecting: the person's conversations, newest activity first,
    the unread count and read position of every room they belong to, and whom they block.

    Five queries at most, however many rooms and conversations.
    """
    rows = list(
        Membership.objects.filter(person_key=person, room__closed_at__isnull=True)
        .select_related("room")
        .annotate(unread=_unread())
        .order_by("-room__last_active_at", "room_id")
    )
    direct = [row.room for row in rows if row.room.is_direct]
    people = _people([room.pk for room in direct]) if direct else {}
    blocks = list(Block.objects.filter(blocker_key=person).values_list("blocked_key", "blocked_name"))
    keys = {key for members in people.values() for key, _ in members}
    online, stems = _faces(keys) if keys else (set(), {})
    return {
        "conversations": [_conversation(room, people.get(room.pk, []), person, online, stems) for room in direct],
        "unread": [
            {"room": row.room.name, "kind": row.room.kind, "count": row.unread, "last_read": row.last_read_id}
            for row in rows
        ],
        "blocked": [{"username": name, "author": author_token(key)} for key, name in blocks],
    }
