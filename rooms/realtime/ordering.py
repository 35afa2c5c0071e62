"""Chat messages in seq order, once each, with gaps read back from the database: the one place for it.

A room's messages carry a gap-free `seq`. Two levels keep it that way:
- `RoomOrder`, one per room a hub holds: with several processes, two messages
  committed one after the other can reach a hub in the opposite order, so the
  hub holds the newer one for a moment and, if the older one does not come,
  reads the gap from the database once for the whole room.
- `SocketStream`, one per socket: from its join snapshot on, a socket is sent
  every message after it exactly once; frames that arrive while it joins wait,
  and whatever it missed (a late join, a lost frame) it reads back in order.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from rooms.availability import DATABASE_OUTAGE, watch
from rooms.dbthread import database_sync_to_async
from rooms.payloads import encode
from rooms.realtime.bus import COUNT, MEMBERS, NOTICES, RoomMessage
from rooms.realtime.wire import text_frame
from rooms.selectors import messages_after

logger = logging.getLogger(__name__)

# How long a chat message waits for an older one still on its way from another
# process before the hub reads the gap from the database.
GAP_WAIT_SECONDS = 0.5
GAP_BATCH = 200
CATCH_UP_BATCH = 200
PENDING_LIMIT = 1000

FanOut = Callable[[RoomMessage, bytes], Awaitable[None]]


class RoomOrder:
    """The hub's order for one room: the last seq fanned out, and newer messages held until the gap fills."""

    def __init__(self, room, fan_out: FanOut, held_by: Callable[[], bool]):
        self.room = room
        self.fan_out = fan_out
        self.held_by = held_by  # False once the hub has let go of this room
        self.delivered_seq: int | None = None
        self.held: dict[int, tuple[RoomMessage, bytes]] = {}
        self.gap_task: asyncio.Task | None = None

    async def offer(self, seq: int, message: RoomMessage, frame: bytes) -> None:
        if self.delivered_seq is not None and seq <= self.delivered_seq:
            return  # already fanned out (a late copy, or read from the database)
        if self.delivered_seq is not None and seq != self.delivered_seq + 1:
            self.held[seq] = (message, frame)
            if self.gap_task is None:
                self.gap_task = asyncio.get_running_loop().create_task(self._fill_gap())
            return
        self.delivered_seq = seq
        await self.fan_out(message, frame)
        await self._release()

    async def _release(self) -> None:
        """Send what is now in order; past a new gap, wait again."""
        while self.held:
            low = min(self.held)
            if low > self.delivered_seq + 1:
                break
            held = self.held.pop(low)
            if low == self.delivered_seq + 1:
                self.delivered_seq = low
                await self.fan_out(*held)

    async def _fill_gap(self) -> None:
        """Wait for a gap to fill from the layer; what is still missing then, read from the database once."""
        try:
            while self.held and self.held_by():
                await asyncio.sleep(GAP_WAIT_SECONDS)
                if not self.held:
                    break  # the older message came; offer sent everything
                first = min(self.held)
                if first > self.delivered_seq + 1:
                    await self._read_gap(first)
                await self._release()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if isinstance(error, DATABASE_OUTAGE):
                watch.failed("gap fill", error)
            else:
                logger.warning(
                    "could not fill a gap in room %s; sockets catch up on their own", self.room.pk, exc_info=True
                )
            while self.held:
                await self.fan_out(*self.held.pop(min(self.held)))
        finally:
            self.gap_task = None

    async def _read_gap(self, first: int) -> None:
        missing = await database_sync_to_async(messages_after)(
            room=self.room, after_seq=self.delivered_seq, upto_seq=first - 1, limit=GAP_BATCH
        )
        for seq, data in missing:
            if seq > self.delivered_seq:
                text = encode("receive_message", data)
                self.delivered_seq = seq
                message: RoomMessage = {"type": "hub.room", "room": self.room.pk, "text": text, "seq": seq}
                await self.fan_out(message, text_frame(text))
        if len(missing) < GAP_BATCH:
            # What the database did not return up to there was deleted meanwhile.
            self.delivered_seq = max(self.delivered_seq, first - 1)


