"""ASGI middleware: the cookies, the Django session and the user of a WebSocket, in one layer.

What Channels' AuthMiddlewareStack (CookieMiddleware, SessionMiddleware,
AuthMiddleware) puts in the scope, the same objects read the same way (its own
`get_user`, a LazyObject session of the configured engine), for
/ws/chat/ only. The stack is three middlewares, each copying the scope and
keeping a coroutine (and the session one a wrapper object) on every socket's
stack for as long as the socket is open: a few KiB per idle socket
(bench/idle_memory.py). What it does besides, saving a changed session on
`http.response.start`, never happens on a WebSocket: the consumer saves the
session itself (rooms/identity.py `remember_username`).

It is also /ws/chat/'s DatabaseOutageGuard (rooms/ws/availability.py): a process
behind on its database refuses the handshake before the session is read, and a
database outage during the read refuses it as "try again", logged once. Here
rather than in a layer of its own, because every layer that awaits the next
stays on the socket's stack as long as it is open.
"""

from importlib import import_module

from channels.auth import UserLazyObject, get_user
from django.conf import settings
from django.http import parse_cookie
from django.utils.functional import LazyObject

from rooms.availability import DATABASE_OUTAGE, watch
from rooms.ws.admission import admission
from rooms.ws.availability import refuse_try_again


class SocketAuth:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SocketAuth serves WebSockets only; HTTP goes through Django's middleware")
        if admission.refuses(scope):
            return await refuse_try_again(send)
        cookies = {}
        for name, value in scope.get("headers", []):
            if name == b"cookie":  # the first, as Channels' CookieMiddleware reads it
                cookies = parse_cookie(value.decode("latin1"))
                break
        session = LazyObject()
        session._wrapped = import_module(settings.SESSION_ENGINE).SessionStore(
            cookies.get(settings.SESSION_COOKIE_NAME)
        )
        scope = dict(scope, cookies=cookies, session=session, user=UserLazyObject())
        try:
            scope["user"]._wrapped = await get_user(scope)
        except DATABASE_OUTAGE as error:
            watch.failed("websocket handshake", error)
            return await refuse_try_again(send)
        return await self.inner(scope, receive, send)
