"""Rooms, written: creating, finding one to join, lock, slow mode, title, close, reopen, clear, purge."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from chatsite import names
from rooms import events, policy, rules, throttle
from rooms.errors import ChatError, Code
from rooms.identity import Actor
from rooms.models import Attachment, Ban, LinkPreview, Message, Presence, Reaction, Room
from rooms.payloads import room_data
from rooms.selectors import active_ban, room_by_name, room_for_joining
from rooms.services.attachments import attachments_remove
from rooms.services.bans import banned_error
from rooms.services.changes import next_change_seq
from rooms.services.moderation import audit
from rooms.services.presence import lock_room
from rooms.services.previews import previews_remove
from rooms.services.rule import apply


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
    Past the creation limit (_creation_check) it is `room_limit`.
    """
    _creation_check(actor)
    for _ in range(20):
        code = rules.new_room_code()
        try:
            with transaction.atomic():
                room = Room.objects.create(
                    kind=Room.Kind.PRIVATE, name=code, title=f"Private room {code}", owner_key=actor.guest_key
                )
        except IntegrityError:
            continue  # that code is taken; draw another
        _creation_counted(actor)
        return room
    raise ChatError(Code.INTERNAL_ERROR, "Could not find a free room code; please try again.")


def room_create_named(*, name: str, actor: Actor) -> tuple[Room, bool]:
    """Return the open room called `name`, creating a public named room if there is none.

    Raises `invalid_room_name` for a name outside the rules. A new room is
    announced to every socket as `room_update` (0 users) and is owned by `actor`.
    Only creating counts towards the creation limit (`room_limit`, _creation_check):
    an existing room is returned whatever the count.
    """
    name = apply(rules.clean_room_name, name)
    existing = room_by_name(name=name)
    if existing is not None:
        return existing, False
    _creation_check(actor)
    try:
        with transaction.atomic():
            room = Room.objects.create(kind=Room.Kind.NAMED, name=name, title=name, owner_key=actor.guest_key)
            events.to_lobby("room_update", room_data(room, 0), room_id=room.pk, version=0)
    except IntegrityError:
        existing = Room.objects.filter(key=name.lower()).first()
        if existing is None or existing.closed_at is not None:
            raise ChatError(Code.INVALID_ROOM_NAME, "That room name cannot be used.") from None
        return existing, False
    _creation_counted(actor)
    return room, True


def _creation_check(actor: Actor) -> None:
    """ROOM_CREATE_LIMIT new rooms per window per person, ROOM_CREATE_ADDRESS_LIMIT per address; staff are not counted."""
    if not actor.is_staff:
        throttle.room_create_check(guest_key=actor.guest_key, ip=actor.ip)


def _creation_counted(actor: Actor) -> None:
    if not actor.is_staff:
        throttle.room_created(guest_key=actor.guest_key, ip=actor.ip)


def room_for_join(
    *, room_name: str, create: bool, actor: Actor, username: str | None = None, since_id: int | None = None
) -> Room:
    """The room a join asks for: by name or code, or a new named room if `create`.

    Unknown names count as guesses at private codes: past JOIN_MISS_LIMIT a
    minute per session or IP, an unknown name and a private code alike are
    `rate_limited` (so a guesser cannot tell a hit from a miss). Public rooms
    stay open to everyone behind that address: they are listed, nothing to
    guess. A banned actor gets `banned`. A direct conversation is found only
    by its members; for anyone else it is a room that does not exist, refused
    and counted exactly as one.

    The room comes with what presence_enter needs to know of the actor there
    (`room.joining`, selectors.JoinFacts: ban, membership, and whether
    `username` is another account's, and where a resume after `since_id` starts), all read in one statement.
    """
    username_key = names.name_key(username) if username else None
    room = room_for_joining(name=room_name, actor=actor, username_key=username_key, since_id=since_id)
    if room is not None and room.is_direct and room.joining.membership is None:
        room = None  # a conversation is only its members': to anyone else it does not exist
    if room is None or not room.is_public:
        throttle.guess_check(guest_key=actor.guest_key, ip=actor.ip)
    if room is None and create and not rules.looks_like_code(room_name):
        # A name shaped like a code is never created: asking for one is a guess like any other.
        room = room_create_named(name=room_name, actor=actor)[0]
    if room is None:
        throttle.guess_missed(guest_key=actor.guest_key, ip=actor.ip)
        raise ChatError(Code.ROOM_NOT_FOUND, "No room by that name or code.")
    facts = getattr(room, "joining", None)
    if facts is None:  # just created: nothing was read with it
        ban = active_ban(actor=actor, room=room)
    else:
        ban = Ban.objects.filter(pk=facts.ban_id).first() if facts.ban_id is not None else None
    if ban is not None:
        raise banned_error(ban)
    return room


