"""The lobby's live counts: every public room's updates to every socket, coalesced."""

import asyncio
import json
from collections.abc import Awaitable, Callable

from rooms.payloads import encode

# Public rooms' count updates go out at most this often, several rooms in one frame...
LOBBY_INTERVAL = 0.25
# ...and, with many sockets held, less often: each round is a frame to every socket, so the rounds are
# spaced to write at most LOBBY_FRAMES_PER_SECOND frames a second in all (4 rounds a second up to 1,000
# sockets, one every 1.25 s with 5,000), but never further apart than LOBBY_INTERVAL_MAX. In a reconnect
# storm every join changes a count: at a fixed 0.25 s, 5,000 sockets took 20,000 lobby frames a second,
# 8.5% of the process's time (docs/performance.md, "Reconnect storm").
LOBBY_FRAMES_PER_SECOND = 4000
LOBBY_INTERVAL_MAX = 2.0


class LobbyUpdates:
    """Send a public room's update to every socket: at once if none went out lately, else with the next ones.

    Every join in a public room changes a count every socket shows (the
    lobby, the sidebar), so N people joining cost N × N frames. Updates
    that arrive within `interval()` of the last ones sent wait and go
    out together, the newest per room, as one `room_updates` frame.
    `audience` says how many sockets a round goes to.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        to_everyone: Callable[[str], Awaitable[None]],
        audience: Callable[[], int] = lambda: 0,
    ):
        self.loop = loop
        self.to_everyone = to_everyone
        self.audience = audience
        self.versions: dict[int, int] = {}
        self.pending: dict[int, str] = {}
        self.timer: asyncio.TimerHandle | None = None
        self.sent_at = -LOBBY_INTERVAL_MAX
        self._task: asyncio.Task | None = None  # held so the running flush is not garbage-collected

    def offer(self, room_id: int, version: int, text: str) -> None:
        """A room's update, unless a newer one for that room was already offered."""
        if version < self.versions.get(room_id, -1):
            return  # an older count overtaken by a newer one
        self.versions[room_id] = version
        self.pending[room_id] = text
        if self.timer is None:
            delay = max(0.0, self.sent_at + self.interval() - self.loop.time())
            self.timer = self.loop.call_later(delay, self._due)

    def interval(self) -> float:
        """The least time between two rounds, given the sockets a round goes to."""
        return min(LOBBY_INTERVAL_MAX, max(LOBBY_INTERVAL, self.audience() / LOBBY_FRAMES_PER_SECOND))

    def _due(self) -> None:
        self.timer = None
        self._task = self.loop.create_task(self.flush(), name="hub-lobby")

    async def flush(self) -> None:
        """Send whatever is waiting now (also before a frame that must not overtake it)."""
        self.cancel()
        pending, self.pending = self.pending, {}
        if not pending:
            return
        self.sent_at = self.loop.time()
        if len(pending) == 1:
            (text,) = pending.values()
        else:
            text = encode("room_updates", {"rooms": [json.loads(text)["data"] for text in pending.values()]})
        await self.to_everyone(text)

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
