"""Admission at the handshake: a process that is behind on its database lets no new socket in until it catches up.

A reconnect storm (every page of a restarted server at once) queues each
handshake's session read, lobby, inbox and join behind all the others on the
one database thread (rooms/dbthread.py). Past a bound the wait outgrows what
a client waits for its handshake, it gives up and retries, and the server
still does the abandoned work: fewer are let in the harder they try. So while
more than WS_HANDSHAKE_QUEUE_MAX database calls are outstanding, a handshake
is not let in: refused at once, before the session is read, as during a database outage
("try again"). Under daphne every upgrade request is paced before any of
the socket is built (rooms/ws/daphne.py pace_upgrades): let in
while `room()` says the thread has room for its opening, otherwise held and let
in as the process catches up, or answered 503 once it has waited
WS_HANDSHAKE_WAIT_SECONDS; a request it lets in carries LET_IN_HEADER and is
not asked again. Under other servers, and under daphne with no wait, the layer
after the Origin check asks here and daphne answers the upgrade with 403: rooms/ws/auth.py's SocketAuth on
/ws/chat/, rooms/ws/availability.py's DatabaseOutageGuard on /socket.io/ over
WebSocket; rooms/ws/sio/transports.py's polling_app asks for a long-polling
handshake, answered 503. The page retries with its backoff and jitter (static/js/socket.js).
A socket already open is never refused anything here.
"""

import logging
import secrets
import time
from collections import deque

from django.conf import settings

from rooms import dbthread

logger = logging.getLogger(__name__)

REPORT_EVERY_SECONDS = 10.0  # refusals are logged as one line per this interval, not one per handshake
# A handshake daphne let in (rooms/ws/daphne.py) is counted against the database thread's room until its own
# check here, which comes a moment later, once autobahn and daphne have built the socket; at most this long.
LETTING_IN_SECONDS = 2.0
# The header daphne puts on an upgrade request it lets in (after dropping any a client sent): the layer
# after the Origin check lets that socket through, its place on the database thread already counted.
LET_IN_HEADER = b"x-chatsite-let-in"


class Admission:
    """Whether the process is too far behind to take a handshake now; refusals and holds logged once per interval."""

    def __init__(self):
        self.refused = 0
        self.held = 0
        self.reported_at = 0.0
        self.token = secrets.token_hex(16).encode()  # this process's LET_IN_HEADER value
        self.letting_in: deque[float] = (
            deque()
        )  # when each handshake let in that has not reached its check yet was let in

    def behind(self) -> bool:
        """True while more than WS_HANDSHAKE_QUEUE_MAX calls are outstanding; the handshake asking is counted as refused."""
        if dbthread.outstanding() <= settings.WS_HANDSHAKE_QUEUE_MAX:
            return False
        self.note(held=False)
        return True

    def note(self, *, held: bool) -> None:
        """Count one handshake refused, or (`held`: daphne keeps it waiting, rooms/ws/daphne.py) held; log the
        counts once per REPORT_EVERY_SECONDS."""
        if held:
            self.held += 1
        else:
            self.refused += 1
        now = time.monotonic()
        if now - self.reported_at < REPORT_EVERY_SECONDS:
            return
        queued = dbthread.outstanding()
        if self.refused:
            logger.warning(
                "refusing handshakes (try again): %d database calls outstanding, past WS_HANDSHAKE_QUEUE_MAX %d; "
                "%d refused since the last report",
                queued,
                settings.WS_HANDSHAKE_QUEUE_MAX,
                self.refused,
            )
        if self.held:
            logger.warning(
                "holding handshakes until the database thread catches up: %d database calls outstanding "
                "(WS_HANDSHAKE_QUEUE_MAX %d); %d held since the last report",
                queued,
                settings.WS_HANDSHAKE_QUEUE_MAX,
                self.held,
            )
        self.refused, self.held, self.reported_at = 0, 0, now

    def room(self) -> int:
        """How many more handshakes may be let in now: as `behind()`, one is while at most
        WS_HANDSHAKE_QUEUE_MAX calls are outstanding (with 0, one at a time while none is), each opening
        having one database call out at a time and those let in that have not reached their check yet
        counted as one each."""
        now = time.monotonic()
        while self.letting_in and now - self.letting_in[0] > LETTING_IN_SECONDS:
            self.letting_in.popleft()
        return settings.WS_HANDSHAKE_QUEUE_MAX + 1 - dbthread.outstanding() - len(self.letting_in)

    def let_in(self) -> bytes:
        """A handshake is let in: counted until it reaches its check; the LET_IN_HEADER value to mark it with."""
        self.letting_in.append(time.monotonic())
        return self.token

    def refuses(self, scope) -> bool:
        """The check of the layer after the Origin check: `behind()`, except for a handshake daphne let in (already counted)."""
        for name, value in scope.get("headers", ()):
            if name == LET_IN_HEADER:
                if value == self.token:
                    if self.letting_in:
                        self.letting_in.popleft()
                    return False
                break
        return self.behind()


admission = Admission()
