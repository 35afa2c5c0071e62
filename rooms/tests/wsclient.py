"""A protocol client over a real WebSocket, for tests against daphne processes."""

import asyncio
import json
from urllib.parse import urlsplit

import websockets

NOISE = ("room_list", "room_update", "room_removed", "member_list", "system_message")


class WSClient:
    def __init__(self, url: str, *, cookie: str | None = None, name: str = ""):
        self.url = url
        self.cookie = cookie
        self.name = name
        self.ws = None

    async def open(self) -> "WSClient":
        parts = urlsplit(self.url)
        headers = {"Cookie": self.cookie} if self.cookie else None
        self.ws = await websockets.connect(
            self.url, origin=f"http://{parts.netloc}", additional_headers=headers, open_timeout=10, max_size=None
        )
        return self

    async def send(self, event: str, data: dict | None = None) -> None:
        await self.ws.send(json.dumps({"event": event, "data": data or {}}))

    async def receive(self, wait: float = 5) -> tuple[str, dict]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), wait))
        return frame["event"], frame["data"]

    async def expect(self, event: str, *, skip: tuple[str, ...] = NOISE, wait: float = 5, where=None) -> dict:
        """The next frame not in `skip` (and matching `where`); it must be `event`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            name, data = await self.receive(max(0.01, deadline - loop.time()))
            if name == event and (where is None or where(data)):
                return data
            if name not in skip and name != event:
                raise AssertionError(f"{self.name}: expected {event}, got {name}: {data}")

    async def join(self, room: str, username: str, **extra) -> dict:
        await self.send("join_room", {"room_name": room, "username": username, **extra})
        return await self.expect("join_confirm")

    async def drain(self, seconds: float = 0.3) -> list[tuple[str, dict]]:
        frames = []
        while True:
            try:
                frames.append(await self.receive(seconds))
            except TimeoutError:
                return frames

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
