"""Project-wide fixtures: WebSocket clients on the real ASGI app, sessions, servers."""

import atexit
import contextlib
from collections.abc import AsyncIterator

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from chatsite.asgi import application
from rooms.identity import GUEST_KEY, USERNAME_KEY
from rooms.realtime import hub
from rooms.tests.support.client import ChatClient

ORIGIN = b"http://localhost"


@pytest.fixture(scope="session", autouse=True)
def _no_deregistering_at_exit():
    """A hub a test left running would take its (test) members out of their rooms at interpreter exit."""
    yield
    if hub._hub is not None:
        atexit.unregister(hub._hub.housekeeping.deregister)


@pytest.fixture(autouse=True)
def _generous_flood_limits(settings):
    """Most tests send faster than a person; flood-control tests set their own limits."""
    settings.RATE_LIMIT_BURST = 100_000
    settings.FRAME_RATE_BURST = 100_000


@pytest.fixture(autouse=True)
def _no_link_previews(settings):
    """Tests post links they never mean to be fetched (the network is loopback only); preview tests turn it on."""
    settings.LINK_PREVIEWS = False


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, tmp_path):
    """Avatars a test uploads go to a folder of its own, never into the checkout's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Slow mode and code guessing are counted in the cache: start every test with none counted.

    Only the in-process cache is cleared; a shared Redis (integration runs) is left alone.
    (`django.core.cache.cache` is a proxy: the backend itself is `caches["default"]`.)
    """
    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        backend.clear()


@database_sync_to_async
def make_session(username: str | None = None) -> str:
    session = SessionStore()
    session[GUEST_KEY] = f"guest-{session._get_new_session_key()[:12]}"
    if username:
        session[USERNAME_KEY] = username
    session.create()
    return session.session_key


@pytest.fixture
async def connect() -> AsyncIterator:
    """Open clients on the real ASGI application (origin check, session, consumer, hub)."""
    opened: list[ChatClient] = []

    async def _connect(
        *, username: str | None = None, session: str | None | bool = True, origin: bytes | None = ORIGIN
    ) -> ChatClient:
        session_key = await make_session(username) if session is True else (session or None)
        headers = []
        if origin is not None:
            headers.append((b"origin", origin))
        if session_key:
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))
        communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        assert connected, "the handshake was refused"
        client = ChatClient(communicator, session_key)
        opened.append(client)
        # A lobby update of another test's join may slip in while the socket is reading its room_list.
        await client.expect("room_list", skip=("room_update", "room_updates"))
        # The person's own stream, restored, comes next (after any lobby update that arrived meanwhile).
        client.inbox = await client.expect("inbox")
        return client

    yield _connect
    for client in opened:
        with contextlib.suppress(Exception):  # already closed by the test or the server
            await client.close()
    await hub.reset()


@pytest.fixture
async def joined(connect):
    """A client already in a room: `client = await joined("general", "ann")`."""

    async def _joined(room: str = "general", username: str = "ann", **kwargs) -> ChatClient:
        client = await connect(username=username, **kwargs)
        await client.join(room, username)
        return client

    return _joined
