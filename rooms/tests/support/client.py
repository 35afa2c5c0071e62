"""The one protocol client of the tests: chatsite's frames over a socket, in-process or over TCP.

`ProtocolClient` speaks the protocol (send, receive, expect, join, say,
collect); a transport says how frames travel:
- `ChatClient`: the real ASGI application in this process, through Channels'
  WebsocketCommunicator (the `connect` and `joined` fixtures in conftest.py);
- `WSClient`: a real WebSocket to a daphne process, through `websockets`.
`ChatUser` (tab.py) is a browser tab on top of a WSClient: it reconnects and
resumes the way the page does.
"""

import asyncio
import json
import ssl as ssl_module
from urllib.parse import urlsplit

import websockets
from channels.testing import WebsocketCommunicator

# Frames every socket receives about the lobby (and its person's inbox, right after connecting); most tests look past them.
LOBBY_NOISE = ("room_list", "inbox", "room_update", "room_updates", "room_removed")
# ... and about who is in the room.
NOISE = (*LOBBY_NOISE, "member_list", "system_message")
# ... and on the person's own stream (counts, new conversations, blocks).
STREAM_NOISE = ("unread", "direct_added", "block_added", "block_removed", "online")


def updated_rooms(name: str, data: dict) -> list[dict]:
    """The rooms a lobby frame updates: one (room_update), several (room_updates), or none."""
    if name == "room_update":
        return [data]
    return data["rooms"] if name == "room_updates" else []


class ProtocolClient:
    """One socket speaking chatsite's protocol; subclasses move the text."""

    name = ""
    skip: tuple[str, ...] = LOBBY_NOISE  # what `expect` looks past unless told

    async def send_text(self, text: str) -> None:
        raise NotImplementedError

    async def receive_text(self, wait: float) -> str:
        """The next frame's text; TimeoutError after `wait` seconds."""
        raise NotImplementedError

    async def quiet(self, seconds: float) -> bool:
        """True when no frame arrives within `seconds` (the frame, if one does, stays unread)."""
        raise NotImplementedError

    async def send(self, event: str, data: dict | None = None) -> None:
        await self.send_text(json.dumps({"event": event, "data": data or {}}))

    async def receive(self, wait: float = 5) -> tuple[str, dict]:
        frame = json.loads(await self.receive_text(wait))
        return frame["event"], frame["data"]

    async def expect(self, event: str, *, skip: tuple[str, ...] | None = None, wait: float = 5, where=None) -> dict:
        """The next frame not in `skip` (and matching `where`); it must be `event`."""
        skip = self.skip if skip is None else skip
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            name, data = await self.receive(max(0.01, deadline - loop.time()))
            if name == event and (where is None or where(data)):
                return data
            if name not in skip and name != event:
                raise AssertionError(f"{self.name or 'client'}: expected {event}, got {name}: {data}")

    async def collect(self, *, seconds: float = 0.4) -> list[tuple[str, dict]]:
        """Every frame that arrives until none has for `seconds`."""
        frames = []
        while not await self.quiet(seconds):
            frames.append(await self.receive())
        return frames

    async def events(self, *, seconds: float = 0.4, skip: tuple[str, ...] = LOBBY_NOISE) -> list[str]:
        return [name for name, _ in await self.collect(seconds=seconds) if name not in skip]

    async def join(self, room: str, username: str | None = None, **extra) -> dict:
        data = {"room_name": room, **extra}
        if username is not None:
            data["username"] = username
        await self.send("join_room", data)
        return await self.expect("join_confirm", skip=(*NOISE, *STREAM_NOISE))

    async def say(self, text: str, client_id: str | None = None) -> dict:
        data = {"text": text}
        if client_id:
            data["client_id"] = client_id
        await self.send("send_message", data)
        return await self.expect("receive_message", skip=(*NOISE, "ack", "room_state", "typing"))


async def owned_room(connect, owner: str = "ann") -> tuple["ChatClient", str]:
    """A private room created (and so owned) by `owner`, with them in it: (their client, the code)."""
    client = await connect(username=owner)
    await client.send("create_room")
    code = (await client.expect("room_created"))["room"]["name"]
    assert (await client.join(code))["owner"] is True
    return client, code


class ChatClient(ProtocolClient):
    """A browser tab, as far as the server can tell: a WebSocket with a session cookie, in this process."""

    def __init__(self, communicator: WebsocketCommunicator, session_key: str | None):
        self.communicator = communicator
        self.session_key = session_key
        self.inbox: dict = {}  # the `inbox` frame it got right after connecting

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def send_raw(self, text: str | None = None, binary: bytes | None = None) -> None:
        await self.communicator.send_to(text_data=text, bytes_data=binary)

    async def receive_text(self, wait: float) -> str:
        return await self.communicator.receive_from(timeout=wait)

    async def quiet(self, seconds: float) -> bool:
        # receive_nothing polls without cancelling the app (a receive timeout would).
        return await self.communicator.receive_nothing(timeout=seconds, interval=0.02)

    async def close(self) -> None:
        await self.communicator.disconnect()


class WSClient(ProtocolClient):
    """A real WebSocket to a running server."""

    skip = NOISE

    def __init__(
        self, url: str, *, cookie: str | None = None, name: str = "", ssl: ssl_module.SSLContext | None = None
    ):
        self.url = url
        self.cookie = cookie
        self.name = name
        self.ssl = ssl  # for wss:// URLs (through the TLS proxy of docs/deploy)
        self.ws = None
        self._early: str | None = None  # a frame `quiet` saw arrive

    async def open(self) -> "WSClient":
        parts = urlsplit(self.url)
        headers = {"Cookie": self.cookie} if self.cookie else None
        scheme = "https" if parts.scheme == "wss" else "http"
        options = {"ssl": self.ssl} if parts.scheme == "wss" else {}
        self.ws = await websockets.connect(
            self.url,
            origin=f"{scheme}://{parts.netloc}",
            additional_headers=headers,
            open_timeout=10,
            max_size=None,
            **options,
        )
        return self

    async def send_text(self, text: str) -> None:
        await self.ws.send(text)

    async def receive_text(self, wait: float) -> str:
        if self._early is not None:
            text, self._early = self._early, None
            return text
        return await asyncio.wait_for(self.ws.recv(), wait)

    async def quiet(self, seconds: float) -> bool:
        if self._early is not None:
            return False
        try:
            self._early = await asyncio.wait_for(self.ws.recv(), seconds)
        except TimeoutError:
            return True
        return False

    async def drain(self, seconds: float = 0.3) -> list[tuple[str, dict]]:
        return await self.collect(seconds=seconds)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
