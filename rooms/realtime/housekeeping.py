"""A hub's housekeeping: heartbeat, sweep of crashed processes, purge of empty rooms, sweep of uploads never
sent, refill of lost messages."""

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from django.conf import settings

from rooms import selectors, services
from rooms.availability import DATABASE_OUTAGE, watch
from rooms.dbthread import database_sync_to_async
from rooms.errors import Close
from rooms.realtime import bus

if TYPE_CHECKING:
    from rooms.realtime.hub import Hub

logger = logging.getLogger(__name__)


def housekeeping_interval() -> float:
    """Often enough to beat the presence timeout and the empty-room grace period."""
    return max(0.2, min(5.0, settings.PRESENCE_TIMEOUT_SECONDS / 4, settings.ROOM_EMPTY_GRACE_SECONDS / 2 or 5.0))


class Housekeeping:
    # Unsent uploads are swept this often at most (seconds): a query a minute, not one a round.
    UPLOAD_SWEEP_EVERY = 60.0

    def __init__(self, hub: "Hub"):
        self.hub = hub
        self.uploads_swept_at = time.monotonic()  # a minute after start: the first rounds are busy enough
        self.leaves: set[str] = set()  # connections that closed while the database was away

    def leave_later(self, connection_id: str) -> None:
        """A socket left, but the database could not hear of it: take its presence away next round."""
        self.leaves.add(connection_id)

    def deregister(self) -> None:
        """At exit (daphne stops on SIGTERM): take this process's members out of their rooms now.

        Runs once the event loop has stopped, in plain synchronous code; what the
        leaves announce then goes out through the bus's after-shutdown path.
        """
        process_id = self.hub.process_id
        if not process_id:
            return
        # Clients whose sockets just closed reconnect to another process meanwhile; their
        # presence then stays, and only the people really gone are announced as leaving.
        time.sleep(settings.SHUTDOWN_GRACE_SECONDS)
        try:
            with bus.sent_together():  # every leave's announcements in one go, not an event loop each
                left = services.process_deregister(process_id=process_id)
        except Exception:
            logger.warning("could not deregister process %s at exit; the sweep will", process_id, exc_info=True)
        else:
            logger.info("process %s stopped: %d member(s) left their rooms", process_id, left)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(housekeeping_interval())
            try:
                await self.round()
            except asyncio.CancelledError:
                raise
            except DATABASE_OUTAGE as error:
                # A missed beat or two is harmless: others sweep us only after PRESENCE_TIMEOUT_SECONDS.
                watch.failed("housekeeping", error)
            except Exception:
                logger.warning("housekeeping failed; retrying next round", exc_info=True)
            else:
                watch.ok()

    async def round(self) -> None:
        hub = self.hub
        # Subscriptions first: they must be renewed within group_expiry even while the database is down.
        await hub.subscribe_all()
        alive = await database_sync_to_async(services.process_heartbeat)(process_id=hub.process_id)
        if not alive:
            await self._declared_dead()
        for connection_id in list(self.leaves):
            await database_sync_to_async(services.presence_leave)(connection_id=connection_id)
            self.leaves.discard(connection_id)
        await database_sync_to_async(services.presence_sweep)()
        await database_sync_to_async(services.rooms_purge_empty)()
        await self.sweep_uploads()
        await self.refill()

    async def sweep_uploads(self, *, now: bool = False) -> int:
        """Unsent uploads past UPLOAD_UNSENT_TTL go, files and all; at most once a UPLOAD_SWEEP_EVERY."""
        if not now and time.monotonic() - self.uploads_swept_at < self.UPLOAD_SWEEP_EVERY:
            return 0
        self.uploads_swept_at = time.monotonic()
        swept = await database_sync_to_async(services.attachments_sweep_unsent)()
        if swept:
            logger.info("swept %d upload(s) never sent", swept)
        return swept

    async def refill(self, *, now: bool = False) -> None:
        """Catch up each local room on messages the channel layer lost.

        A message the database already had at the previous round and the hub
        has still not heard of is lost. One committed since may simply be on
        its way: under load, reading those back for every socket at once
        (as the first version did) turned a backlog into a meltdown
        (docs/performance.md). `now` skips the grace, after a layer outage.
        """
        rooms = self.hub.rooms
        if not rooms:
            return
        tails = await database_sync_to_async(selectors.room_tails)(room_ids=list(rooms))
        for room_id, last_seq in tails.items():
            local = rooms.get(room_id)
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
        hub = self.hub
        logger.warning("process %s was declared dead; re-registering and dropping its sockets", hub.process_id)
        hub.process_id = await database_sync_to_async(services.process_register)()
        self.leaves.clear()  # the sweep took every connection of the old id
        for socket in list(hub.sockets):
            await socket.evict("", close_code=Close.RESTART)
