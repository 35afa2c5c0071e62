"""Tell open sockets what changed, once the change is committed.

Services call these functions inside their transaction; nothing is sent until
the transaction commits (`transaction.on_commit`), so no browser ever hears of
a row that was rolled back, and an admin's action travels exactly the way a
user's does. Each frame is encoded once here and handed to the bus
(rooms/realtime/bus.py), which every process's hub fans out as text.
"""

from typing import Any

from django.db import transaction

from rooms.payloads import encode
from rooms.realtime import bus
from rooms.realtime.bus import (
    COUNT,
    MEMBERS,
    NOTICES,
    EvictMessage,
    HubMessage,
    IdentifyMessage,
    LobbyMessage,
    PersonMessage,
    RenameMessage,
    RoomMessage,
)

__all__ = [
    "COUNT",
    "MEMBERS",
    "NOTICES",
    "evict",
    "identify",
    "rename",
    "room_written",
    "to_lobby",
    "to_person",
    "to_room",
]


def to_room(
    room_id: int,
    event: str,
    data: dict[str, Any],
    *,
    seq: int | None = None,
    version: int | None = None,
    stream: str = MEMBERS,
    exclude: str | None = None,
    coalesce: str | None = None,
    rank: int | None = None,
) -> None:
    """Send `event` to everyone in the room (but the guest `exclude`) after commit.

    `seq` marks a chat message (gap-free per room). `version` marks a state
    snapshot in `stream` (the member list, the count), so a late, older
    snapshot never overwrites a newer one; in the stream NOTICES (joined,
    left) it keeps a socket from announcing what its join already showed.
    `coalesce` names a whole state (one message's reactions) of which the hub
    may send only the newest (highest `rank`) of a burst.
    """
    message: RoomMessage = {"type": "hub.room", "room": room_id, "text": encode(event, data)}
    if seq is not None:
        message["seq"] = seq
    if version is not None:
        message["version"] = version
        message["stream"] = stream
    if exclude is not None:
        message["exclude"] = exclude
    if coalesce is not None:
        message["coalesce"] = coalesce
        message["rank"] = rank or 0
    _on_commit(bus.room_group(room_id), message)


def to_lobby(event: str, data: dict[str, Any], *, room_id: int | None = None, version: int | None = None) -> None:
    """Send `event` to every connected socket, in a room or in the lobby, after commit."""
    message: LobbyMessage = {"type": "hub.lobby", "text": encode(event, data)}
    if room_id is not None:
        message["room"] = room_id
        message["version"] = version
    _on_commit(bus.LOBBY_GROUP, message)


def evict(
    event: str,
    data: dict[str, Any],
    *,
    room_id: int | None = None,
    guest_key: str | None = None,
    user_id: int | None = None,
    session_key: str | None = None,
    close_code: int | None = None,
) -> None:
    """Remove matching sockets from their room (or, with close_code, close them) after commit.

    With room_id only: everyone in that room. With guest_key or user_id: that
    person's sockets, in that room or (room_id None) anywhere. With
    session_key: the sockets opened with that session (one browser's tabs).
    """
    message: EvictMessage = {"type": "hub.evict", "text": encode(event, data)}
    if room_id is not None:
        message["room"] = room_id
    if guest_key is not None:
        message["guest"] = guest_key
    if user_id is not None:
        message["user"] = user_id
    if session_key is not None:
        message["session"] = session_key
    if close_code is not None:
        message["close"] = close_code
    _on_commit(bus.LOBBY_GROUP, message)


def rename(room_id: int, guest_key: str, username: str, event: str, data: dict[str, Any], *, source: str) -> None:
    """This guest's sockets in the room but `source` speak as `username` from now on and hear `event`, after commit."""
    message: RenameMessage = {
        "type": "hub.rename",
        "room": room_id,
        "guest": guest_key,
        "username": username,
        "text": encode(event, data),
        "source": source,
    }
    _on_commit(bus.room_group(room_id), message)


def identify(
    guest_key: str,
    *,
    person_key: str,
    user_id: int,
    is_staff: bool,
    user_name: str,
    names: dict[str, str],
    session_key: str | None,
    avatar: str = "",
) -> None:
    """The sockets of guest `guest_key` act as the account `person_key` from now on, after commit.

    `names` ({room id: display name}): in those rooms they speak under the account's name there.
    Sent with the account's own key as `guest_key` too, when its avatar changes.
    """
    message: IdentifyMessage = {
        "type": "hub.identify",
        "guest": guest_key,
        "person": person_key,
        "user": user_id,
        "staff": is_staff,
        "name": user_name,
        "names": names,
        "avatar": avatar,
    }
    if session_key:
        message["session"] = session_key
    _on_commit(bus.LOBBY_GROUP, message)


def to_person(person_key: str, event: str, data: dict[str, Any], *, skip_room: int | None = None) -> None:
    """Send `event` to every socket of one person, wherever they are, after commit: their own stream.

    With `skip_room`, their sockets showing that room do not hear it (they hear the room's own frames).
    """
    group = bus.person_group(person_key)
    message: PersonMessage = {"type": "hub.person", "person": group, "text": encode(event, data)}
    if skip_room is not None:
        message["room"] = skip_room
    _on_commit(group, message)


def room_written(room_id: int) -> None:
    """A message was stored in a public or private room: once committed, its absent members' unread counts
    are due (the hub gathers them, rooms/realtime/unread.py; services.rooms_unread_announce sends them)."""
    transaction.on_commit(lambda: bus.written(room_id), robust=True)


def _on_commit(group: str, message: HubMessage) -> None:
    transaction.on_commit(lambda: bus.publish(group, message), robust=True)
