"""The process hub: one channel-layer subscription per server process.

Channels' usual pattern gives every socket its own channel and adds it to the
room's group, so a message to a 200-person room becomes 200 channel-layer
sends, each copied, queued and dispatched through the consumer; past the
layer's capacity the rest are dropped without a word. Here each process holds
one channel, subscribed to the lobby group and to the group of every room it
has a socket in, and fans a frame out to its own sockets, encoded once.

The hub also runs the process's housekeeping: the presence heartbeat, the
sweep of crashed processes, the purge of empty private rooms, and a check of
every local room's newest message against the database, which refills any
message the channel layer lost (capacity, a Redis restart).
"""

import asyncio
import json
import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from rooms import presence, selectors, services
from rooms.events import LOBBY_GROUP, room_group
from rooms.outages import LAYER_OUTAGE
from rooms.protocol import encode, room_data
from rooms.wire import text_frame

if TYPE_CHECKING:
    from rooms.consumers import ChatConsumer
    from rooms.models import Message, Room

logger = logging.getLogger(__name__)

RECEIVE_RETRY_MAX = 5.0


# How long a chat message waits for an older one still on its way from another
# process before the hub reads the gap from the database.
GAP_WAIT_SECONDS = 0.5
GAP_BATCH = 200
POST_BATCH = 100  # most messages written in one transaction
PUBLISH_BATCH = 200  # most messages in one channel-layer send
# Public rooms' count updates go out at most this often, several rooms in one frame.
LOBBY_INTERVAL = 0.25


