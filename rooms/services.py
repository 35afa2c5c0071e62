"""The actions of chatsite, one function each.

The consumer, the views, the admin and the management commands all call these;
nothing else writes rooms or messages. Each function validates, writes inside a
transaction, and announces the change through rooms/events.py, which sends
only after the commit. Presence (join, leave, sweep, purge) lives beside these
in rooms/presence.py.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from rooms import events
from rooms.identity import Actor
from rooms.models import Message, Room, clean_room_name, new_room_code
from rooms.protocol import ChatError, Code, message_data, room_data
from rooms.selectors import room_by_name


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
    """The room a `join_room` asks for: by name or code, or a new named room if `create`."""
    room = room_by_name(name=room_name)
    if room is not None:
        return room
    if create:
        return room_create_named(name=room_name, actor=actor)[0]
    raise ChatError(Code.ROOM_NOT_FOUND, "No room by that name or code.")


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


def _next_seq(room_id: int) -> int:
    """Take the room's next message position under its row lock (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Room._meta.db_table} SET last_seq = last_seq + 1, last_active_at = %s "
            "WHERE id = %s AND closed_at IS NULL RETURNING last_seq",
            [timezone.now(), room_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise ChatError(Code.ROOM_NOT_FOUND, "This room has been closed.")
    return row[0]


def message_post(*, room: Room, actor: Actor, username: str, text: str, client_id: str = "") -> tuple[Message, bool]:
    """Store a message and send it to the room; return (message, created).

    The room hears `receive_message` after the commit, in `seq` order. A
    `client_id` the same guest already used returns the stored message
    unchanged (created False) and sends nothing, so a resend after a dropped
    connection never doubles a message.
    """
    text = clean_message_text(text)
    try:
        with transaction.atomic():
            seq = _next_seq(room.pk)
            message = Message.objects.create(
                room_id=room.pk,
                seq=seq,
                author_key=actor.guest_key,
                author_user_id=actor.user_id,
                username=username,
                text=text,
                client_id=client_id,
            )
            events.to_room(room.pk, "receive_message", message_data(message, room.name), seq=seq)
    except IntegrityError:
        existing = (
            Message.objects.filter(author_key=actor.guest_key, client_id=client_id).first() if client_id else None
        )
        if existing is None:
            raise
        return existing, False
    return message, True
