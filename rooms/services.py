"""The actions of chatsite, one function each.

The consumer, the views, the admin and the management commands all call these;
nothing else writes rooms or messages. Each function validates, writes inside a
transaction, and announces the change through rooms/events.py, which sends
only after the commit. Presence (join, leave, sweep, purge) lives beside these
in rooms/presence.py.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from rooms import events, throttle
from rooms.identity import Actor
from rooms.models import (
    CONTROL_CHARS_RE,
    AuditEntry,
    Ban,
    Message,
    Presence,
    Room,
    clean_room_name,
    new_room_code,
)
from rooms.presence import presence_remove
from rooms.protocol import ChatError, Code, message_data, room_data, timestamp
from rooms.selectors import active_ban, room_by_name

CLOSE_BANNED = 4003


def _chat_error(error: ValidationError) -> ChatError:
    return ChatError(error.code or Code.BAD_FRAME, error.messages[0])


def topic_rooms_ensure() -> None:
    """Create any configured topic room that does not exist yet (run after migrate)."""
    for name in settings.TOPIC_ROOMS:
        Room.objects.get_or_create(
            key=name.lower(), defaults={"kind": Room.Kind.TOPIC, "name": name.lower(), "title": name.title()}
        )


def room_create_private(*, actor: Actor) -> Room:
    """Create a private room with a fresh random code, owned by `actor`.

    Only holders of the code can find it; it is deleted once it has been empty
    for ROOM_EMPTY_GRACE_SECONDS. Announces nothing: nobody else may know it.
    """
    for _ in range(20):
        code = new_room_code()
        try:
            with transaction.atomic():
                return Room.objects.create(
                    kind=Room.Kind.PRIVATE, name=code, title=f"Private room {code}", owner_key=actor.guest_key
                )
        except IntegrityError:
            continue  # that code is taken; draw another
    raise ChatError(Code.INTERNAL_ERROR, "Could not find a free room code; please try again.")


def room_create_named(*, name: str, actor: Actor) -> tuple[Room, bool]:
    """Return the open room called `name`, creating a public named room if there is none.

    Raises `invalid_room_name` for a name outside the rules. A new room is
    announced to every socket as `room_update` (0 users) and is owned by `actor`.
    """
    try:
        name = clean_room_name(name)
    except ValidationError as error:
        raise _chat_error(error) from None
    existing = room_by_name(name=name)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            room = Room.objects.create(kind=Room.Kind.NAMED, name=name, title=name, owner_key=actor.guest_key)
            events.to_lobby("room_update", room_data(room, 0), room_id=room.pk, version=0)
    except IntegrityError:
        existing = Room.objects.filter(key=name.lower()).first()
        if existing is None or existing.closed_at is not None:
            raise ChatError(Code.INVALID_ROOM_NAME, "That room name cannot be used.") from None
        return existing, False
    return room, True


def room_for_join(*, room_name: str, create: bool, actor: Actor) -> Room:
    """The room a join asks for: by name or code, or a new named room if `create`.

    Unknown names count as guesses at private codes: past JOIN_MISS_LIMIT a
    minute per session or IP they are `rate_limited`. A banned actor gets
    `banned`.
    """
    throttle.guess_check(guest_key=actor.guest_key, ip=actor.ip)
    room = room_by_name(name=room_name)
    if room is None and create:
        room = room_create_named(name=room_name, actor=actor)[0]
    if room is None:
        throttle.guess_missed(guest_key=actor.guest_key, ip=actor.ip)
        raise ChatError(Code.ROOM_NOT_FOUND, "No room by that name or code.")
    ban = active_ban(actor=actor, room=room)
    if ban is not None:
        raise _banned(ban)
    return room


def _banned(ban: Ban) -> ChatError:
    where = "this room" if ban.room_id else "chatsite"
    until = f" until {ban.until:%Y-%m-%d %H:%M} UTC" if ban.until else ""
    reason = f" ({ban.reason})" if ban.reason else ""
    return ChatError(Code.BANNED, f"You are banned from {where}{until}{reason}.", until=timestamp(ban.until))


def can_moderate(actor: Actor, room: Room) -> bool:
    """Staff moderate every room; a guest moderates the room their session created."""
    return _moderates(actor, room.owner_key)


def _moderates(actor: Actor, owner_key: str) -> bool:
    return actor.is_staff or (bool(owner_key) and owner_key == actor.guest_key)


def _require_moderator(actor: Actor, room: Room) -> None:
    if not can_moderate(actor, room):
        raise ChatError(Code.FORBIDDEN, "Only the room's owner or a moderator can do that.")


def audit(*, actor: Actor, action: str, room: Room | None = None, target: str = "", detail: str = "") -> None:
    """Record a moderator action in the audit log."""
    AuditEntry.objects.create(
        actor=actor.label, action=action, room=room.name if room else "", target=target[:200], detail=detail
    )


def clean_message_text(text: str) -> str:
    """Message text as stored: trailing whitespace trimmed, never blank, never too long."""
    text = text.rstrip()
    if not text.strip():
        raise ChatError(Code.INVALID_MESSAGE)
    if len(text) > settings.MAX_MESSAGE_LENGTH:
        raise ChatError(
            Code.MESSAGE_TOO_LONG,
            f"Messages are limited to {settings.MAX_MESSAGE_LENGTH} characters.",
            max_length=settings.MAX_MESSAGE_LENGTH,
        )
    return text


@dataclass(frozen=True)
class _Slot:
    seq: int
    locked: bool
    slow_mode: int
    owner_key: str

    def moderated_by(self, actor: Actor) -> bool:
        """Staff, or the room's owner (can_moderate, as of this slot): exempt from its lock and slow mode."""
        return _moderates(actor, self.owner_key)


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


