"""The lobby's live counts: every public room's updates to every socket, coalesced."""

import asyncio
import json
from collections.abc import Awaitable, Callable

from rooms.payloads import encode

# Public rooms' count updates go out at most this often, several rooms in one frame.
LOBBY_INTERVAL = 0.25


class LobbyUpdates:
    """Send a public room's update to every socket: at once if none went out lately, else with the next ones.

    Every join in a public room changes a count every socket shows (the
    lobby, the sidebar), so N people joining cost N × N frames. Updates
    that arrive within LOBBY_INTERVAL of the last ones sent wait and go
    out together, the newest per room, as one `room_updates` frame.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, to_everyone: Callable[[str], Awaitable[None]]):
        self.loop = loop
        self.to_everyone = to_everyone
        self.versions: dict[int, int] = {}
        self.pending: dict[int, str] = {}
        self.timer: asyncio.TimerHandle | None = None
        self.sent_at = -LOBBY_INTERVAL
        self._task: asyncio.Task | None = None  # held so the running flush is not garbage-collected

    def offer(self, room_id: int, version: int, text: str) -> None:
        """A room's update, unless a newer one for that room was already offered."""
        if version < self.versions.get(room_id, -1):
            return  # an older count overtaken by a newer one
        self.versions[room_id] = version
        self.pending[room_id] = text
        if self.timer is None:
            delay = max(0.0, self.sent_at + LOBBY_INTERVAL - self.loop.time())
            self.timer = self.loop.call_later(delay, self._due)

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
