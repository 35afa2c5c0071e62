"""ASGI entry point: HTTP goes to Django, /ws/chat/ to the chat consumer, /socket.io/ to its transports.

Run with `daphne chatsite.asgi:application` (or `manage.py runserver`, which is
daphne's). The WebSocket side checks the Origin (scheme, host and port must be
this site's: rooms/ws/origin.py) before any consumer code runs, then loads the
session and the user (a database outage meanwhile refuses the handshake as
"try again later": rooms/ws/auth.py). /socket.io/ (rooms/ws/sio/), over
HTTP long-polling and WebSocket, makes the same Origin check with room for
non-browser clients (rooms/ws/origin.py `sio_origin_allowed`).
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
django_asgi_app = get_asgi_application()  # sets Django up before the imports below

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import URLRouter  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from rooms.ws.auth import SocketAuth  # noqa: E402
from rooms.ws.availability import DatabaseOutageGuard  # noqa: E402
from rooms.ws.daphne import (  # noqa: E402
    close_cleanly_on_protocol_errors,
    defer_connection_dumps,
    forget_opening_handshakes,
    leave_request_bodies_to_django,
    light_application_queues,
    pace_upgrades,
)
from rooms.ws.origin import SameOriginValidator, sio_origin_allowed  # noqa: E402
from rooms.ws.routing import ByType, HandOffRouter, websocket_urlpatterns  # noqa: E402
from rooms.ws.sio.transports import polling_app, websocket_app  # noqa: E402

close_cleanly_on_protocol_errors()
defer_connection_dumps()
leave_request_bodies_to_django()
light_application_queues()
forget_opening_handshakes()
pace_upgrades()  # wraps forget_opening_handshakes' process: held or refused before any of it runs


def chat_stack(consumer):
    """/ws/chat/'s checks around a consumer: the Origin, then admission, the session and user (an outage refuses).

    SocketAuth is Channels' AuthMiddlewareStack and the DatabaseOutageGuard in one
    layer (rooms/ws/auth.py says why).
    """
    return SameOriginValidator(SocketAuth(consumer))


# The routers and the Origin check hand each WebSocket on rather than staying on its stack (rooms/ws/routing.py).
application = ByType(
    {
        "http": URLRouter([path("socket.io/", polling_app), re_path(r"", django_asgi_app)]),
        "websocket": HandOffRouter(
            [
                path(
                    "socket.io/",
                    SameOriginValidator(
                        DatabaseOutageGuard(AuthMiddlewareStack(websocket_app)), allowed=sio_origin_allowed
                    ),
                ),
                # Each of rooms/ws/routing.py's routes under its own stack rather than one stack around a
                # second router: a router copies the scope and stays on every socket's stack for as long as
                # the socket is open (bench/idle_memory.py).
                *(
                    type(route)(route.pattern, chat_stack(route.callback), name=route.name)
                    for route in websocket_urlpatterns
                ),
            ]
        ),
    }
)

# What importing Django, the URLs and the models left (some 130,000 objects) lives as long as the process:
# frozen, CPython's full collections stop walking it again. With thousands of sockets those come every
# second or so and hold the GIL for 200-580 ms each (docs/performance.md, "Fifth round"); this takes the
# startup part, about 50 ms, off each.
gc.freeze()
