"""One database read shared by every socket that asks for it at the same moment (the lobby's room list).

A storm of reconnecting sockets (a deploy, a network blip) each asked for the
same `room_list`: N sockets, N identical reads queued on the one database
thread, each behind the last. Here the sockets that ask while no read has
started yet share the next one.

Why not a cache with a time to live: a socket follows the lobby's live
updates from before it asks, so the snapshot it gets must be taken after it
asked, or a change between the two would never reach it. A read that has
already started is therefore never joined; whoever asks during it waits for
the next one, which starts when this one ends. At most two reads are in the
air, whatever the number of sockets.
"""

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any


class SharedRead:
    """`await shared.get()`: the result of a `read()` (sync, run through `run`) that started after the call."""

    def __init__(self, read: Callable[[], Any], run: Callable[[Callable[[], Any]], Callable[[], Awaitable[Any]]]):
        self.read = read
        self.run = run  # database_sync_to_async, or any wrapper of a sync callable into an awaitable one
        self.lock = threading.Lock()  # `waiting` is sealed on the database thread, read on the event loop
        self.waiting: asyncio.Future | None = None  # the read not started yet, which new callers join
        self.running: asyncio.Future | None = None  # the read started, which new callers do not join
        self._tasks: set[asyncio.Task] = set()

    async def get(self) -> Any:
        loop = asyncio.get_running_loop()
        with self.lock:
            future = self.waiting
            if future is None or future.get_loop() is not loop:
                future = self.waiting = loop.create_future()
                # No one may be left to retrieve a failure (every caller gone): fetch it, so asyncio logs nothing.
                future.add_done_callback(lambda done: done.cancelled() or done.exception())
                first = True
            else:
                first = False
        if first:
            task = loop.create_task(self._start(future))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(future)

    async def _start(self, future: asyncio.Future) -> None:
        # One read at a time: the next waits for the running one, and all who came meanwhile share it.
        if self.running is not None and not self.running.done():
            await asyncio.wait([self.running])
        self.running = future

        def sealed_read():
            with self.lock:
                if self.waiting is future:
                    self.waiting = None  # from now on, callers wait for the next read
            return self.read()

        try:
            result = await self.run(sealed_read)()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as error:  # handed to every caller, each answers it as its own read would
            if not future.done():
                future.set_exception(error)
        else:
            if not future.done():
                future.set_result(result)
