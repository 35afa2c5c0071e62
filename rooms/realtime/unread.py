"""Live unread counts of public and private rooms, gathered per process: one round per window.

A message in a room of 200 reaches the members who are in it as the message
itself; those who belong to it but read another room hear its unread count
on their own stream. Sent per message, ten people writing twenty messages a
second would cost every absent member twenty frames a second and the
database a count per member per message. Instead the process that wrote a
message notes its room here (rooms/realtime/bus.py `written`); the first
note after a quiet window goes at once, the rest wait for the end of the
window, and each round is one call of services.rooms_unread_announce for all
the rooms noted: one query, and at most one `unread` per absent member per
room per window. The count is the database's, so it is right whatever was
missed (and it is a count, not a delta a page must add up).
"""

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable

from rooms.availability import DATABASE_OUTAGE, watch

logger = logging.getLogger(__name__)

Announce = Callable[[list[int]], Awaitable[object]]


class UnreadRounds:
    """The rooms written in since this process's last round of unread counts."""

    def __init__(self, loop: asyncio.AbstractEventLoop, announce: Announce, window_seconds: float):
        self.loop = loop
        self.announce = announce
        self.window = window_seconds
        self.noted: set[int] = set()
        self.last_round = -float("inf")
        self.task: asyncio.Task | None = None

    def note(self, room_id: int) -> None:
        """Called on the hub's loop for each message committed in a public or private room."""
        if self.window <= 0:
            return
        self.noted.add(room_id)
        if self.task is None:
            delay = max(0.0, self.last_round + self.window - self.loop.time())
            # A context of its own: a note comes from a database thread's commit (call_soon_threadsafe copies
            # that thread's context), and asgiref refuses a database call from inside its own thread's context.
            self.task = self.loop.create_task(self._round(delay), name="hub-unread", context=contextvars.Context())

    async def _round(self, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            self.last_round = self.loop.time()
            rooms, self.noted = sorted(self.noted), set()
            await self.announce(rooms)
        except asyncio.CancelledError:
            self.task = None
            raise
        except DATABASE_OUTAGE as error:
            watch.failed("unread counts", error)  # logged once per outage; inbox says them again after it
        except Exception:
            # Counts are a convenience: the next round, `inbox` and `mark_read` say them again.
            logger.warning("could not announce unread counts", exc_info=True)
        self.task = None
        if self.noted:  # written in while this round ran: the next round, a window after this one
            self.note(next(iter(self.noted)))

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