class SocketStream:
    """What one socket is sent of its room: in order, once, nothing older than its snapshot.

    `hold` when it starts joining, `start` once its join snapshot is sent,
    `stop` when it leaves. `offer` takes each room frame from the hub.
    One per socket, idle ones included: slotted, like the socket's other small parts.
    """

    __slots__ = (
        "send_text",
        "guest_key",
        "label",
        "room",
        "entry",
        "joining",
        "pending",
        "seen_seq",
        "target_seq",
        "versions",
        "catch_up_task",
    )

    def __init__(self, send_text: Callable[[str, bytes | None], Awaitable[None]], guest_key: str, label: str):
        self.send_text = send_text
        self.guest_key = guest_key
        self.label = label
        self.room = None
        self.entry = 0  # which stay in a room this is; a catch-up of an earlier one stops
        self.joining = False
        self.pending: list[RoomMessage] = []
        self.seen_seq = 0
        self.target_seq = 0
        self.versions: dict[str, int] = {}
        self.catch_up_task: asyncio.Task | None = None

    def hold(self, room) -> None:
        """Joining `room`: hold its live frames until the snapshot is out."""
        self.stop()
        self.room, self.joining, self.pending = room, True, []

    async def start(self, *, start_seq: int, version: int, latest_seq: int) -> None:
        """The snapshot (history up to `start_seq`, state at `version`) is sent: go live, then catch up."""
        self.seen_seq = self.target_seq = start_seq
        self.versions = dict.fromkeys((MEMBERS, COUNT, NOTICES), version)
        self.joining = False
        pending, self.pending = self.pending, []
        for message in pending:
            await self.offer(message)
        self.fall_behind(latest_seq)

    def stop(self) -> None:
        self.entry += 1
        self.room, self.joining = None, False
        if self.catch_up_task is not None:
            self.catch_up_task.cancel()
            self.catch_up_task = None

    async def offer(self, message: RoomMessage, frame: bytes | None = None) -> None:
        """A room frame from the hub: send it unless it is stale, ours to skip, or out of order."""
        if self.joining:
            if len(self.pending) < PENDING_LIMIT:
                self.pending.append(message)
            return
        seq = message.get("seq")
        if seq is not None:
            if seq <= self.seen_seq:
                return  # already in the history we sent, or already delivered
            if seq != self.seen_seq + 1 or self.catch_up_task is not None:
                self.fall_behind(seq)  # a gap: read it back from the database, in order
                return
            self.seen_seq = self.target_seq = seq
        elif not self._current(message):
            return
        await self.send_text(message["text"], frame)

    def _current(self, message: RoomMessage) -> bool:
        exclude = message.get("exclude")
        if exclude is not None and exclude == self.guest_key:
            return False
        version = message.get("version")
        if version is not None:
            stream = message["stream"]
            if version <= self.versions.get(stream, -1):
                return False  # older than the state this socket already has
            if stream != NOTICES:  # each notice stands alone: only those from before the join are stale
                self.versions[stream] = version
        return True

    def fall_behind(self, seq: int) -> None:
        """The room has messages up to `seq` this socket has not been sent: fetch them."""
        if self.room is None or self.joining or seq <= self.seen_seq:
            return
        self.target_seq = max(self.target_seq, seq)
        if self.catch_up_task is None:
            self.catch_up_task = asyncio.get_running_loop().create_task(self._catch_up(self.room, self.entry))

    async def _catch_up(self, room, entry: int) -> None:
        try:
            while self.entry == entry and self.seen_seq < self.target_seq:
                target = self.target_seq
                batch = await database_sync_to_async(messages_after)(
                    room=room, after_seq=self.seen_seq, upto_seq=target, limit=CATCH_UP_BATCH
                )
                if self.entry != entry:
                    return
                for _, data in batch:
                    await self.send_text(encode("receive_message", data), None)
                self.seen_seq = batch[-1][0] if len(batch) == CATCH_UP_BATCH else target
        except asyncio.CancelledError:
            raise
        except DATABASE_OUTAGE as error:
            watch.failed("catch-up", error)  # the next frame retries
        except Exception:
            logger.warning("catch-up failed for %s; the next frame retries", self.label, exc_info=True)
        finally:
            if self.catch_up_task is asyncio.current_task():
                self.catch_up_task = None
