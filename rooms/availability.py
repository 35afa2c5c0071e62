"""What a database outage raises, how it is answered, and how it is logged.

PostgreSQL restarting, failing over or out of reach for a few seconds is
expected and handled: whatever could not be done is answered `unavailable`
with `retry_after`, the client keeps what it sent and sends it again (the
same client_id, so it is stored once), and Django opens a fresh connection on
the next call. So an outage is logged as one warning line, not as a
traceback per failed call. The ws layer, the services and the hub all meet it,
hence this module at the top of `rooms`, free of models.
"""

import logging
import time

from django.db import InterfaceError, OperationalError

from rooms.errors import ChatError, Code

logger = logging.getLogger(__name__)

# What Django raises when the database cannot be reached or the connection broke (a restart
# terminates every session). Also a deadlock or a lock timeout: they too pass when tried again.
DATABASE_OUTAGE = (OperationalError, InterfaceError)

# How long a client waits before it sends again: a restart takes a few seconds, and a
# shorter wait would only add refused frames to a server that is already struggling.
RETRY_AFTER_SECONDS = 2.0


def unavailable() -> ChatError:
    """The answer to an action the database could not take: try the same again after `retry_after`."""
    return ChatError(Code.UNAVAILABLE, retry_after=RETRY_AFTER_SECONDS)


class DatabaseWatch:
    """Whether this process reaches its database, said once per outage (and once a minute while it lasts)."""

    REPEAT_SECONDS = 60.0

    def __init__(self) -> None:
        self.down_since: float | None = None
        self.last_logged = 0.0

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def failed(self, action: str, error: Exception) -> None:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
        elif now - self.last_logged < self.REPEAT_SECONDS:
            logger.debug("database still unavailable (%s: %s)", action, error)
            return
        self.last_logged = now
        logger.warning(
            "database unavailable for %.0f s (%s: %s: %s); clients are answered `unavailable` and send again",
            now - self.down_since,
            action,
            type(error).__name__,
            str(error).strip().splitlines()[0] if str(error).strip() else "",
        )

    def ok(self) -> None:
        """A database call went through: if that ends an outage, say so."""
        if self.down_since is None:
            return
        logger.info("database available again after %.1f s", time.monotonic() - self.down_since)
        self.down_since = None


watch = DatabaseWatch()  # one per process: every socket and task shares the one database
