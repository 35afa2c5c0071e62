"""The seam between domain code and the process hub: what travels, and `publish()`.

rooms/events.py builds these messages and calls `publish()` once the
transaction commits; the hub of a server process `install()`s itself as the
sink when it starts, so domain code never imports the hub. Without a hub (a
management command, a WSGI request, a test without sockets) a message goes
straight to the channel layer.

Channel-layer messages:
  hub.room   {room, text, seq?, version?, stream?, exclude?, coalesce?, rank?}  to the sockets in one room
  hub.lobby  {text, room?, version?}                 to every socket
  hub.evict  {text, room?, guest?, user?, session?, close?}  remove matching sockets
  hub.identify {guest, person, user, staff, name, names}  a guest's sockets now act as their account
  hub.rename {room, guest, username, text, source}   one person's other sockets in a room take a new name
  hub.person {person, text, room?}                   to every socket of one person (their own group),
                                                     but those showing `room`
  hub.batch  {messages: [...]}                       several of the above, in order
                                                     (the hub's publisher, under load)

Not a channel-layer message: `written(room_id)`, a message committed in a
public or private room, goes only to this process's hub, which gathers its
members' unread counts (rooms/realtime/unread.py).
"""

import asyncio
import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Literal, NotRequired, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from rooms.realtime.outages import LAYER_OUTAGE

logger = logging.getLogger(__name__)

LOBBY_GROUP = "lobby"
# Streams of versioned state in a room (hub.room `stream`): a late, older snapshot never overwrites a newer one.
MEMBERS = "members"  # the member list
COUNT = "count"  # a private room's count
NOTICES = "notices"  # joined / left: each stands alone; only those from before a socket's join are stale


def room_group(room_id: int) -> str:
    """Group names come from primary keys, never from what users type."""
    return f"room.{room_id}"


def person_group(person_key: str) -> str:
    """One group per person, named by a hash of their key: group names never carry a key or a name.

    A guest's key is what their session cookie stands for, so it never goes to
    the channel layer (Redis) as a name anyone listing groups could read.
    """
    return "person." + hashlib.sha256(b"person:" + person_key.encode()).hexdigest()[:40]


class RoomMessage(TypedDict):
    type: Literal["hub.room"]
    room: int
    text: str
    seq: NotRequired[int]  # a chat message: gap-free per room
    version: NotRequired[int]
    stream: NotRequired[str]
    exclude: NotRequired[str]  # a guest key whose own sockets skip it
    coalesce: NotRequired[str]  # a whole state (one message's reactions): within a burst only the newest goes out
    rank: NotRequired[int]  # which of those is newest


class LobbyMessage(TypedDict):
    type: Literal["hub.lobby"]
    text: str
    room: NotRequired[int]  # a public room's count update: coalesced, newest version wins
    version: NotRequired[int | None]


class EvictMessage(TypedDict):
    type: Literal["hub.evict"]
    text: str
    room: NotRequired[int]
    guest: NotRequired[str]
    user: NotRequired[int]
    session: NotRequired[str]
    close: NotRequired[int]


class IdentifyMessage(TypedDict):
    type: Literal["hub.identify"]
    guest: str
    person: str
    user: int
    staff: bool
    name: str
    names: dict[str, str]  # room id → the display name the account has there
    session: NotRequired[str]  # the browser's session key after login
    avatar: NotRequired[str]  # the account's avatar stem (chatsite/accounts/avatars.py), "" for none


class RenameMessage(TypedDict):
    type: Literal["hub.rename"]
    room: int
    guest: str
    username: str
    text: str
    source: str  # the connection that took the name, which knows it already


class PersonMessage(TypedDict):
    type: Literal["hub.person"]
    person: str  # person_group() of whom it is for
    text: str
    room: NotRequired[int]  # sockets showing this room skip it (they hear the room itself)


class BatchMessage(TypedDict):
    type: Literal["hub.batch"]
    messages: list["HubMessage"]


HubMessage = RoomMessage | LobbyMessage | EvictMessage | IdentifyMessage | RenameMessage | PersonMessage | BatchMessage

PUBLISH_BATCH = 200  # most messages in one channel-layer send


def batched(waiting: list[tuple[str, HubMessage]]) -> tuple[str, HubMessage]:
    """Messages waiting to be published (at most PUBLISH_BATCH), as one channel-layer send, in order.

    One message alone goes as itself. Several go as one `hub.batch`: to their
    group when all are for one group, else to the lobby group, which every hub
    subscribes to (a hub drops what is for rooms it has no socket in).
    """
    if len(waiting) == 1:
        return waiting[0]
    groups = {group for group, _ in waiting}
    group = groups.pop() if len(groups) == 1 else LOBBY_GROUP
    return group, {"type": "hub.batch", "messages": [message for _, message in waiting]}


