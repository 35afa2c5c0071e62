"""The database thread, counted: how many calls wait for it or run on it, for admission at the handshake.

Every socket's database work in a process runs on one thread (channels'
`database_sync_to_async` is thread-sensitive), one call after another. When
thousands of pages reconnect at once (a deploy), their handshakes queue there,
each waiting longer than the last, until clients give up on handshakes the
server still works through: congestion collapse (docs/performance.md, the
reconnect storm). `database_sync_to_async` here is channels' own, counting the
calls it hands to that thread; rooms/ws/admission.py refuses a handshake ("try
again") while more than WS_HANDSHAKE_QUEUE_MAX of them are outstanding, so
clients back off with their jitter instead of piling up.
"""

import threading

from channels.db import DatabaseSyncToAsync

_lock = threading.Lock()  # one event loop per process under daphne; a test may run more than one
_outstanding = 0


def outstanding() -> int:
    """Calls handed to the database thread that have not returned yet (waiting or running)."""
    return _outstanding


class CountedDatabaseSyncToAsync(DatabaseSyncToAsync):
    """channels.db.database_sync_to_async, counted in `outstanding()`."""

    async def __call__(self, *args, **kwargs):
        global _outstanding
        with _lock:
            _outstanding += 1
        try:
            return await super().__call__(*args, **kwargs)
        finally:
            with _lock:
                _outstanding -= 1


database_sync_to_async = CountedDatabaseSyncToAsync
