"""What a channel layer raises while Redis is down or restarting, and how that is logged.

An outage is expected and handled: every message is in the database, and each
hub refills its rooms from it (rooms/realtime/). So it is logged as one warning
line, not as a traceback per failed call. Kept free of models so the logging
configuration can load it before the apps.
"""

import asyncio
import logging
import time
import weakref

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

LAYER_OUTAGE = (OSError, TimeoutError, RedisConnectionError, RedisTimeoutError)


class LayerOutageFilter(logging.Filter):
    """For channels_redis's pub/sub layer, which logs each failed read with a traceback, once a second.

    A record carrying an outage error becomes a one-line warning, at most one a
    minute; any other record passes untouched.
    """

    REPEAT_SECONDS = 60.0

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.last_logged = -self.REPEAT_SECONDS

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, LAYER_OUTAGE):
            return True
        now = time.monotonic()
        if now - self.last_logged < self.REPEAT_SECONDS:
            return False
        self.last_logged = now
        record.msg = f"{record.getMessage()}: {type(error).__name__}: {error} (channel layer unavailable)"
        record.args = ()
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class LayerWatch:
    """Whether this process's channel layer is reachable, said once per outage rather than per call."""

    def __init__(self) -> None:
        self.down_since: float | None = None
        self._watched: weakref.WeakSet[asyncio.Task] = weakref.WeakSet()

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def failed(self, action: str, error: Exception) -> None:
        """The layer is unreachable (Redis down or restarting): say so once per outage, not per message.

        Nothing is lost meanwhile: every message is in the database, and each
        housekeeping round refills the local rooms from it.
        """
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.warning(
                "channel layer unavailable (%s: %s: %s); rooms are kept up to date from the database until it is back",
                action,
                type(error).__name__,
                error,
            )
        else:
            logger.debug("channel layer still unavailable (%s: %s)", action, error)

    def ok(self) -> bool:
        """A call went through; True when that ends an outage (the caller then recovers)."""
        if self.down_since is None:
            return False
        logger.info("channel layer available again after %.1f s", time.monotonic() - self.down_since)
        self.down_since = None
        return True

    def watch_cleaners(self, layer) -> None:
        """Take the outcome of channels_redis's acknowledgement tasks, which nobody else awaits.

        After each receive, channels_redis removes the message from a backup
        queue in a task of its own. If Redis goes away meanwhile, that task's
        error is part of the outage; left alone, asyncio would log it as
        "Task exception was never retrieved" with a traceback.
        """
        for task in getattr(layer, "receive_cleaners", ()):
            if task not in self._watched:
                self._watched.add(task)
                task.add_done_callback(_cleaner_done)


def _cleaner_done(task: asyncio.Task) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if isinstance(error, LAYER_OUTAGE):
        # The message itself was received; at worst its backup copy stays in Redis until it expires.
        logger.debug("channel layer acknowledgement failed: %s", error)
    elif error is not None:
        logger.warning("channel layer acknowledgement failed: %r", error)
