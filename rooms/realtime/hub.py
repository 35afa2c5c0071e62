"""The process hub: one channel-layer subscription per server process.

Channels' usual pattern gives every socket its own channel and adds it to the
room's group, so a message to a 200-person room becomes 200 channel-layer
sends, each copied, queued and dispatched through the consumer; past the
layer's capacity the rest are dropped without a word. Here each process holds
one channel, subscribed to the lobby group and to the group of every room it
has a socket in, and fans a frame out to its own sockets, encoded once.

This module is the hub's lifecycle, its sockets and rooms, and receive and
dispatch; its other jobs are modules of their own: publishing (publisher.py),
order and gap fill (ordering.py), lobby counts (lobby.py), outages
(outages.py), housekeeping (housekeeping.py), and the group commit of posts
(rooms/services/posting.py).
"""

import asyncio
import atexit
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from channels.layers import get_channel_layer
from django.conf import settings

from rooms import selectors, services
from rooms.dbthread import database_sync_to_async
from rooms.realtime import bus
from rooms.realtime.bus import LOBBY_GROUP, HubMessage, IdentifyMessage, RoomMessage, person_group, room_group
from rooms.realtime.coalesce import Coalescer
from rooms.realtime.housekeeping import Housekeeping
from rooms.realtime.lobby import LobbyUpdates
from rooms.realtime.ordering import RoomOrder
from rooms.realtime.outages import LAYER_OUTAGE, LayerWatch
from rooms.realtime.publisher import Publisher
from rooms.realtime.recovery import recover
from rooms.realtime.shared import SharedRead
from rooms.realtime.unread import UnreadRounds
from rooms.realtime.wire import text_frame

logger = logging.getLogger(__name__)

RECEIVE_RETRY_MAX = 5.0


class Socket(Protocol):
    """What the hub needs of a socket (rooms/ws/consumer.py)."""

    room: Any
    connection_id: str
    person: str
    follows: str | None  # the person group it hears (its person's own stream), once followed

    async def offer(self, message: RoomMessage, frame: bytes | None = None) -> None: ...
    async def send_text(self, text: str, frame: bytes | None = None) -> None: ...
    async def evict(self, text: str, *, close_code: int | None) -> None: ...
    def fall_behind(self, seq: int) -> None: ...
    async def renamed(self, username: str, text: str) -> None: ...
    def matches(
        self, *, room_id: int | None, guest_key: str | None, user_id: int | None, session_key: str | None = None
    ) -> bool: ...
    async def identify(self, message: IdentifyMessage) -> None: ...