def message_post(*, room: Room, actor: Actor, username: str, text: str, client_id: str = "") -> tuple[Message, bool]:
    """Store a message and send it to the room; return (message, created).

    The room hears `receive_message` after the commit, in `seq` order. A
    `client_id` the same guest already used returns the stored message
    unchanged (created False) and sends nothing, so a resend after a dropped
    connection never doubles a message. In a locked room only moderators may
    post (`room_locked`); slow mode spaces each member's messages
    (`rate_limited`), moderators exempt.
    """
    text = clean_message_text(text)
    try:
        with transaction.atomic():
            slot = _next_seq(room.pk)
            moderator = slot.moderated_by(actor)
            if slot.locked and not moderator:
                raise ChatError(Code.ROOM_LOCKED)
            if slot.slow_mode and not moderator:
                throttle.slow_mode_check(room_id=room.pk, guest_key=actor.guest_key, seconds=slot.slow_mode)
            message = Message.objects.create(
                room_id=room.pk,
                seq=slot.seq,
                author_key=actor.guest_key,
                author_user_id=actor.user_id,
                username=username,
                text=text,
                client_id=client_id,
            )
            events.to_room(room.pk, "receive_message", message_data(message, room.name), seq=slot.seq)
    except IntegrityError:
        existing = (
            Message.objects.filter(author_key=actor.guest_key, client_id=client_id).first() if client_id else None
        )
        if existing is None:
            raise
        return existing, False
    return message, True


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


def message_post_batch(*, posts: list[Post]) -> list[tuple[Message, bool] | ChatError]:
    """Run several message_post calls in one transaction: one commit for all (group commit).

    Each post behaves exactly as message_post alone: one that is refused
    comes back as its ChatError and undoes nothing else. Results are in the
    order of `posts`. Rooms are locked in ascending id order (each room's
    posts keep their order), so two processes' batches cannot deadlock.
    Events go out after the commit. The hub batches the posts that arrive
    while the previous batch is being written (docs/performance.md).

    The batch first runs in bulk: one statement per room for the positions,
    one INSERT for all the messages. If any post is refused or repeats a
    client_id, that is rolled back and the batch runs again post by post,
    with a savepoint around each.
    """
    try:
        return _post_bulk(posts)
    except (ChatError, IntegrityError, _PostEach):
        return _post_each(posts)


