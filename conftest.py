"""Project-wide fixtures: WebSocket clients on the real ASGI app, sessions, servers."""

import contextlib
import json
from collections.abc import AsyncIterator

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from chatsite.asgi import application
from rooms import hub
from rooms.identity import GUEST_KEY, USERNAME_KEY

ORIGIN = b"http://localhost"
# Frames every socket receives about the lobby; most tests look past them.
LOBBY_NOISE = ("room_list", "room_update", "room_updates", "room_removed")


class ChatClient:
    """A browser tab, as far as the server can tell: a WebSocket with a session cookie."""

    def __init__(self, communicator: WebsocketCommunicator, session_key: str | None):
        self.communicator = communicator
        self.session_key = session_key

    async def send(self, event: str, data: dict | None = None) -> None:
        await self.communicator.send_json_to({"event": event, "data": data or {}})

    async def send_raw(self, text: str | None = None, binary: bytes | None = None) -> None:
        await self.communicator.send_to(text_data=text, bytes_data=binary)

    async def receive(self, wait: float = 3) -> tuple[str, dict]:
        frame = json.loads(await self.communicator.receive_from(timeout=wait))
        return frame["event"], frame["data"]

    async def expect(self, event: str, *, skip: tuple[str, ...] = LOBBY_NOISE, wait: float = 3) -> dict:
        """The next frame that is not in `skip`; it must be `event`."""
        while True:
            name, data = await self.receive(wait)
            if name == event:
                return data
            if name not in skip:
                raise AssertionError(f"expected {event}, got {name}: {data}")

    async def collect(self, *, seconds: float = 0.4) -> list[tuple[str, dict]]:
        """Every frame that arrives within `seconds`."""
        frames = []
        # receive_nothing polls without cancelling the app (a receive timeout would).
        while not await self.communicator.receive_nothing(timeout=seconds, interval=0.02):
            frames.append(await self.receive())
        return frames

    async def events(self, *, seconds: float = 0.4, skip: tuple[str, ...] = LOBBY_NOISE) -> list[str]:
        return [name for name, _ in await self.collect(seconds=seconds) if name not in skip]

    async def join(self, room: str, username: str | None = None, **extra) -> dict:
        data = {"room_name": room, **extra}
        if username is not None:
            data["username"] = username
        await self.send("join_room", data)
        return await self.expect("join_confirm", skip=(*LOBBY_NOISE, "member_list", "system_message"))

    async def say(self, text: str, client_id: str | None = None) -> dict:
        data = {"text": text}
        if client_id:
            data["client_id"] = client_id
        await self.send("send_message", data)
        return await self.expect(
            "receive_message", skip=(*LOBBY_NOISE, "member_list", "system_message", "ack", "room_state", "typing")
        )

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture(autouse=True)
def _generous_flood_limits(settings):
    """Most tests send faster than a person; flood-control tests set their own limits."""
    settings.RATE_LIMIT_BURST = 100_000
    settings.FRAME_RATE_BURST = 100_000


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Slow mode and code guessing are counted in the cache: start every test with none counted.

    Only the in-process cache is cleared; a shared Redis (integration runs) is left alone.
    """
    if isinstance(cache, LocMemCache):
        cache.clear()


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
        event, _ = await client.receive()
        assert event == "room_list"
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
