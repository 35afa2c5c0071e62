"""Posting messages: one at a time, in a batch (group commit), and the queue that forms the batches.

Each message takes the room's next gap-free position (`seq`) under the room's
row lock, together with the room's rules of the moment (locked, slow mode,
owner), in one statement; it is committed before anyone hears of it.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from rooms import availability, events, policy, rules, throttle
from rooms.dbthread import database_sync_to_async
from rooms.errors import ChatError, Code
from rooms.identity import Actor
from rooms.models import Message, Room
from rooms.payloads import message_data
from rooms.prepared import PreparedInsert
from rooms.services.attachments import attachments_bind
from rooms.services.direct import direct_announce, direct_check_post
from rooms.services.previews import preview_request
from rooms.services.rule import apply

POST_BATCH = 100  # most messages written in one transaction

_insert_messages = PreparedInsert(Message)  # bulk_create with the INSERT compiled once per batch size


@dataclass(frozen=True)
class _Slot:
    seq: int
    locked: bool
    slow_mode: int
    owner_key: str

    def moderated_by(self, actor: Actor) -> bool:
        """Staff, or the room's owner as of this slot: exempt from its lock and slow mode."""
        return policy.moderates(actor, self.owner_key)


def _next_seq(room_id: int, count: int = 1) -> _Slot:
    """Take the room's next `count` message positions under its row lock, with its current rules (one query).

    The slot's `seq` is the first of them.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Room._meta.db_table} SET last_seq = last_seq + %s, last_active_at = %s "
            "WHERE id = %s AND closed_at IS NULL RETURNING last_seq, locked, slow_mode_seconds, owner_key",
            [count, timezone.now(), room_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise ChatError(Code.ROOM_NOT_FOUND, "This room has been closed.")
    return _Slot(seq=row[0] - count + 1, locked=bool(row[1]), slow_mode=row[2], owner_key=row[3])


def _next_seqs(counts: dict[int, int]) -> dict[int, _Slot]:
    """_next_seq for several rooms (room id → how many positions) in one UPDATE, rooms locked in ascending id order.

    A batch of 100 posts in 100 rooms took 100 statements here, about 9% of a
    busy process's samples (docs/performance.md, "Third round"). On PostgreSQL
    the rows are first locked in id order by one SELECT ... FOR UPDATE, as the
    room-by-room statements did, so that two processes' batches cannot
    deadlock; SQLite's write transaction already holds the whole database.
    """
    ids = sorted(counts)
    if len(ids) == 1:
        return {ids[0]: _next_seq(ids[0], counts[ids[0]])}
    table = Room._meta.db_table
    listed = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        if connection.features.has_select_for_update:
            cursor.execute(f"SELECT id FROM {table} WHERE id IN ({listed}) ORDER BY id FOR UPDATE", ids)
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + CASE id {' '.join(['WHEN %s THEN %s'] * len(ids))} END, "
            f"last_active_at = %s WHERE id IN ({listed}) AND closed_at IS NULL "
            "RETURNING id, last_seq, locked, slow_mode_seconds, owner_key",
            [*(value for room_id in ids for value in (room_id, counts[room_id])), timezone.now(), *ids],
        )
        rows = cursor.fetchall()
    if len(rows) != len(ids):
        raise ChatError(Code.ROOM_NOT_FOUND, "This room has been closed.")
    return {
        room_id: _Slot(seq=last - counts[room_id] + 1, locked=bool(locked), slow_mode=slow, owner_key=owner)
        for room_id, last, locked, slow, owner in rows
    }


def _new_message(
    room_id: int, seq: int, actor: Actor, username: str, text: str, client_id: str, reply_to: Message | None = None
) -> Message:
    """The one place a Message row is built (message_post and the bulk path alike)."""
    message = Message(
        room_id=room_id,
        seq=seq,
        author_key=actor.guest_key,
        author_user_id=actor.user_id,
        username=username,
        text=text,
        client_id=client_id,
        reply_to=reply_to,
    )
    message.author_avatar = actor.avatar  # as the selectors annotate it: the payload shows it (rooms/payloads.py)
    return message


def _originals(room_id: int, ids: set[int]) -> dict[int, Message]:
    """The visible messages of the room a post may reply to, by id."""
    if not ids:
        return {}
    return {m.pk: m for m in Message.objects.filter(pk__in=ids, room_id=room_id, deleted_at__isnull=True)}


def _original(room: Room, reply_to: int | None) -> Message | None:
    if reply_to is None:
        return None
    original = _originals(room.pk, {reply_to}).get(reply_to)
    if original is None:
        raise ChatError(Code.MESSAGE_NOT_FOUND, "The message you are replying to is not in this room any more.")
    return original


def message_post(
    *,
    room: Room,
    actor: Actor,
    username: str,
    text: str,
    client_id: str = "",
    reply_to: int | None = None,
    attachments: tuple[int, ...] = (),
) -> tuple[Message, bool]:
    """Store a message and send it to the room; return (message, created).

    `reply_to`: the id of a visible message of the same room it answers
    (`message_not_found` otherwise); its frames quote that message.
    The room hears `receive_message` after the commit, in `seq` order. A
    `client_id` the same guest already used returns the stored message
    unchanged (created False) and sends nothing, so a resend after a dropped
    connection never doubles a message. In a locked room only moderators may
    post (`room_locked`); slow mode spaces each member's messages
    (`rate_limited`), moderators exempt. In a direct conversation only its
    members write (`room_not_found`), never to someone in a 1:1 who blocked
    them (`blocked`), and the other members' streams hear the unread count.
    `attachments`: ids of this person's uploads for this room (attachments_bind);
    with them the text is an optional caption.
    """
    text = apply(rules.clean_caption if attachments else rules.clean_message_text, text)
    try:
        original = _original(room, reply_to)
    except ChatError:
        # A resend of a reply stored before its original was removed: the same answer as any resend.
        existing = _stored(actor, client_id)
        if existing is None:
            raise
        return existing, False
    try:
        with transaction.atomic():
            if room.is_direct:
                direct_check_post(room=room, actor=actor)
            slot = _next_seq(room.pk)
            moderator = slot.moderated_by(actor)
            if slot.locked and not moderator:
                raise ChatError(Code.ROOM_LOCKED)
            if slot.slow_mode and not moderator:
                throttle.slow_mode_check(room_id=room.pk, guest_key=actor.guest_key, seconds=slot.slow_mode)
            message = _new_message(room.pk, slot.seq, actor, username, text, client_id, original)
            message.save(force_insert=True)
            if attachments:
                message.attachment_list = attachments_bind(message=message, actor=actor, ids=list(attachments))
            events.to_room(room.pk, "receive_message", message_data(message, room.name), seq=slot.seq)
            preview_request(message=message)
            if room.is_direct:
                direct_announce(room=room, message=message)
            else:
                events.room_written(room.pk)
    except IntegrityError:
        existing = _stored(actor, client_id)
        if existing is None:
            raise
        return existing, False
    return message, True


def _stored(actor: Actor, client_id: str) -> Message | None:
    """The message this person already stored under `client_id`, if any."""
    return Message.objects.filter(author_key=actor.guest_key, client_id=client_id).first() if client_id else None


class _PostEach(Exception):
    """A batch that cannot be written in bulk: message_post_batch goes post by post."""


@dataclass(frozen=True)
class Post:
    """One message_post call, waiting in a batch."""

    room: Room
    actor: Actor
    username: str
    text: str
    client_id: str = ""
    reply_to: int | None = None
    attachments: tuple[int, ...] = ()


Result = tuple[Message, bool] | ChatError


def message_post_batch(*, posts: list[Post]) -> list[Result]:
    """Run several message_post calls in one transaction: one commit for all (group commit).

    Each post behaves exactly as message_post alone: one that is refused
    comes back as its ChatError and undoes nothing else. Results are in the
    order of `posts`. Rooms are locked in ascending id order (each room's
    posts keep their order), so two processes' batches cannot deadlock.
    Events go out after the commit. `PostQueue` batches the posts that arrive
    while the previous batch is being written (docs/performance.md).

    The batch first runs in bulk: one statement for every room's positions
    (two on PostgreSQL, which locks the rooms first), one INSERT for all the
    messages. If any post is refused or repeats a client_id, that is rolled
    back and the batch runs again post by post, with a savepoint around each.
    """
    if any(post.room.is_direct for post in posts):
        return _post_each(posts)  # a conversation's posts are checked and counted for its members one by one
    try:
        return _post_bulk(posts)
    except (ChatError, IntegrityError, _PostEach):
        return _post_each(posts)


def _post_bulk(posts: list[Post]) -> list[Result]:
    """All the posts or none; any refusal raises (message_post_batch then goes post by post)."""
    if not connection.features.can_return_rows_from_bulk_insert:
        raise _PostEach  # the INSERT would not tell us the new ids (SQLite before 3.35)
    if any(post.attachments for post in posts):
        raise _PostEach  # binding files locks their rows and may refuse: message_post does it, one by one
    by_room: dict[int, list[int]] = {}
    for index, post in enumerate(posts):
        by_room.setdefault(post.room.pk, []).append(index)
    texts = [apply(rules.clean_message_text, post.text) for post in posts]
    placed: list[tuple[int, Message]] = []
    with transaction.atomic():
        replied: dict[int, dict[int, Message]] = {}
        for room_id, indexes in by_room.items():
            wanted = {posts[i].reply_to for i in indexes if posts[i].reply_to is not None}
            replied[room_id] = originals = _originals(room_id, wanted)
            if len(originals) != len(wanted):
                raise _PostEach  # a reply to a message that is gone: message_post refuses that one alone
        slots = _next_seqs({room_id: len(indexes) for room_id, indexes in by_room.items()})
        for room_id in sorted(by_room):
            indexes, slot, originals = by_room[room_id], slots[room_id], replied[room_id]
            for offset, index in enumerate(indexes):
                post = posts[index]
                moderator = slot.moderated_by(post.actor)
                if slot.locked and not moderator:
                    raise ChatError(Code.ROOM_LOCKED)
                if slot.slow_mode and not moderator:
                    raise _PostEach  # slow mode writes the cache, which no rollback undoes
                original = originals.get(post.reply_to) if post.reply_to is not None else None
                message = _new_message(
                    room_id, slot.seq + offset, post.actor, post.username, texts[index], post.client_id, original
                )
                placed.append((index, message))
        _insert_messages([message for _, message in placed])
        results: list[Result] = [ChatError(Code.INTERNAL_ERROR)] * len(posts)
        for index, message in placed:  # by room, each room's in seq order
            events.to_room(
                message.room_id, "receive_message", message_data(message, posts[index].room.name), seq=message.seq
            )
            preview_request(message=message)
            results[index] = (message, True)
        for room_id in by_room:
            events.room_written(room_id)
    return results


def _post_each(posts: list[Post]) -> list[Result]:
    results: list[Result] = [ChatError(Code.INTERNAL_ERROR)] * len(posts)
    with transaction.atomic():
        for index in sorted(range(len(posts)), key=lambda i: posts[i].room.pk):
            post = posts[index]
            try:
                results[index] = message_post(
                    room=post.room,
                    actor=post.actor,
                    username=post.username,
                    text=post.text,
                    client_id=post.client_id,
                    reply_to=post.reply_to,
                    attachments=post.attachments,
                )
            except ChatError as error:
                results[index] = error
    return results


class PostQueue:
    """message_post for one server process's sockets, group-committed with whatever else it is posting.

    Posts that arrive while a batch is being written wait for the next one,
    so an idle server writes each message at once and a busy one pays one
    commit (one thread hop, one fsync) per batch instead of per message.
    A batch the database cannot take (an outage) answers each of its posts
    `unavailable`; nothing of it was announced, and the client sends each
    again with its client_id, which stores it once even if the failed commit
    did go through (the hub's housekeeping then refills the room).

    Admission control: at most POST_QUEUE_MAX posts wait for the next batch.
    Past saturation a queue without a bound only grows (every message waits
    longer than the last, and the process's memory with it), so a post
    beyond it is refused at once with `busy {retry_after}`: nothing was
    stored or announced, and the client sends the same again (same
    client_id) after retry_after. What is admitted keeps being written at
    the rate the database takes, so throughput levels off instead of falling.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.posts: list[tuple[Post, asyncio.Future]] = []
        self.task: asyncio.Task | None = None
        self.refused = 0  # posts answered `busy` since the process started (for bench/ and the logs)

    async def post(self, **post: Any) -> tuple[Message, bool]:
        """message_post(**post), in the next batch; `busy` when POST_QUEUE_MAX posts already wait."""
        if len(self.posts) >= settings.POST_QUEUE_MAX:
            self.refused += 1
            raise ChatError(Code.BUSY, retry_after=settings.POST_BUSY_RETRY_SECONDS)
        future = self.loop.create_future()
        self.posts.append((Post(**post), future))
        if self.task is None:
            self.task = self.loop.create_task(self._run(), name="post-queue")
        return await future

    async def _run(self) -> None:
        try:
            while self.posts:
                batch, self.posts = self.posts[:POST_BATCH], self.posts[POST_BATCH:]
                try:
                    results = await database_sync_to_async(message_post_batch)(posts=[p for p, _ in batch])
                except availability.DATABASE_OUTAGE as error:
                    availability.watch.failed("post", error)
                    results = [availability.unavailable() for _ in batch]  # one each: the consumer adds its client_id
                except Exception as error:
                    results = [error] * len(batch)
                else:
                    availability.watch.ok()
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue  # the socket went away meanwhile
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self.task = None
