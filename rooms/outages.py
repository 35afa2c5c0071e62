"""What a channel layer raises while Redis is down or restarting, and how that is logged.

An outage is expected and handled: every message is in the database, and each
hub refills its rooms from it (rooms/hub.py). So it is logged as one warning
line, not as a traceback per failed call. Kept free of models so the logging
configuration can load it before the apps.
"""

import logging
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

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