def _post_bulk(posts: list[Post]) -> list[tuple[Message, bool] | ChatError]:
    """All the posts or none; any refusal raises (message_post_batch then goes post by post)."""
    if not connection.features.can_return_rows_from_bulk_insert:
        raise _PostEach  # the INSERT would not tell us the new ids (SQLite before 3.35)
    by_room: dict[int, list[int]] = {}
    for index, post in enumerate(posts):
        by_room.setdefault(post.room.pk, []).append(index)
    texts = [clean_message_text(post.text) for post in posts]
    placed: list[tuple[int, Message]] = []
    with transaction.atomic():
        for room_id in sorted(by_room):
            indexes = by_room[room_id]
            slot = _next_seq(room_id, len(indexes))
            for offset, index in enumerate(indexes):
                post = posts[index]
                moderator = slot.moderated_by(post.actor)
                if slot.locked and not moderator:
                    raise ChatError(Code.ROOM_LOCKED)
                if slot.slow_mode and not moderator:
                    raise _PostEach  # slow mode writes the cache, which no rollback undoes
                message = Message(
                    room_id=room_id,
                    seq=slot.seq + offset,
                    author_key=post.actor.guest_key,
                    author_user_id=post.actor.user_id,
                    username=post.username,
                    text=texts[index],
                    client_id=post.client_id,
                )
                placed.append((index, message))
        Message.objects.bulk_create([message for _, message in placed])
        results: list[tuple[Message, bool] | ChatError] = [ChatError(Code.INTERNAL_ERROR)] * len(posts)
        for index, message in placed:  # by room, each room's in seq order
            events.to_room(
                message.room_id, "receive_message", message_data(message, posts[index].room.name), seq=message.seq
            )
            results[index] = (message, True)
    return results


def _post_each(posts: list[Post]) -> list[tuple[Message, bool] | ChatError]:
    results: list[tuple[Message, bool] | ChatError] = [ChatError(Code.INTERNAL_ERROR)] * len(posts)
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
                )
            except ChatError as error:
                results[index] = error
    return results


def _is_author(actor: Actor, message: Message) -> bool:
    return message.author_key == actor.guest_key or (
        actor.user_id is not None and message.author_user_id == actor.user_id
    )


def _message_for_update(message_id: int, room_id: int | None) -> Message:
    query = Message.objects.select_for_update().select_related("room").filter(pk=message_id, deleted_at__isnull=True)
    if room_id is not None:
        query = query.filter(room_id=room_id)
    message = query.first()
    if message is None:
        raise ChatError(Code.MESSAGE_NOT_FOUND)
    return message


def message_edit(*, message_id: int, room: Room, actor: Actor, text: str) -> Message:
    """Change the text of one's own message within EDIT_WINDOW_SECONDS.

    The room hears `message_updated {id, room, text, edited_at}`. Someone
    else's message is `forbidden`, whatever display name they use.
    """
    text = clean_message_text(text)
    with transaction.atomic():
        message = _message_for_update(message_id, room.pk)
        if not _is_author(actor, message):
            raise ChatError(Code.FORBIDDEN, "You can only edit your own messages.")
        if timezone.now() - message.created_at > timedelta(seconds=settings.EDIT_WINDOW_SECONDS):
            raise ChatError(Code.EDIT_WINDOW_CLOSED)
        message.text, message.edited_at = text, timezone.now()
        message.save(update_fields=["text", "edited_at"])
        events.to_room(
            room.pk,
            "message_updated",
            {"id": message.pk, "room": room.name, "text": text, "edited_at": timestamp(message.edited_at)},
        )
    return message


def message_delete(*, message_id: int, actor: Actor, room: Room | None = None) -> Message:
    """Remove a message: its author, the room's owner or staff may.

    It stays out of history from now on, and every open page hears
    `message_deleted {id, room, by}` (`by` is "author", "owner" or
    "moderator", so pages can show "removed by a moderator").
    """
    with transaction.atomic():
        message = _message_for_update(message_id, room.pk if room else None)
        if _is_author(actor, message):
            by = "author"
        elif can_moderate(actor, message.room):
            by = "moderator" if actor.is_staff else "owner"
        else:
            raise ChatError(Code.FORBIDDEN, "You can only delete your own messages.")
        message.deleted_at, message.deleted_by = timezone.now(), by
        message.save(update_fields=["deleted_at", "deleted_by"])
        events.to_room(message.room_id, "message_deleted", {"id": message.pk, "room": message.room.name, "by": by})
        if by != "author":
            audit(
                actor=actor,
                action="delete_message",
                room=message.room,
                target=f"message {message.pk}",
                detail=message.text,
            )
    return message


