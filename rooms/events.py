"""Tell open sockets what changed, once the change is committed.

Services call these functions inside their transaction; nothing is sent until
the transaction commits (`transaction.on_commit`), so no browser ever hears of
a row that was rolled back, and an admin's action travels exactly the way a
user's does. Each frame is encoded once here and fanned out as text by every
process's hub (rooms/hub.py).

Channel-layer messages:
  hub.room   {room, text, seq?, version?, stream?, exclude?}  to the sockets in one room
  hub.lobby  {text, room?, version?}                 to every socket
  hub.evict  {text, room?, guest?, user?, close?}    remove matching sockets
  hub.batch  {messages: [...]}                       several of the above, in order
                                                     (the hub's publisher, under load)
"""

import asyncio
import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

from rooms.protocol import encode

logger = logging.getLogger(__name__)

LOBBY_GROUP = "lobby"


def room_group(room_id: int) -> str:
    """Group names come from primary keys, never from what users type."""
    return f"room.{room_id}"


def to_room(
    room_id: int,
    event: str,
    data: dict[str, Any],
    *,
    seq: int | None = None,
    version: int | None = None,
    stream: str = "members",
    exclude: str | None = None,
) -> None:
    """Send `event` to everyone in the room (but the guest `exclude`) after commit.

    `seq` marks a chat message (gap-free per room). `version` marks a state
    snapshot in `stream` (the member list, the count), so a late, older
    snapshot never overwrites a newer one; in the stream "notices" (joined,
    left) it keeps a socket from announcing what its join already showed.
    """
    message = {"type": "hub.room", "room": room_id, "text": encode(event, data)}
    if seq is not None:
        message["seq"] = seq
    if version is not None:
        message["version"] = version
        message["stream"] = stream
    if exclude is not None:
        message["exclude"] = exclude
    _on_commit(room_group(room_id), message)


def to_lobby(event: str, data: dict[str, Any], *, room_id: int | None = None, version: int | None = None) -> None:
    """Send `event` to every connected socket, in a room or in the lobby, after commit."""
    message = {"type": "hub.lobby", "text": encode(event, data)}
    if room_id is not None:
        message["room"] = room_id
        message["version"] = version
    _on_commit(LOBBY_GROUP, message)


def evict(
    event: str,
    data: dict[str, Any],
    *,
    room_id: int | None = None,
    guest_key: str | None = None,
    user_id: int | None = None,
    close_code: int | None = None,
) -> None:
    """Remove matching sockets from their room (or, with close_code, close them) after commit.

    With room_id only: everyone in that room. With guest_key or user_id: that
    person's sockets, in that room or (room_id None) anywhere.
    """
    message: dict[str, Any] = {"type": "hub.evict", "text": encode(event, data)}
    for key, value in (("room", room_id), ("guest", guest_key), ("user", user_id), ("close", close_code)):
        if value is not None:
            message[key] = value
    _on_commit(LOBBY_GROUP, message)


def _on_commit(group: str, message: dict[str, Any]) -> None:
    transaction.on_commit(lambda: publish(group, message), robust=True)


def publish(group: str, message: dict[str, Any]) -> None:
    """Hand a message to the channel layer without blocking a database thread.

    Inside a server process the hub's publisher task sends it, in order; from a
    management command or a plain WSGI request there is no hub, so it is sent
    here and now.
    """
    from rooms import hub

    running = hub.current()
    if running is not None:
        if threading.get_ident() == running.thread_id:
            running.outbox.put_nowait((group, message))
        else:
            running.loop.call_soon_threadsafe(running.outbox.put_nowait, (group, message))
        return
    try:
        if hub.stopped():
            _publish_after_shutdown(group, message)
        else:
            async_to_sync(get_channel_layer().group_send)(group, message)
    except hub.LAYER_OUTAGE as error:
        # The database already holds the change; hubs reconcile from it.
        logger.warning("could not publish to %s: channel layer unavailable (%s)", group, error)
    except Exception:
        logger.warning("could not publish to %s", group, exc_info=True)


def _publish_after_shutdown(group: str, message: dict[str, Any]) -> None:
    """The server's event loop stopped (SIGTERM) while a disconnect handler was still leaving.

    async_to_sync would hand the send to that loop and wait for ever, so the
    process would hang instead of exiting. Other processes can still hear it
    through a shared layer, sent from a short-lived loop of this thread; an
    in-process layer has nobody left to tell.
    """
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return
    asyncio.run(asyncio.wait_for(layer.group_send(group, message), 2))