def _announce_state(room: Room) -> None:
    events.to_room(
        room.pk, "room_state", {"room": room.name, "locked": room.locked, "slow_mode": room.slow_mode_seconds}
    )


def room_set_locked(*, room: Room, actor: Actor, locked: bool) -> Room:
    """Lock (read-only for all but moderators) or unlock a room; the room hears `room_state`."""
    policy.require_moderator(actor, room)
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
    policy.require_moderator(actor, room)
    seconds = apply(rules.clean_slow_mode, seconds)
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
    policy.require_staff(actor, "Only moderators can rename rooms.")
    title = apply(rules.clean_room_title, title)
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


def room_close(*, room: Room, actor: Actor, reason: str = "") -> Room:
    """Close a room for good (staff): members get `room_closed {room, reason}` and are removed.

    The room is archived, not deleted: its messages stay for moderators, it
    leaves the lobby (`room_removed`), and joining it is `room_not_found`.
    """
    policy.require_staff(actor, "Only moderators can close rooms.")
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
    policy.require_staff(actor, "Only moderators can reopen rooms.")
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
    policy.require_staff(actor, "Only moderators can clear a room's history.")
    with transaction.atomic():
        change = next_change_seq(room.pk)  # one change for all: a page that was away resyncs, or removes each
        count = Message.objects.filter(room_id=room.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now(), deleted_by="moderator", reactions_seq=change
        )
        Reaction.objects.filter(message__room_id=room.pk).delete()
        attachments_remove(queryset=Attachment.objects.filter(room_id=room.pk))
        previews_remove(queryset=LinkPreview.objects.filter(room_id=room.pk))
        events.to_room(room.pk, "history_cleared", {"room": room.name})
        audit(actor=actor, action="clear_history", room=room, detail=f"{count} messages")
    return count


def rooms_purge_empty() -> list[str]:
    """Delete empty rooms, with their messages: private ones after ROOM_EMPTY_GRACE_SECONDS,
    named ones after ROOM_IDLE_EXPIRY_SECONDS (0: never).

    Returns the names deleted. Topic rooms are never deleted, nor a room with
    anyone in it, nor a closed one (an archive for moderators). A private room
    someone re-entered within the grace (a page reload) is kept; "idle" is
    `last_active_at`, stamped by every leave and every message.
    """
    now = timezone.now()
    private_cutoff = now - timedelta(seconds=settings.ROOM_EMPTY_GRACE_SECONDS)
    expired = Q(kind=Room.Kind.PRIVATE, last_active_at__lt=private_cutoff)
    if settings.ROOM_IDLE_EXPIRY_SECONDS:
        named_cutoff = now - timedelta(seconds=settings.ROOM_IDLE_EXPIRY_SECONDS)
        expired |= Q(kind=Room.Kind.NAMED, last_active_at__lt=named_cutoff)
    candidates = Room.objects.filter(expired, closed_at__isnull=True, presences__isnull=True)
    deleted = []
    for room in candidates:
        with transaction.atomic():
            if lock_room(room.pk) is None or room.presences.exists():
                continue
            fresh = Room.objects.filter(expired, pk=room.pk).first()
            if fresh is None:
                continue
            attachments_remove(queryset=Attachment.objects.filter(room_id=fresh.pk))  # the rows cascade; the files not
            previews_remove(queryset=LinkPreview.objects.filter(room_id=fresh.pk))  # nor the cards' pictures
            fresh.delete()
            if fresh.is_public:
                events.to_lobby("room_removed", {"name": fresh.name})
            deleted.append(fresh.name)
    return deleted