@dataclass
class LocalRoom:
    """A room this process has sockets in."""

    room: Any = None
    sockets: set[Socket] = field(default_factory=set)
    latest_seq: int = 0  # newest message seq this process has heard of
    tail_seq: int = 0  # the database's newest seq at the previous housekeeping round
    order: RoomOrder | None = None
    coalescer: Coalescer | None = None  # reaction sets, a burst's newest only (coalesce.py)


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.layer = get_channel_layer()
        self.sockets: set[Socket] = set()
        self.per_person: Counter[str] = Counter()  # open sockets by Socket.person
        self.rooms: dict[int, LocalRoom] = {}
        self.people: dict[str, set[Socket]] = {}  # person group → the local sockets of that person
        self.channel = ""
        self.process_id = ""
        self.tasks: list[asyncio.Task] = []
        self.ready: asyncio.Task | None = None
        self._counter = 0
        self.watch = LayerWatch()
        self.posting = services.PostQueue(loop)
        self.lobby = LobbyUpdates(loop, self._to_everyone, audience=lambda: len(self.sockets))
        # room_list, read once for all the sockets that connect at the same moment (shared.py).
        self.lobby_rooms = SharedRead(selectors.lobby_rooms, database_sync_to_async)
        self.housekeeping = Housekeeping(self)
        self.publisher: Publisher | None = None
        self.unread = UnreadRounds(
            loop, database_sync_to_async(self._announce_unread), settings.UNREAD_COALESCE_MS / 1000
        )

    # --- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Register this process, subscribe to the lobby, start the background tasks, take the bus."""
        self.process_id = await database_sync_to_async(services.process_register)()
        self.channel = await self.layer.new_channel("hub.")
        self.publisher = Publisher(self.layer, self.watch, self._deliver)
        self.publisher.on_layer_back = self._layer_back
        await self._subscribe(LOBBY_GROUP)
        self.tasks = [
            self.loop.create_task(self._receive_loop(), name="hub-receive"),
            self.loop.create_task(self.publisher.run(), name="hub-publish"),
            self.loop.create_task(self.housekeeping.run(), name="hub-housekeeping"),
        ]
        bus.install(self.publisher.put, self.unread.note)
        atexit.register(self.housekeeping.deregister)

    async def stop(self) -> None:
        if self.publisher is not None:
            bus.uninstall(self.publisher.put)
        self.lobby.cancel()
        self.unread.cancel()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []
        atexit.unregister(self.housekeeping.deregister)

    @staticmethod
    def _announce_unread(room_ids: list[int]) -> None:
        services.rooms_unread_announce(room_ids=room_ids)

    def connection_id(self) -> str:
        self._counter += 1
        return f"{self.process_id}-{self._counter}"

    # --- sockets and rooms -------------------------------------------------

    def add_socket(self, socket: Socket) -> bool:
        """Count the socket in; False, and not counted, if its person already has the most allowed here.

        Checked and counted in one step (no await between), so sockets opened
        at the same moment cannot all slip under the cap.
        """
        if self.per_person[socket.person] >= settings.WS_MAX_SOCKETS_PER_PERSON:
            return False
        self.per_person[socket.person] += 1
        self.sockets.add(socket)
        return True

    def remove_socket(self, socket: Socket) -> None:
        if socket not in self.sockets:
            return  # never counted in (refused), or removed already
        self.sockets.discard(socket)
        self.per_person[socket.person] -= 1
        if not self.per_person[socket.person]:
            del self.per_person[socket.person]

    async def enter_room(self, socket: Socket, room_id: int) -> LocalRoom:
        local = self.rooms.get(room_id)
        if local is None:
            local = self.rooms[room_id] = self.local_room(socket.room)
            await self._subscribe(room_group(room_id))
        local.sockets.add(socket)
        return local

    def local_room(self, room) -> LocalRoom:
        local = LocalRoom(room=room)
        local.order = RoomOrder(
            room, lambda message, frame: self._fan_out(local, message, frame), lambda: self.rooms.get(room.pk) is local
        )
        if settings.REACTIONS_COALESCE_MS:
            local.coalescer = Coalescer(
                self.loop,
                lambda message, frame: self._fan_out(local, message, frame),
                settings.REACTIONS_COALESCE_MS / 1000,
            )
        return local

    async def leave_room(self, socket: Socket, room_id: int) -> None:
        local = self.rooms.get(room_id)
        if local is None:
            return
        local.sockets.discard(socket)
        if not local.sockets:
            del self.rooms[room_id]
            if local.coalescer is not None:
                local.coalescer.cancel()
            try:
                await self.layer.group_discard(room_group(room_id), self.channel)
            except LAYER_OUTAGE as error:
                self.watch.failed("unsubscribe", error)  # the group expires by itself (group_expiry)
            except Exception:
                logger.warning("could not unsubscribe from room %s", room_id, exc_info=True)

    async def follow_person(self, socket: Socket, person_key: str) -> None:
        """The socket hears its person's own stream (unread counts, new conversations), like a room's group.

        Called when it connects and again when its guest becomes an account
        (`identify`): it then follows the account's stream instead.
        """
        group = person_group(person_key)
        if socket.follows == group:
            return
        await self.unfollow_person(socket)
        socket.follows = group
        sockets = self.people.get(group)
        if sockets is None:
            sockets = self.people[group] = set()
            await self._subscribe(group)
        sockets.add(socket)

    async def unfollow_person(self, socket: Socket) -> None:
        group, socket.follows = socket.follows, None
        sockets = self.people.get(group) if group else None
        if sockets is None:
            return
        sockets.discard(socket)
        if not sockets:
            del self.people[group]
            await self._unsubscribe(group)

    async def _unsubscribe(self, group: str) -> None:
        try:
            await self.layer.group_discard(group, self.channel)
        except LAYER_OUTAGE as error:
            self.watch.failed("unsubscribe", error)  # the group expires by itself (group_expiry)
        except Exception:
            logger.warning("could not unsubscribe from %s", group, exc_info=True)

    async def subscribe_all(self) -> None:
        for group in [LOBBY_GROUP, *(room_group(room_id) for room_id in self.rooms), *list(self.people)]:
            await self._subscribe(group)

    async def _subscribe(self, group: str) -> None:
        try:
            await self.layer.group_add(group, self.channel)
        except LAYER_OUTAGE as error:
            # Housekeeping subscribes again; the database refills what is missed.
            self.watch.failed("subscribe", error)
        except Exception:
            logger.warning("could not subscribe to %s", group, exc_info=True)
        else:
            if self.watch.ok():
                self._layer_back()

    # --- after an outage ---------------------------------------------------

    def _layer_back(self) -> None:
        # A restarted Redis has forgotten our subscriptions and whatever was queued.
        self.tasks.append(self.loop.create_task(recover(self), name="hub-recover"))

    # --- traffic -----------------------------------------------------------

    async def _receive_loop(self) -> None:
        retry = 0.25
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except LAYER_OUTAGE as error:
                self.watch.failed("receive", error)
                await asyncio.sleep(retry)
                retry = min(retry * 2, RECEIVE_RETRY_MAX)
                continue
            except Exception:
                logger.warning("channel layer receive failed; retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            retry = 0.25
            if self.watch.ok():
                self._layer_back()
            self.watch.watch_cleaners(self.layer)
            if message.get("type") == "hub.batch":
                for each in message.get("messages", ()):
                    await self._deliver(each)
            else:
                await self._deliver(message)

    async def _deliver(self, message: HubMessage) -> None:
        try:
            await self.dispatch(message)
        except Exception:
            logger.exception("hub could not deliver %s", message.get("type"))

    async def dispatch(self, message: HubMessage) -> None:
        kind = message.get("type")
        if kind == "hub.room":
            local = self.rooms.get(message["room"])
            if local is None:
                return
            frame = text_frame(message["text"])  # framed once for the whole room
            seq = message.get("seq")
            if message.get("coalesce") is not None and local.coalescer is not None:
                await local.coalescer.offer(message, frame)
            elif seq is None:
                await self._fan_out(local, message, frame)
            else:
                local.latest_seq = max(local.latest_seq, seq)
                await local.order.offer(seq, message, frame)
        elif kind == "hub.lobby":
            room_id = message.get("room")
            if room_id is None:  # not a room's update (room_removed): at once, after what is waiting
                await self.lobby.flush()
                await self._to_everyone(message["text"])
            else:
                self.lobby.offer(room_id, message.get("version") or 0, message["text"])
        elif kind == "hub.rename":
            local = self.rooms.get(message["room"])
            for socket in list(local.sockets) if local else ():
                if socket.connection_id != message["source"] and socket.matches(
                    room_id=message["room"], guest_key=message["guest"], user_id=None
                ):
                    await socket.renamed(message["username"], message["text"])
        elif kind == "hub.person":
            skip = message.get("room")
            frame = text_frame(message["text"])
            for socket in list(self.people.get(message["person"], ())):
                if skip is None or socket.room is None or socket.room.pk != skip:
                    await socket.send_text(message["text"], frame)
        elif kind == "hub.identify":
            for socket in list(self.sockets):
                if socket.matches(room_id=None, guest_key=message["guest"], user_id=None):
                    await socket.identify(message)
                    await self.follow_person(socket, message["person"])
        elif kind == "hub.evict":
            for socket in list(self.sockets):
                if socket.matches(
                    room_id=message.get("room"),
                    guest_key=message.get("guest"),
                    user_id=message.get("user"),
                    session_key=message.get("session"),
                ):
                    await socket.evict(message["text"], close_code=message.get("close"))

    async def _to_everyone(self, text: str) -> None:
        frame = text_frame(text)
        for socket in list(self.sockets):
            await socket.send_text(text, frame)

    async def _fan_out(self, local: LocalRoom, message: RoomMessage, frame: bytes) -> None:
        for socket in list(local.sockets):
            await socket.offer(message, frame)


_hub: Hub | None = None


async def get_hub() -> Hub:
    """This process's hub, started on first use (the first WebSocket)."""
    global _hub
    loop = asyncio.get_running_loop()
    if _hub is None or _hub.loop is not loop or (_hub.ready.done() and _hub.ready.exception()):
        if _hub is not None:  # its loop is gone (tests) or it never started: it deregisters nothing at exit
            atexit.unregister(_hub.housekeeping.deregister)
        _hub = Hub(loop)
        _hub.ready = loop.create_task(_hub.start())
    hub = _hub
    await asyncio.shield(hub.ready)
    return hub


def current() -> Hub | None:
    """The running hub of this process, if a WebSocket has started one."""
    hub = _hub
    if hub is None or hub.ready is None or not hub.ready.done() or hub.ready.exception():
        return None
    if hub.loop.is_closed() or not hub.loop.is_running():
        return None
    return hub


async def reset() -> None:
    """Stop and forget the hub (tests start each one afresh)."""
    global _hub
    hub, _hub = _hub, None
    if hub is None:
        return
    if hub.loop is asyncio.get_running_loop():
        await hub.stop()
        return
    atexit.unregister(hub.housekeeping.deregister)
    if hub.publisher is not None:
        bus.uninstall(hub.publisher.put)
