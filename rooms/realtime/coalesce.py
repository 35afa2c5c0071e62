"""Whole states that change in bursts (one message's reactions), sent at most once per window per room.

When 200 people react to one message within a second, each change is the
message's whole set of reactions again, and each would reach all 200 sockets:
40,000 frames, growing with the square of the room. Only the newest set of a
message matters, so a room's first change goes out at once and what follows
within REACTIONS_COALESCE_MS waits and goes out then, the newest (highest
`rank`) per message only. Frames of other kinds never wait here.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from rooms.realtime.bus import RoomMessage

logger = logging.getLogger(__name__)

FanOut = Callable[[RoomMessage, bytes], Awaitable[None]]


class Coalescer:
    """One room's coalesced states in one process."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fan_out: FanOut, window_seconds: float):
        self.loop = loop
        self.fan_out = fan_out
        self.window = window_seconds
        self.held: dict[str, tuple[RoomMessage, bytes]] = {}
        self.last_sent = -float("inf")
        self.task: asyncio.Task | None = None

    async def offer(self, message: RoomMessage, frame: bytes) -> None:
        key, rank = message["coalesce"], message.get("rank", 0)
        held = self.held.get(key)
        if held is not None and held[0].get("rank", 0) >= rank:
            return  # a newer state of the same thing already waits
        now = self.loop.time()
        if self.task is None and now - self.last_sent >= self.window:
            self.last_sent = now
            await self.fan_out(message, frame)
            return
        self.held[key] = (message, frame)
        if self.task is None:
            self.task = self.loop.create_task(self._flush(self.last_sent + self.window - now), name="hub-coalesce")

    async def _flush(self, delay: float) -> None:
        try:
            await asyncio.sleep(max(0.0, delay))
            held, self.held = self.held, {}
            self.last_sent = self.loop.time()
            for message, frame in held.values():
                await self.fan_out(message, frame)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("could not send coalesced updates", exc_info=True)
        finally:
            self.task = None

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
