"""/ws/'s routes, and the routers that hand each connection to its application.

Channels' ProtocolTypeRouter and URLRouter await the application they pick, so
each stays on the connection's stack, a coroutine frame with its locals (and
URLRouter's copy of the scope), for as long as the connection is open: about
a KiB per idle WebSocket between the two (bench/idle_memory.py). The two
here pick the same way and return the application's coroutine instead, so
that daphne's task runs the application itself. asgiref's
`_asgi_single_callable` hint tells servers and test harnesses that a plain
`__call__` returning the awaitable is an ASGI 3 application.
"""

from channels.routing import URLRouter
from django.urls import path, re_path

from rooms.ws.consumer import ChatConsumer
from rooms.ws.socket import RefuseConsumer

websocket_urlpatterns = [
    path("ws/chat/", ChatConsumer.as_asgi()),
    re_path(r"", RefuseConsumer.as_asgi()),
]


class ByType:
    """ASGI application: each scope type to its application (Channels' ProtocolTypeRouter, handing off)."""

    _asgi_single_callable = True

    def __init__(self, application_mapping):
        self.application_mapping = application_mapping

    def __call__(self, scope, receive, send):
        try:
            application = self.application_mapping[scope["type"]]
        except KeyError:
            raise ValueError(f"No application configured for scope type {scope['type']!r}") from None
        return application(scope, receive, send)


class HandOffRouter(URLRouter):
    """Channels' URLRouter for routes without captured arguments, handing the connection off.

    The routes' patterns are matched as URLRouter matches them (its root_path
    and leading-slash handling); the scope is passed on as it came, since
    these routes capture nothing for `url_route` and nested routers are not used.
    """

    _asgi_single_callable = True

    def __init__(self, routes):
        super().__init__(routes)
        for route in self.routes:
            if route.pattern.regex.groups or route.default_args:
                raise ValueError(f"HandOffRouter routes capture nothing: {route.pattern}")
            if getattr(route.callback, "_path_routing", False):
                raise ValueError("HandOffRouter does not nest routers")

    def __call__(self, scope, receive, send):
        path = scope.get("path")
        if path is None:
            raise ValueError("No 'path' key in connection scope, cannot route URLs")
        root_path = scope.get("root_path", "")
        if root_path and not path.startswith(root_path):
            raise ValueError(f"No route found for path {path!r}.")
        path = path[len(root_path) :].lstrip("/")
        for route in self.routes:
            if route.pattern.match(path):
                return route.callback(scope, receive, send)
        raise ValueError(f"No route found for path {path!r}.")
