"""Rooms, read: finding one by name, the lobby's list, members, the hub's checks."""

from typing import Any

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Q, Value, When

from rooms.identity import is_account_key
from rooms.models import Presence, Room
from rooms.payloads import room_data


def room_by_name(*, name: str) -> Room | None:
    """An open room by name or private code, case-insensitively."""
    if "\x00" in name:
        return None  # no room has one, and PostgreSQL refuses NUL even in a query (/r/a%00b/)
    return Room.objects.filter(key=name.strip().lower(), closed_at__isnull=True).first()


def public_rooms() -> list[dict[str, Any]]:
    """Topic rooms in their configured order, then named rooms, busiest first."""
    order = Case(
        *[When(key=key, then=Value(i)) for i, key in enumerate(settings.TOPIC_ROOMS)],
        default=Value(len(settings.TOPIC_ROOMS)),
        output_field=IntegerField(),
    )
    rooms = (
        Room.objects.filter(kind__in=[Room.Kind.TOPIC, Room.Kind.NAMED], closed_at__isnull=True)
        .annotate(users=Count("presences"), topic_order=order)
        .order_by("topic_order", "-users", "key")
    )
    return [room_data(room, room.users) for room in rooms]


def room_members(*, room_id: int) -> list[str]:
    """Display names of everyone present, in the order they arrived."""
    return room_roster(room_id=room_id)[0]


def room_roster(*, room_id: int) -> tuple[list[str], list[str]]:
    """Display names of everyone present, in the order they arrived, and those of them who are accounts."""
    rows = Presence.objects.filter(room_id=room_id).order_by("joined_at", "id").values_list("username", "guest_key")
    names, accounts = [], []
    for name, key in rows:
        names.append(name)
        if is_account_key(key):
            accounts.append(name)
    return names, accounts


def room_tails(*, room_ids: list[int]) -> dict[int, int]:
    """The newest message seq of each room: the hub's check for anything it missed."""
    return dict(Room.objects.filter(pk__in=room_ids).values_list("pk", "last_seq"))


def presence_state(*, room_ids: list[int]) -> list[tuple[Room, int, list[str], list[str]]]:
    """(room, presence version, members, accounts among them) for the given rooms and for every public room.

    The hub restates these to its own sockets when the channel layer comes back
    after an outage that may have swallowed member lists and counts. Each
    carries its version, so a newer live update always wins over it.
    """
    public = Q(kind__in=[Room.Kind.TOPIC, Room.Kind.NAMED])
    rooms = Room.objects.filter(public | Q(pk__in=room_ids), closed_at__isnull=True)
    return [(room, room.presence_version, *room_roster(room_id=room.pk)) for room in rooms]
