"""Messages, read: a history page, a range by seq (gap fill, catch-up), a joining socket's snapshot.

Each function runs a fixed number of indexed queries whatever the room's size.
"""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import F

from rooms.models import Message, Room
from rooms.payloads import message_data


def _visible(room_id: int):
    # The author's avatar as it is now, for the payload (rooms/payloads.py).
    return Message.objects.filter(room_id=room_id, deleted_at__isnull=True).annotate(
        author_avatar=F("author_user__avatar")
    )


def room_history(
    *, room: Room, before_id: int | None = None, limit: int | None = None, upto_seq: int | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """A page of visible messages, oldest first, and whether older ones exist."""
    limit = settings.HISTORY_PAGE_SIZE if limit is None else min(limit, settings.HISTORY_MAX_PAGE)
    query = _visible(room.pk)
    # Within a room seq order is id order. Each filter gets the ordering its index
    # serves (room, id) or (room, seq), so the page is read straight off the index;
    # ordering a seq range by id made SQLite sort the whole room: 180 ms to join a
    # room of 100,000 messages instead of 6 (docs/performance.md).
    order = "-id"
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    if upto_seq is not None:
        query = query.filter(seq__lte=upto_seq)
        order = "-seq" if before_id is None else order
    page = list(query.order_by(order)[: limit + 1])
    has_more = len(page) > limit
    return [message_data(m, room.name) for m in reversed(page[:limit])], has_more


def messages_after(*, room: Room, after_seq: int, upto_seq: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """Visible messages with after_seq < seq <= upto_seq, in order, as (seq, data)."""
    query = _visible(room.pk).filter(seq__gt=after_seq, seq__lte=upto_seq).order_by("seq")[:limit]
    return [(m.seq, message_data(m, room.name)) for m in query]


@dataclass
class JoinSnapshot:
    """What a joining socket is told, and where its live stream starts."""

    history: list[dict[str, Any]] = field(default_factory=list)
    has_more: bool = False
    start_seq: int = 0  # the socket has seen everything up to here
    last_seq: int = 0  # the room's newest message when the snapshot was taken
    resumed: bool = False
    resync: bool = False
    latest_id: int | None = None


def join_snapshot(*, room: Room, since_id: int | None = None) -> JoinSnapshot:
    """History for a joining socket: the recent page, or everything after since_id.

    Reads the room's last_seq first, so every message up to it is committed
    and anything later reaches the socket live or through catch-up.
    """
    last_seq = Room.objects.filter(pk=room.pk).values_list("last_seq", flat=True).get()
    resync = False
    if since_id is not None:
        since_seq = (
            Message.objects.filter(room_id=room.pk, id__lte=since_id)
            .order_by("-id")
            .values_list("seq", flat=True)
            .first()
        ) or 0
        if last_seq - since_seq <= settings.RESUME_MAX:
            return JoinSnapshot(start_seq=since_seq, last_seq=last_seq, resumed=True)
        resync = True
    history, has_more = room_history(room=room, upto_seq=last_seq)
    latest_id = history[-1]["id"] if history else None
    return JoinSnapshot(
        history=history, has_more=has_more, start_seq=last_seq, last_seq=last_seq, resync=resync, latest_id=latest_id
    )
