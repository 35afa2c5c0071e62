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
"""

from importlib import import_module

from channels.auth import UserLazyObject, get_user
from django.conf import settings
from django.http import parse_cookie
from django.utils.functional import LazyObject


class SocketAuth:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SocketAuth serves WebSockets only; HTTP goes through Django's middleware")
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
        scope["user"]._wrapped = await get_user(scope)
        return await self.inner(scope, receive, send)