def _announce_state(room: Room) -> None:
    events.to_room(
        room.pk, "room_state", {"room": room.name, "locked": room.locked, "slow_mode": room.slow_mode_seconds}
    )


def room_set_locked(*, room: Room, actor: Actor, locked: bool) -> Room:
    """Lock (read-only for all but moderators) or unlock a room; the room hears `room_state`."""
    _require_moderator(actor, room)
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room.pk)
        if room.locked != locked:
            room.locked = locked
            room.save(update_fields=["locked"])
            _announce_state(room)
            audit(actor=actor, action="lock_room" if locked else "unlock_room", room=room)
    return room


def room_set_slow_mode(*, room: Room, actor: Actor, seconds: int) -> Room:
    """Allow each member one message per `seconds` (0 turns it off); the room hears `room_state`."""
    _require_moderator(actor, room)
    if not 0 <= seconds <= settings.SLOW_MODE_MAX_SECONDS:
        raise ChatError(Code.BAD_FRAME, f"Slow mode takes 0 to {settings.SLOW_MODE_MAX_SECONDS} seconds.")
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room.pk)
        if room.slow_mode_seconds != seconds:
            room.slow_mode_seconds = seconds
            room.save(update_fields=["slow_mode_seconds"])
            _announce_state(room)
            audit(actor=actor, action="slow_mode", room=room, detail=f"{seconds} s")
    return room


def room_set_title(*, room: Room, actor: Actor, title: str) -> Room:
    """Rename a room's title (staff); the name or code stays, so links keep working.

    A public room's new title reaches every socket as `room_update`; a private
    room's only its members.
    """
    if not actor.is_staff:
        raise ChatError(Code.FORBIDDEN, "Only moderators can rename rooms.")
    title = " ".join(title.split())
    if not title or len(title) > Room._meta.get_field("title").max_length or CONTROL_CHARS_RE.search(title):
        raise ChatError(Code.INVALID_ROOM_NAME, "A room title is 1 to 64 characters, without control characters.")
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room.pk)
        if room.title != title:
            before, room.title = room.title, title
            room.save(update_fields=["title"])
            update = room_data(room, Presence.objects.filter(room_id=room.pk).count())
            if room.is_public:
                events.to_lobby("room_update", update, room_id=room.pk, version=room.presence_version)
            else:
                events.to_room(room.pk, "room_update", update)
            audit(actor=actor, action="rename_room", room=room, detail=f"{before} -> {title}")
    return room


def member_kick(*, room: Room, actor: Actor, username: str) -> str:
    """Remove a member from the room; they may not return for KICK_BAN_SECONDS.

    Their sockets get `kicked {room, reason}` and leave the room (staying
    connected); the room hears "<name> was removed". Returns the name.
    """
    _require_moderator(actor, room)
    target = Presence.objects.filter(room_id=room.pk, username_key=username.strip().casefold()).first()
    if target is None:
        raise ChatError(Code.MEMBER_NOT_FOUND)
    if target.guest_key == actor.guest_key:
        raise ChatError(Code.FORBIDDEN, "You cannot kick yourself.")
    until = timezone.now() + timedelta(seconds=settings.KICK_BAN_SECONDS) if settings.KICK_BAN_SECONDS else None
    with transaction.atomic():
        if until is not None:
            Ban.objects.create(
                guest_key=target.guest_key, room=room, until=until, reason="kicked", created_by=actor.label
            )
        name = presence_remove(room=room, guest_key=target.guest_key, text="{username} was removed")
        events.evict(
            "kicked",
            {"room": room.name, "reason": "You were removed from this room by its owner or a moderator."},
            room_id=room.pk,
            guest_key=target.guest_key,
        )
        audit(actor=actor, action="kick", room=room, target=target.username)
    return name or target.username


