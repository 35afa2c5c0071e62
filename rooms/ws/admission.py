"""Admission at the handshake: a process that is behind on its database refuses new sockets until it catches up.

A reconnect storm (every page of a restarted server at once) queues each
handshake's session read, lobby, inbox and join behind all the others on the
one database thread (rooms/dbthread.py). Past a bound the wait outgrows what
a client waits for its handshake, it gives up and retries, and the server
still does the abandoned work: fewer are let in the harder they try. So while
more than WS_HANDSHAKE_QUEUE_MAX database calls are outstanding, a handshake
is refused at once, before the session is read, as during a database outage
("try again"). Under daphne the upgrade request itself is answered 503 before
any of the socket is built (rooms/ws/daphne.py refuse_upgrades_while_behind);
behind that, and under other servers, the layer after the Origin check asks
here and daphne answers the upgrade with 403: rooms/ws/auth.py's SocketAuth on
/ws/chat/, rooms/ws/availability.py's DatabaseOutageGuard on /socket.io/ over
WebSocket; rooms/ws/sio/transports.py's polling_app asks for a long-polling
handshake, answered 503. The page retries with its backoff and jitter (static/js/socket.js).
A socket already open is never refused anything here.
"""

import logging
import time

from django.conf import settings

from rooms import dbthread

logger = logging.getLogger(__name__)

REPORT_EVERY_SECONDS = 10.0  # refusals are logged as one line per this interval, not one per handshake


class Admission:
    """Whether the process is too far behind to take a handshake now; refusals logged once per interval."""

    def __init__(self):
        self.refused = 0
        self.reported_at = 0.0

    def behind(self) -> bool:
        queued = dbthread.outstanding()
        if queued <= settings.WS_HANDSHAKE_QUEUE_MAX:
            return False
        self.refused += 1
        now = time.monotonic()
        if now - self.reported_at >= REPORT_EVERY_SECONDS:
            logger.warning(
                "refusing handshakes (try again): %d database calls outstanding, past WS_HANDSHAKE_QUEUE_MAX %d; "
                "%d refused since the last report",
                queued,
                settings.WS_HANDSHAKE_QUEUE_MAX,
                self.refused,
            )
            self.refused, self.reported_at = 0, now
        return True


admission = Admission()
