"""Sending what services announced to the channel layer: in commit order, all that is waiting at once."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from channels.layers import InMemoryChannelLayer

from rooms.realtime.bus import PUBLISH_BATCH, HubMessage, batched
from rooms.realtime.outages import LAYER_OUTAGE, LayerWatch

logger = logging.getLogger(__name__)


class Publisher:
    """The hub's outbox (the bus's sink) and the task that empties it."""

    def __init__(self, layer, watch: LayerWatch, deliver: Callable[[HubMessage], Awaitable[None]]):
        self.layer = layer
        self.watch = watch
        self.deliver = deliver  # this process's own dispatch, for the in-process layer
        self.outbox: asyncio.Queue[tuple[str, HubMessage]] = asyncio.Queue()
        self.on_layer_back: Callable[[], None] = lambda: None

    def put(self, group: str, message: HubMessage) -> None:
        """The bus's sink: queue a message for publishing (on the hub's loop)."""
        self.outbox.put_nowait((group, message))

    async def run(self) -> None:
        """Send what services queued, in the order they committed: all that is waiting, at once.

        Under load a group commit queues many messages in one go; publishing
        them one by one costs several Redis round trips each, in the sender and
        in every receiver (docs/performance.md). Whatever is waiting goes out
        as one `hub.batch` (bus.batched).
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
                    await self.deliver(message)
            else:
                await self.send(*batched(waiting))

    async def send(self, group: str, message: HubMessage) -> None:
        # While the layer is up, a failure gets one more try: a restarted Redis leaves
        # broken connections in the pool, and the next attempt takes a fresh one.
        attempts = 1 if self.watch.down else 2
        for attempt in range(1, attempts + 1):
            try:
                await self.layer.group_send(group, message)
            except LAYER_OUTAGE as error:
                if attempt == attempts:
                    self.watch.failed("publish", error)
                    return
                await asyncio.sleep(0.05)
            except Exception:
                logger.warning("could not publish to %s", group, exc_info=True)
                return
            else:
                if self.watch.ok():
                    self.on_layer_back()
                return