def room_close(*, room: Room, actor: Actor, reason: str = "") -> Room:
    """Close a room for good (staff): members get `room_closed {room, reason}` and are removed.

    The room is archived, not deleted: its messages stay for moderators, it
    leaves the lobby (`room_removed`), and joining it is `room_not_found`.
    """
    if not actor.is_staff:
        raise ChatError(Code.FORBIDDEN, "Only moderators can close rooms.")
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room.pk)
        if room.closed_at is not None:
            return room
        room.closed_at = timezone.now()
        room.save(update_fields=["closed_at"])
        Presence.objects.filter(room_id=room.pk).delete()
        events.evict("room_closed", {"room": room.name, "reason": reason or "closed by a moderator"}, room_id=room.pk)
        if room.is_public:
            events.to_lobby("room_removed", {"name": room.name})
        audit(actor=actor, action="close_room", room=room, detail=reason)
    return room


def room_reopen(*, room: Room, actor: Actor) -> Room:
    """Open a closed room again (staff), with the history it had: closing is an archive, not a shredder.

    A public room is back in every lobby (`room_update`, 0 users). Its empty-room
    grace period starts afresh, so a reopened private room is not purged at once.
    """
    if not actor.is_staff:
        raise ChatError(Code.FORBIDDEN, "Only moderators can reopen rooms.")
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room.pk)
        if room.closed_at is None:
            return room
        room.closed_at, room.last_active_at = None, timezone.now()
        room.save(update_fields=["closed_at", "last_active_at"])
        if room.is_public:
            events.to_lobby("room_update", room_data(room, 0), room_id=room.pk, version=room.presence_version)
        audit(actor=actor, action="reopen_room", room=room)
    return room


def room_clear_history(*, room: Room, actor: Actor) -> int:
    """Remove every message of a room (staff); open pages hear `history_cleared {room}`."""
    if not actor.is_staff:
        raise ChatError(Code.FORBIDDEN, "Only moderators can clear a room's history.")
    with transaction.atomic():
        count = Message.objects.filter(room_id=room.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now(), deleted_by="moderator"
        )
        events.to_room(room.pk, "history_cleared", {"room": room.name})
        audit(actor=actor, action="clear_history", room=room, detail=f"{count} messages")
    return count


def ban_create(
    *,
    actor: Actor,
    guest_key: str = "",
    user_id: int | None = None,
    room: Room | None = None,
    until: datetime | None = None,
    reason: str = "",
) -> Ban:
    """Ban a guest or a user from one room or the whole site (staff), effective at once.

    A room ban removes them from that room (`kicked`); a site ban also closes
    every socket of theirs after `error banned` (close code 4003, so clients
    do not reconnect). Their later joins are `banned`.
    """
    if not actor.is_staff:
        raise ChatError(Code.FORBIDDEN, "Only moderators can ban.")
    ban = Ban(guest_key=guest_key, user_id=user_id, room=room, until=until, reason=reason, created_by=actor.label)
    ban.full_clean()
    with transaction.atomic():
        ban.save()
        rooms = [room] if room else list(Room.objects.filter(presences__guest_key=guest_key)) if guest_key else []
        for each in rooms:
            presence_remove(room=each, guest_key=guest_key, text="{username} was removed")
        notice = _banned(ban)
        if room is not None:
            events.evict(
                "kicked",
                {"room": room.name, "reason": notice.message},
                room_id=room.pk,
                guest_key=guest_key or None,
                user_id=user_id,
            )
        else:
            events.evict(
                "error", notice.as_data(), guest_key=guest_key or None, user_id=user_id, close_code=CLOSE_BANNED
            )
        audit(actor=actor, action="ban", room=room, target=str(ban), detail=reason)
    return ban


def ban_lift(*, ban: Ban, actor: Actor) -> None:
    """Lift a ban (staff)."""
    if not actor.is_staff:
        raise ChatError(Code.FORBIDDEN, "Only moderators can lift bans.")
    with transaction.atomic():
        audit(actor=actor, action="unban", room=ban.room, target=str(ban))
        ban.delete()


def typing_notify(*, room: Room, actor: Actor, username: str) -> None:
    """Tell the others in the room that `username` is typing. Never stored."""
    events.to_room(room.pk, "typing", {"room": room.name, "username": username}, exclude=actor.guest_key)
