"""Messages, read: a history page (older, newer, around one message), a range by seq (gap fill,
catch-up), a joining socket's snapshot, and reactions.

Each function runs a fixed number of indexed queries whatever the room's size:
a page's replies are read with it (the original's quote, a join) and its
reactions in one more query.
"""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import F

from rooms.models import Attachment, LinkPreview, Message, Reaction, Room
from rooms.payloads import message_data, preview_data, reactions_data, timestamp
from rooms.prepared import Prepared
from rooms.previews import first_link


def _visible(room_id: int):
    # The author's avatar as it is now, for the payload (rooms/payloads.py), and the original of a reply.
    return (
        Message.objects.filter(room_id=room_id, deleted_at__isnull=True)
        .annotate(author_avatar=F("author_user__avatar"))
        .select_related("reply_to")
    )


def _reaction_rows(message_ids: list[int]) -> dict[int, list[tuple[str, str, str]]]:
    rows: dict[int, list[tuple[str, str, str]]] = {}
    query = Reaction.objects.filter(message_id__in=message_ids).order_by("id")
    for message_id, emoji, person_key, username in query.values_list("message_id", "emoji", "person_key", "username"):
        rows.setdefault(message_id, []).append((emoji, person_key, username))
    return rows


def payloads(messages: list[Message], room_name: str) -> list[dict[str, Any]]:
    """Messages as frames show them, with their reactions, their files and their link cards (one query each for the whole page)."""
    reacted = [m.pk for m in messages if m.reactions_seq]
    rows = _reaction_rows(reacted) if reacted else {}
    with_files = {m.pk: m for m in messages if m.attachment_count}
    if with_files:
        for message in with_files.values():
            message.attachment_list = []
        for attachment in Attachment.objects.filter(message_id__in=with_files).order_by("id"):
            with_files[attachment.message_id].attachment_list.append(attachment)
    # Only a message with a link can have a card: a page of plain text costs no extra query.
    linked = [m.pk for m in messages if "http" in m.text.lower() and first_link(m.text)]
    if linked:
        cards = {p.message_id: p for p in LinkPreview.objects.filter(message_id__in=linked, removed=False)}
        for message in messages:
            message.preview = cards.get(message.pk)
    return [message_data(m, room_name, reactions_data(rows.get(m.pk, ()))) for m in messages]


def message_reactions(*, message_id: int) -> list[dict[str, Any]]:
    """One message's reactions now, as `reactions` frames carry them."""
    return reactions_data(_reaction_rows([message_id]).get(message_id, ()))


def messages_changed(*, room: Room, after_rseq: int, upto_id: int, limit: int) -> list[tuple[str, dict[str, Any]]]:
    """What changed after `after_rseq` in the messages up to `upto_id`, as the frames that said so live.

    What a resuming page missed while it was away (rooms/services/changes.py),
    oldest change first, at most `limit` messages: `message_deleted` for a
    removed one; otherwise `message_updated` if it was edited, `preview` if it
    has a link, and `reactions` (each frame carries the message's state now, so
    hearing one twice changes nothing).
    """
    changed = list(
        Message.objects.filter(room_id=room.pk, reactions_seq__gt=after_rseq, id__lte=upto_id)
        .order_by("reactions_seq")
        .only("id", "reactions_seq", "text", "edited_at", "deleted_at", "deleted_by")[:limit]
    )
    rows = _reaction_rows([m.pk for m in changed if m.deleted_at is None])
    linked = [m.pk for m in changed if m.deleted_at is None and "http" in m.text.lower() and first_link(m.text)]
    cards = (
        {p.message_id: p for p in LinkPreview.objects.filter(message_id__in=linked, removed=False)} if linked else {}
    )
    frames: list[tuple[str, dict[str, Any]]] = []
    for m in changed:
        if m.deleted_at is not None:
            frames.append(("message_deleted", {"id": m.pk, "room": room.name, "by": m.deleted_by}))
            continue
        if m.edited_at is not None:
            frames.append(
                (
                    "message_updated",
                    {"id": m.pk, "room": room.name, "text": m.text, "edited_at": timestamp(m.edited_at)},
                )
            )
        if m.pk in linked:  # its card now: arrived, taken away by its author, or none yet
            card = cards.get(m.pk)
            frames.append(("preview", {"id": m.pk, "room": room.name, "preview": preview_data(card) if card else None}))
        reactions = {
            "id": m.pk,
            "room": room.name,
            "rseq": m.reactions_seq,
            "reactions": reactions_data(rows.get(m.pk, ())),
        }
        frames.append(("reactions", reactions))
    return frames


_pages: dict[tuple[str, int], Prepared] = {}  # the pages every join and catch-up reads, compiled once per size


def _page(name: str, limit: int, build, **arguments: int) -> list[Message]:
    """`build(**arguments)` with `limit` in its SQL (a LIMIT is written into it): compiled once per name and size."""
    prepared = _pages.get((name, limit))
    if prepared is None:
        prepared = _pages[(name, limit)] = Prepared(build, **dict.fromkeys(arguments, int))
    return prepared(**arguments)


