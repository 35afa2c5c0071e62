"""ASGI middleware: a database outage during a WebSocket handshake refuses it, without a traceback;
so does a database thread too far behind (rooms/ws/admission.py), before anything is read.

The session middleware (Channels' AuthMiddleware; rooms/ws/auth.py on
/ws/chat/) reads the session and the user from the database before any
consumer code runs. While the database is away that read raises,
and daphne would log "Exception inside application" with a traceback for
every page trying to reconnect. Here the handshake is refused instead, as
"try again later", and the outage is logged once (rooms/availability.py); the
page reconnects with its usual backoff. What the consumer itself reads, it
handles the same way (rooms/ws/consumer.py).
"""

from rooms.availability import DATABASE_OUTAGE, watch
from rooms.errors import Close
from rooms.ws.admission import admission


async def refuse_try_again(send) -> None:
    """Refuse a WebSocket handshake as "try again later" (daphne answers the upgrade with 403)."""
    await send({"type": "websocket.close", "code": Close.TRY_AGAIN})


class DatabaseOutageGuard:
    """Around a middleware stack that reads the database at the handshake (Channels' AuthMiddlewareStack).

    /ws/chat/'s own SocketAuth (rooms/ws/auth.py) does the same for itself, so that
    no extra layer stays on each socket's stack.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if admission.refuses(scope):
            return await refuse_try_again(send)
        try:
            return await self.application(scope, receive, send)
        except DATABASE_OUTAGE as error:
            watch.failed("websocket handshake", error)
            await refuse_try_again(send)