@dataclass
class LocalRoom:
    sockets: set["ChatConsumer"] = field(default_factory=set)
    latest_seq: int = 0  # newest message seq this process has heard of
    tail_seq: int = 0  # the database's newest seq at the previous housekeeping round
    room: "Room | None" = None
    # Chat messages go out in seq order: the last one fanned out, and newer ones
    # held until the gap before them fills (from the layer, or else the database).
    delivered_seq: int | None = None
    held: dict[int, tuple[dict[str, Any], bytes]] = field(default_factory=dict)
    gap_task: asyncio.Task | None = None


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.thread_id = threading.get_ident()
        self.layer = get_channel_layer()
        self.outbox: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self.sockets: set[ChatConsumer] = set()
        self.rooms: dict[int, LocalRoom] = {}
        self.lobby_versions: dict[int, int] = {}
        self.channel = ""
        self.process_id = ""
        self.tasks: list[asyncio.Task] = []
        self.ready: asyncio.Task | None = None
        self.layer_down_since: float | None = None
        self._watched: weakref.WeakSet[asyncio.Task] = weakref.WeakSet()
        self._counter = 0
        self.posts: list[tuple[services.Post, asyncio.Future]] = []
        self.post_task: asyncio.Task | None = None
        # Public rooms' updates waiting to go out together (_queue_lobby_update).
        self.lobby_pending: dict[int, str] = {}
        self.lobby_timer: asyncio.TimerHandle | None = None
        self.lobby_sent_at = -LOBBY_INTERVAL
        self._lobby_task: asyncio.Task | None = None  # held so the running flush is not garbage-collected

    # --- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Register this process, subscribe to the lobby, start the background tasks."""
        self.process_id = await database_sync_to_async(presence.process_register)()
        self.channel = await self.layer.new_channel("hub.")
        await self._subscribe(LOBBY_GROUP)
        self.tasks = [
            self.loop.create_task(self._receive_loop(), name="hub-receive"),
            self.loop.create_task(self._publish_loop(), name="hub-publish"),
            self.loop.create_task(self._housekeeping_loop(), name="hub-housekeeping"),
        ]

    async def stop(self) -> None:
        if self.lobby_timer is not None:
            self.lobby_timer.cancel()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []

    # --- posting ---------------------------------------------------------------

    async def post_message(self, **post: Any) -> tuple["Message", bool]:
        """services.message_post, group-committed with whatever else this process is posting.

        Posts that arrive while a batch is being written wait for the next one,
        so an idle server writes each message at once and a busy one pays one
        commit (one thread hop, one fsync) per batch instead of per message.
        """
        future = self.loop.create_future()
        self.posts.append((services.Post(**post), future))
        if self.post_task is None:
            self.post_task = self.loop.create_task(self._post_loop(), name="hub-post")
        return await future

    async def _post_loop(self) -> None:
        try:
            while self.posts:
                batch, self.posts = self.posts[:POST_BATCH], self.posts[POST_BATCH:]
                try:
                    results = await database_sync_to_async(services.message_post_batch)(posts=[p for p, _ in batch])
                except Exception as error:
                    results = [error] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue  # the socket went away meanwhile
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self.post_task = None

    def connection_id(self) -> str:
        self._counter += 1
        return f"{self.process_id}-{self._counter}"

    # --- membership --------------------------------------------------------

    def add_socket(self, socket: "ChatConsumer") -> None:
        self.sockets.add(socket)

    def remove_socket(self, socket: "ChatConsumer") -> None:
        self.sockets.discard(socket)

    async def enter_room(self, socket: "ChatConsumer", room_id: int) -> LocalRoom:
        local = self.rooms.get(room_id)
        if local is None:
            local = self.rooms[room_id] = LocalRoom(room=socket.room)
            await self._subscribe(room_group(room_id))
        local.sockets.add(socket)
        return local

    async def leave_room(self, socket: "ChatConsumer", room_id: int) -> None:
        local = self.rooms.get(room_id)
        if local is None:
            return
        local.sockets.discard(socket)
        if not local.sockets:
            del self.rooms[room_id]
            try:
                await self.layer.group_discard(room_group(room_id), self.channel)
            except LAYER_OUTAGE as error:
                self._layer_failed("unsubscribe", error)  # the group expires by itself (group_expiry)
            except Exception:
                logger.warning("could not unsubscribe from room %s", room_id, exc_info=True)

    async def _subscribe(self, group: str) -> None:
        try:
            await self.layer.group_add(group, self.channel)
        except LAYER_OUTAGE as error:
            # Housekeeping subscribes again; the database refills what is missed.
            self._layer_failed("subscribe", error)
        except Exception:
            logger.warning("could not subscribe to %s", group, exc_info=True)
        else:
            self._layer_ok()

    # --- channel-layer outages -----------------------------------------------

    def _layer_failed(self, action: str, error: Exception) -> None:
        """The layer is unreachable (Redis down or restarting): say so once per outage, not per message.

        Nothing is lost meanwhile: every message is in the database, and each
        housekeeping round refills the local rooms from it.
        """
        if self.layer_down_since is None:
            self.layer_down_since = time.monotonic()
            logger.warning(
                "channel layer unavailable (%s: %s: %s); rooms are kept up to date from the database until it is back",
                action,
                type(error).__name__,
                error,
            )
        else:
            logger.debug("channel layer still unavailable (%s: %s)", action, error)

    def _layer_ok(self) -> None:
        if self.layer_down_since is None:
            return
        logger.info("channel layer available again after %.1f s", time.monotonic() - self.layer_down_since)
        self.layer_down_since = None
        # A restarted Redis has forgotten our subscriptions and whatever was queued.
        self.tasks.append(self.loop.create_task(self._recover(), name="hub-recover"))

    def _watch_cleaners(self) -> None:
        """Take the outcome of channels_redis's acknowledgement tasks, which nobody else awaits.

        After each receive, channels_redis removes the message from a backup
        queue in a task of its own. If Redis goes away meanwhile, that task's
        error is part of the outage; left alone, asyncio would log it as
        "Task exception was never retrieved" with a traceback.
        """
        for task in getattr(self.layer, "receive_cleaners", ()):
            if task not in self._watched:
                self._watched.add(task)
                task.add_done_callback(self._cleaner_done)

    def _cleaner_done(self, task: asyncio.Task) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if isinstance(error, LAYER_OUTAGE):
            # The message itself was received; at worst its backup copy stays in Redis until it expires.
            logger.debug("channel layer acknowledgement failed: %s", error)
        elif error is not None:
            logger.warning("channel layer acknowledgement failed: %r", error)

    async def _recover(self) -> None:
        for group in [LOBBY_GROUP, *(room_group(room_id) for room_id in self.rooms)]:
            await self._subscribe(group)
        try:
            await self.refill(now=True)
        except Exception:
            logger.warning("refill after the channel layer came back failed; housekeeping retries", exc_info=True)
        try:
            await self._restate_presence()
        except Exception:
            logger.warning("could not restate member lists after the channel layer came back", exc_info=True)

    async def _restate_presence(self) -> None:
        """Joins and leaves announced while the layer was down never arrived: send the current state.

        Only to this process's own sockets: every process does the same once it
        has resubscribed, so none depends on another's timing.
        """
        states = await database_sync_to_async(presence.presence_state)(room_ids=list(self.rooms))
        for room, version, members in states:
            update = encode("room_update", room_data(room, len(members)))
            if room.pk in self.rooms:
                listing = encode("member_list", {"room": room.name, "members": members})
                await self.dispatch(
                    {"type": "hub.room", "room": room.pk, "text": listing, "version": version, "stream": "members"}
                )
                if not room.is_public:
                    await self.dispatch(
                        {"type": "hub.room", "room": room.pk, "text": update, "version": version, "stream": "count"}
                    )
            if room.is_public:
                await self.dispatch({"type": "hub.lobby", "room": room.pk, "text": update, "version": version})

    # --- traffic -----------------------------------------------------------

    async def _publish_loop(self) -> None:
        """Send what services queued, in the order they committed: all that is waiting, at once.

        Under load a group commit queues many messages in one go; publishing
        them one by one costs several Redis round trips each, in the sender and
        in every receiver (docs/performance.md). Whatever is waiting goes out
        as one `hub.batch`: to its group when all of it is for one group, else
        to the lobby group, which every hub subscribes to (a hub drops what is
        for rooms it has no socket in). One message alone goes as itself.
        """
        while True:
            waiting = [await self.outbox.get()]
            while len(waiting) < PUBLISH_BATCH and not self.outbox.empty():
                waiting.append(self.outbox.get_nowait())
            if isinstance(self.layer, InMemoryChannelLayer):
                # An in-process layer reaches no other process, and this hub is its only
                # subscriber: hand the messages over directly, skipping the layer's copy,
                # queue and per-send expiry scan (docs/performance.md).
                for _, message in waiting:
                    await self._deliver(message)
            elif len(waiting) == 1:
                await self._publish(*waiting[0])
            else:
                groups = {group for group, _ in waiting}
                group = groups.pop() if len(groups) == 1 else LOBBY_GROUP
                await self._publish(group, {"type": "hub.batch", "messages": [message for _, message in waiting]})

    async def _publish(self, group: str, message: dict[str, Any]) -> None:
        # While the layer is up, a failure gets one more try: a restarted Redis leaves
        # broken connections in the pool, and the next attempt takes a fresh one.
        attempts = 1 if self.layer_down_since is not None else 2
        for attempt in range(1, attempts + 1):
            try:
                await self.layer.group_send(group, message)
            except LAYER_OUTAGE as error:
                if attempt == attempts:
                    self._layer_failed("publish", error)
                    return
                await asyncio.sleep(0.05)
            except Exception:
                logger.warning("could not publish to %s", group, exc_info=True)
                return
            else:
                self._layer_ok()
                return

    async def _receive_loop(self) -> None:
        retry = 0.25
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except LAYER_OUTAGE as error:
                self._layer_failed("receive", error)
                await asyncio.sleep(retry)
                retry = min(retry * 2, RECEIVE_RETRY_MAX)
                continue
            except Exception:
                logger.warning("channel layer receive failed; retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            retry = 0.25
            self._layer_ok()
            self._watch_cleaners()
            if message.get("type") == "hub.batch":
                for each in message.get("messages", ()):
                    await self._deliver(each)
            else:
                await self._deliver(message)

    async def _deliver(self, message: dict[str, Any]) -> None:
        try:
            await self.dispatch(message)
        except Exception:
            logger.exception("hub could not deliver %s", message.get("type"))

    async def dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "hub.room":
            local = self.rooms.get(message["room"])
            if local is None:
                return
            frame = text_frame(message["text"])  # framed once for the whole room
            seq = message.get("seq")
            if seq is None:
                await self._fan_out(local, message, frame)
            else:
                local.latest_seq = max(local.latest_seq, seq)
                await self._in_order(message["room"], local, seq, message, frame)
        elif kind == "hub.lobby":
            room_id = message.get("room")
            if room_id is None:  # not a room's update (room_removed): at once, after what is waiting
                await self._flush_lobby()
                await self._to_everyone(message["text"])
                return
            version = message.get("version") or 0
            if version < self.lobby_versions.get(room_id, -1):
                return  # an older count overtaken by a newer one
            self.lobby_versions[room_id] = version
            self._queue_lobby_update(room_id, message["text"])
        elif kind == "hub.evict":
            for socket in list(self.sockets):
                if socket.matches(
                    room_id=message.get("room"), guest_key=message.get("guest"), user_id=message.get("user")
                ):
                    await socket.evict(message["text"], close_code=message.get("close"))

    async def _to_everyone(self, text: str) -> None:
        frame = text_frame(text)
        for socket in list(self.sockets):
            await socket.send_text(text, frame)

    def _queue_lobby_update(self, room_id: int, text: str) -> None:
        """Send a public room's update to every socket: at once if none went out lately, else with the next ones.

        Every join in a public room changes a count every socket shows (the
        lobby, the sidebar), so N people joining cost N × N frames. Updates
        that arrive within LOBBY_INTERVAL of the last ones sent wait and go
        out together, the newest per room, as one `room_updates` frame.
        """
        self.lobby_pending[room_id] = text
        if self.lobby_timer is None:
            delay = max(0.0, self.lobby_sent_at + LOBBY_INTERVAL - self.loop.time())
            self.lobby_timer = self.loop.call_later(delay, self._lobby_due)

    def _lobby_due(self) -> None:
        self.lobby_timer = None
        self._lobby_task = self.loop.create_task(self._flush_lobby(), name="hub-lobby")

    async def _flush_lobby(self) -> None:
        if self.lobby_timer is not None:
            self.lobby_timer.cancel()
            self.lobby_timer = None
        pending, self.lobby_pending = self.lobby_pending, {}
        if not pending:
            return
        self.lobby_sent_at = self.loop.time()
        if len(pending) == 1:
            (text,) = pending.values()
        else:
            text = encode("room_updates", {"rooms": [json.loads(text)["data"] for text in pending.values()]})
        await self._to_everyone(text)

    async def _fan_out(self, local: LocalRoom, message: dict[str, Any], frame: bytes) -> None:
        for socket in list(local.sockets):
            await socket.offer(message, frame)

    async def _in_order(self, room_id: int, local: LocalRoom, seq: int, message: dict[str, Any], frame: bytes) -> None:
        """Fan chat messages out in seq order, once each.

        With several processes, two messages committed one after the other can
        reach a hub in the opposite order. Rather than have every socket of the
        room read the gap from the database, the hub holds the newer message
        for a moment; if the older one does not come, it reads the gap once for
        the whole room (`_fill_gap`).
        """
        if local.delivered_seq is not None and seq <= local.delivered_seq:
            return  # already fanned out (a late copy, or read from the database)
        if local.delivered_seq is not None and seq != local.delivered_seq + 1:
            local.held[seq] = (message, frame)
            if local.gap_task is None:
                local.gap_task = self.loop.create_task(self._fill_gap(room_id, local))
            return
        local.delivered_seq = seq
        await self._fan_out(local, message, frame)
        while local.delivered_seq + 1 in local.held:
            local.delivered_seq += 1
            await self._fan_out(local, *local.held.pop(local.delivered_seq))

    async def _fill_gap(self, room_id: int, local: LocalRoom) -> None:
        """Wait for a gap to fill from the layer; what is still missing then, read from the database once."""
        try:
            while local.held and self.rooms.get(room_id) is local:
                await asyncio.sleep(GAP_WAIT_SECONDS)
                if not local.held:
                    break  # the older message came; _in_order sent everything
                first = min(local.held)
                if first > local.delivered_seq + 1:
                    missing = await database_sync_to_async(selectors.messages_after)(
                        room=local.room, after_seq=local.delivered_seq, upto_seq=first - 1, limit=GAP_BATCH
                    )
                    for seq, data in missing:
                        if seq > local.delivered_seq:
                            text = encode("receive_message", data)
                            local.delivered_seq = seq
                            message = {"type": "hub.room", "room": room_id, "text": text, "seq": seq}
                            await self._fan_out(local, message, text_frame(text))
                    if len(missing) < GAP_BATCH:
                        # What the database did not return up to there was deleted meanwhile.
                        local.delivered_seq = max(local.delivered_seq, first - 1)
                while local.held:  # send what is now in order; past a new gap, wait again
                    low = min(local.held)
                    if low > local.delivered_seq + 1:
                        break
                    held = local.held.pop(low)
                    if low == local.delivered_seq + 1:
                        local.delivered_seq = low
                        await self._fan_out(local, *held)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("could not fill a gap in room %s; sockets catch up on their own", room_id, exc_info=True)
            while local.held:
                await self._fan_out(local, *local.held.pop(min(local.held)))
        finally:
            local.gap_task = None

    # --- housekeeping ------------------------------------------------------

    async def _housekeeping_loop(self) -> None:
        while True:
            await asyncio.sleep(housekeeping_interval())
            try:
                await self.housekeeping()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("housekeeping failed; retrying next round", exc_info=True)

    async def housekeeping(self) -> None:
        # Subscriptions first: they must be renewed within group_expiry even while the database is down.
        for group in [LOBBY_GROUP, *(room_group(room_id) for room_id in self.rooms)]:
            await self._subscribe(group)
        alive = await database_sync_to_async(presence.process_heartbeat)(process_id=self.process_id)
        if not alive:
            await self._declared_dead()
        await database_sync_to_async(presence.presence_sweep)()
        await database_sync_to_async(presence.rooms_purge_empty)()
        await self.refill()

    async def refill(self, *, now: bool = False) -> None:
        """Catch up each local room on messages the channel layer lost.

        A message the database already had at the previous round and the hub
        has still not heard of is lost. One committed since may simply be on
        its way: under load, reading those back for every socket at once
        (as the first version did) turned a backlog into a meltdown
        (docs/performance.md). `now` skips the grace, after a layer outage.
        """
        if not self.rooms:
            return
        tails = await database_sync_to_async(selectors.room_tails)(room_ids=list(self.rooms))
        for room_id, last_seq in tails.items():
            local = self.rooms.get(room_id)
            if local is None:
                continue
            overdue = last_seq if now else local.tail_seq
            local.tail_seq = last_seq
            if overdue > local.latest_seq:
                local.latest_seq = overdue
                for socket in list(local.sockets):
                    socket.fall_behind(overdue)

    async def _declared_dead(self) -> None:
        """Another process swept us (we missed heartbeats): start afresh, and have clients reconnect."""
        logger.warning("process %s was declared dead; re-registering and dropping its sockets", self.process_id)
        self.process_id = await database_sync_to_async(presence.process_register)()
        for socket in list(self.sockets):
            await socket.evict("", close_code=1012)


def housekeeping_interval() -> float:
    """Often enough to beat the presence timeout and the empty-room grace period."""
    return max(0.2, min(5.0, settings.PRESENCE_TIMEOUT_SECONDS / 4, settings.ROOM_EMPTY_GRACE_SECONDS / 2 or 5.0))


_hub: Hub | None = None


async def get_hub() -> Hub:
    """This process's hub, started on first use (the first WebSocket)."""
    global _hub
    loop = asyncio.get_running_loop()
    if _hub is None or _hub.loop is not loop or (_hub.ready.done() and _hub.ready.exception()):
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


def stopped() -> bool:
    """True once this process's hub loop has stopped: the server is shutting down."""
    hub = _hub
    if hub is None or hub.ready is None or not hub.ready.done():
        return False
    return hub.loop.is_closed() or not hub.loop.is_running()


async def reset() -> None:
    """Stop and forget the hub (tests start each one afresh)."""
    global _hub
    hub, _hub = _hub, None
    if hub is not None and hub.loop is asyncio.get_running_loop():
        await hub.stop()