Sink = Callable[[str, HubMessage], None]

WrittenSink = Callable[[int], None]

_installed: tuple[Sink, asyncio.AbstractEventLoop, int] | None = None
_written: WrittenSink | None = None


def install(sink: Sink, written: WrittenSink | None = None) -> None:
    """Called by the hub, on its event loop, once it runs: from now on `publish` hands messages to `sink` there,
    and `written` (its unread counts, rooms/realtime/unread.py) hears which rooms got a message."""
    global _installed, _written
    _installed = (sink, asyncio.get_running_loop(), threading.get_ident())
    _written = written


def written(room_id: int) -> None:
    """A message was committed in a public or private room: this process's hub gathers its unread counts.

    Never a channel-layer message: only the process that wrote it announces
    the counts, once per window for all the rooms written in. Without a hub (a
    management command) nothing is said: counts come with `inbox` and `mark_read`.
    """
    installed, sink = _installed, _written
    if installed is None or sink is None:
        return
    loop, thread_id = installed[1], installed[2]
    try:
        if loop.is_closed() or not loop.is_running():
            return
        if threading.get_ident() == thread_id:
            sink(room_id)
        else:
            loop.call_soon_threadsafe(sink, room_id)
    except RuntimeError:  # the loop closed between the check and the call (shutdown)
        return


def uninstall(sink: Sink) -> None:
    """Called when that hub stops (tests start each one afresh)."""
    global _installed, _written
    if _installed is not None and _installed[0] == sink:
        _installed = None
        _written = None


def publish(group: str, message: HubMessage) -> None:
    """Hand a message to the channel layer without blocking a database thread.

    Inside a server process the hub's publisher sends it, in order; from a
    management command or a plain WSGI request there is no hub, so it is sent
    here and now.
    """
    installed = _installed
    try:
        if installed is None:
            async_to_sync(get_channel_layer().group_send)(group, message)
            return
        sink, loop, thread_id = installed
        if loop.is_closed() or not loop.is_running():
            _publish_after_shutdown(group, message)
        elif threading.get_ident() == thread_id:
            sink(group, message)
        else:
            loop.call_soon_threadsafe(sink, group, message)
    except LAYER_OUTAGE as error:
        # The database already holds the change; hubs reconcile from it.
        logger.warning("could not publish to %s: channel layer unavailable (%s)", group, error)
    except Exception:
        logger.warning("could not publish to %s", group, exc_info=True)


# Messages published after shutdown inside `sent_together()`, sent at its end (None: not inside one).
_together: list[tuple[str, HubMessage]] | None = None


def _publish_after_shutdown(group: str, message: HubMessage) -> None:
    """The server's event loop stopped (SIGTERM) while a disconnect handler was still leaving.

    async_to_sync would hand the send to that loop and wait for ever, so the
    process would hang instead of exiting. Other processes can still hear it
    through a shared layer, sent from a short-lived loop of this thread; an
    in-process layer has nobody left to tell. Inside `sent_together()` it
    waits for the others of the block.
    """
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return
    if _together is not None:
        _together.append((group, message))
        return
    asyncio.run(asyncio.wait_for(layer.group_send(group, message), 2))


@contextlib.contextmanager
def sent_together():
    """What is published after shutdown within the block goes out at its end, from one loop, in order.

    A stopping process's members leaving (housekeeping's deregister) announce
    a notice for each person and a member list for each room: published one
    by one, each took its own event loop and Redis connection: 6,200 of
    them and 27 s for 5,000 people on PostgreSQL and Redis (bench/stop.py,
    docs/performance.md, "Seventh round"). Here they go as the hub's publisher sends them (`batched`), each
    send within 2 s; should the layer fail, what is left is dropped with one
    warning: the database holds the leaves, and hubs reconcile from it.
    """
    global _together
    outer, _together = _together, []
    try:
        yield
    finally:
        waiting, _together = _together, outer
        if waiting:
            if outer is not None:
                outer.extend(waiting)
            else:
                asyncio.run(_send_together(get_channel_layer(), waiting))


async def _send_together(layer, waiting: list[tuple[str, HubMessage]]) -> None:
    for start in range(0, len(waiting), PUBLISH_BATCH):
        group, message = batched(waiting[start : start + PUBLISH_BATCH])
        try:
            await asyncio.wait_for(layer.group_send(group, message), 2)
        except LAYER_OUTAGE as error:
            logger.warning("could not publish %d message(s) at exit: %s", len(waiting) - start, error)
            return
        except Exception:
            logger.warning("could not publish %d message(s) at exit", len(waiting) - start, exc_info=True)
            return