def room_history(
    *, room: Room, before_id: int | None = None, limit: int | None = None, upto_seq: int | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """A page of visible messages, oldest first, and whether older ones exist."""
    limit = settings.HISTORY_PAGE_SIZE if limit is None else min(limit, settings.HISTORY_MAX_PAGE)
    if before_id is None and upto_seq is not None:
        page = _page(  # the page a join shows
            "join",
            limit,
            lambda room_id, upto_seq: _visible(room_id).filter(seq__lte=upto_seq).order_by("-seq")[: limit + 1],
            room_id=room.pk,
            upto_seq=upto_seq,
        )
        return payloads(list(reversed(page[:limit])), room.name), len(page) > limit
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
    return payloads(list(reversed(page[:limit])), room.name), has_more


def room_history_after(*, room: Room, after_id: int, limit: int | None = None) -> tuple[list[dict[str, Any]], bool]:
    """A page of visible messages newer than `after_id`, oldest first, and whether newer ones exist."""
    limit = settings.HISTORY_PAGE_SIZE if limit is None else min(limit, settings.HISTORY_MAX_PAGE)
    page = list(_visible(room.pk).filter(id__gt=after_id).order_by("id")[: limit + 1])
    return payloads(page[:limit], room.name), len(page) > limit


def room_history_around(
    *, room: Room, around_id: int, limit: int | None = None
) -> tuple[list[dict[str, Any]], bool, bool] | None:
    """Visible messages around one (half before it, it, the rest after), oldest first,
    whether older ones and newer ones exist; None when that message is not visible in the room.
    """
    limit = settings.HISTORY_PAGE_SIZE if limit is None else min(limit, settings.HISTORY_MAX_PAGE)
    target = _visible(room.pk).filter(pk=around_id).first()
    if target is None:
        return None
    before_count = (limit - 1) // 2
    before = list(_visible(room.pk).filter(id__lt=around_id).order_by("-id")[: before_count + 1])
    after_count = limit - 1 - min(len(before), before_count)  # near the start: the rest after it
    after = list(_visible(room.pk).filter(id__gt=around_id).order_by("id")[: after_count + 1])
    page = [*reversed(before[:before_count]), target, *after[:after_count]]
    return payloads(page, room.name), len(before) > before_count, len(after) > after_count


def messages_after(*, room: Room, after_seq: int, upto_seq: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """Visible messages with after_seq < seq <= upto_seq, in order, as (seq, data)."""
    page = _page(
        "after",
        limit,
        lambda room_id, after, upto: _visible(room_id).filter(seq__gt=after, seq__lte=upto).order_by("seq")[:limit],
        room_id=room.pk,
        after=after_seq,
        upto=upto_seq,
    )
    return list(zip((m.seq for m in page), payloads(page, room.name), strict=True))


def message_visible(*, room: Room, message_id: int) -> bool:
    """Is there a visible message of that id in the room (a link to it opens the room there)."""
    return _visible(room.pk).filter(pk=message_id).exists()


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
    reactions_seq: int = 0  # the room's change sequence when the snapshot was taken
    changes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # resuming: what changed meanwhile


def join_snapshot(
    *,
    room: Room,
    since_id: int | None = None,
    reactions_since: int | None = None,
    positions: tuple[int, int] | None = None,
    since_seq: int | None = None,
) -> JoinSnapshot:
    """History for a joining socket: the recent page, or everything after since_id.

    Reads the room's last_seq first, so every message up to it is committed
    and anything later reaches the socket live or through catch-up. Resuming
    with `reactions_since` (the `reactions_seq` of the page's last join) also
    reads what changed after it in the messages it has (id <= since_id):
    reactions, edits, removals; more than RESUME_MAX of those is a resync, like missed messages.
    `positions`: (last_seq, last_reaction_seq) when the join read them already,
    under the room's lock after the socket subscribed (services.presence_enter);
    `since_seq`: the seq since_id stands for, when the join read it with the room.
    """
    if positions is None:
        positions = Room.objects.filter(pk=room.pk).values_list("last_seq", "last_reaction_seq").get()
    last_seq, reactions_seq = positions
    resync = False
    if since_id is not None:
        if since_seq is None:
            since_seq = (
                Message.objects.filter(room_id=room.pk, id__lte=since_id)
                .order_by("-id")
                .values_list("seq", flat=True)
                .first()
            ) or 0
        changed = []
        if reactions_since is not None and reactions_since < reactions_seq:
            changed = messages_changed(
                room=room, after_rseq=reactions_since, upto_id=since_id, limit=settings.RESUME_MAX + 1
            )
        if (
            last_seq - since_seq <= settings.RESUME_MAX
            and len({data["id"] for _, data in changed}) <= settings.RESUME_MAX
        ):
            return JoinSnapshot(
                start_seq=since_seq, last_seq=last_seq, resumed=True, reactions_seq=reactions_seq, changes=changed
            )
        resync = True
    history, has_more = room_history(room=room, upto_seq=last_seq)
    latest_id = history[-1]["id"] if history else None
    return JoinSnapshot(
        history=history,
        has_more=has_more,
        start_seq=last_seq,
        last_seq=last_seq,
        resync=resync,
        latest_id=latest_id,
        reactions_seq=reactions_seq,
    )
