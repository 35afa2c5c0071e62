"""One chat socket that reconnects and resumes, the way the room page does (static/js/room/).

The connection knows the protocol's bookkeeping and nothing of the screen:
every server frame goes to `on_event(event, data)`, every change of state
(connecting, connected, reconnecting, closed) to `on_state(state, detail)`.

- It remembers the room it is in and the newest message id it has seen
  there; after a drop it joins again with `since_id`, so the server sends
  exactly what was missed (or `resync_required` and a fresh history).
- Every message goes out with a random `client_id` and stays in the outbox
  until its `ack`; after a reconnect, or `retry_after` seconds after an
  `unavailable` answer, the outbox is sent again in order (the server stores
  a `client_id` once, so nothing is doubled).
- Close codes that mean "do not come back" (docs/protocol.md) end it:
  a site ban, flood control, too many open tabs, a signed-out session, and a
  handshake the server refuses outright (HTTP 4xx: the Origin or the host).

Frames are built and checked with the server's own protocol module
(rooms/ws/protocol.py), so a frame the server would refuse for its shape is
refused here, with the same error code, before it is sent.
"""

import asyncio
import contextlib
import json
import random
import secrets
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from rooms.client.server import Server
from rooms.errors import ChatError, Close, Code
from rooms.ws.protocol import encode, parse_frame

OnEvent = Callable[[str, dict[str, Any]], Awaitable[None]]
OnState = Callable[[str, str], Awaitable[None]]

# The close codes after which reconnecting by itself would be wrong (docs/protocol.md "Close codes").
FINAL_CLOSES = {
    Close.BANNED: "You are banned from this site.",
    Close.FLOOD: "Disconnected for sending too fast.",
    Close.TOO_MANY_SOCKETS: "Too many open tabs: close some chatsite tabs or clients, then connect again.",
    Close.SIGNED_OUT: "This session was signed out: connect again.",
}
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 15.0
# A socket closed sooner than this after opening (1013 "try again later", a server in trouble) keeps backing off.
STEADY_SECONDS = 10.0


def decode(text: str) -> tuple[str, dict[str, Any]]:
    """A server frame's (event, data); a frame that is not one raises ChatError(bad_frame)."""
    try:
        frame = json.loads(text)
    except ValueError:
        raise ChatError(Code.BAD_FRAME, "The server sent a frame that is not JSON.") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("event"), str):
        raise ChatError(Code.BAD_FRAME, "The server sent a frame without an event.")
    data = frame.get("data") or {}
    return frame["event"], data if isinstance(data, dict) else {}


class Connection:
    """The socket of one person, kept open until `close()` or a final close code."""

    def __init__(self, server: Server, *, on_event: OnEvent, on_state: OnState, cookie: str | None = None):
        self.server = server
        self.cookie = cookie
        self.on_event = on_event
        self.on_state = on_state
        self.ws = None
        self.room: str | None = None  # the room we are in (join_confirm), to rejoin after a drop
        self.changes_seq = 0  # join_confirm.reactions_seq: sent back on resume, for what changed meanwhile
        self.username: str | None = None
        self.newest_id = 0  # the newest message id seen in `room`: the resume point
        self.outbox: dict[str, dict[str, Any]] = {}  # client_id -> send_message data, in sending order
        self.author: str | None = None  # our author token (join_confirm / identity)
        self._closing = False
        self.ended = False  # a final close: no more reconnects
        self._held_until = 0.0  # `unavailable`: send nothing before this (loop time)
        self._task: asyncio.Task | None = None

    # --- lifetime ---------------------------------------------------------

    def start(self) -> asyncio.Task:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self._task

    async def close(self) -> None:
        self._closing = True
        if self.ws is not None:
            await self.ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # its errors went through on_state
                await self._task

    async def _run(self) -> None:
        try:
            await self._reconnecting()
        finally:
            self.ended = True

    async def _reconnecting(self) -> None:
        delay = BACKOFF_FIRST
        first = True
        while not self._closing:
            await self.on_state("connecting" if first else "reconnecting", self.server.ws_url)
            opened = asyncio.get_running_loop().time()
            try:
                await self._session()
            except InvalidStatus as error:
                status = error.response.status_code
                if 400 <= status < 500:
                    await self.on_state(
                        "closed",
                        f"The server refused the connection (HTTP {status}): check the address; "
                        f"it accepts only its own origin, {self.server.origin}.",
                    )
                    return
                await self.on_state("down", f"The server answered HTTP {status}.")
            except ssl.SSLCertVerificationError as error:
                # Retrying cannot help: the person must trust the certificate (--cafile) or waive it (--insecure).
                await self.on_state("closed", f"The server's certificate is not trusted ({error.verify_message}).")
                return
            except ConnectionClosed:
                pass  # read the close code below
            except (OSError, TimeoutError, ChatError, websockets.InvalidHandshake, websockets.InvalidURI) as error:
                await self.on_state("down", str(error) or type(error).__name__)
            code = self.ws.close_code if self.ws is not None else None
            self.ws = None
            if self._closing:
                return
            if code in FINAL_CLOSES:
                await self.on_state("closed", f"{FINAL_CLOSES[code]} (close code {code})")
                return
            first = False
            if asyncio.get_running_loop().time() - opened > STEADY_SECONDS:
                delay = BACKOFF_FIRST  # it was up for a while: this drop starts the backoff again
            # Jitter, so a restarted server is not met by every client in the same instant.
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, BACKOFF_MAX)

    async def _session(self) -> None:
        headers = {"Cookie": self.cookie} if self.cookie else None
        options = {"ssl": self.server.ssl_context} if self.server.secure else {}
        self.ws = ws = await websockets.connect(
            self.server.ws_url,
            origin=self.server.origin,
            additional_headers=headers,
            open_timeout=10,
            max_size=2**20,
            **options,
        )
        await self.on_state("connected", self.server.ws_url)
        if self.room is not None:
            with contextlib.suppress(ChatError):  # closed at once (4014, say): the loop below reads why
                await self._join(self.room, since_id=self.newest_id or None, reactions_since=self.changes_seq)
        async for text in ws:
            if isinstance(text, bytes):
                continue  # the server sends text frames only
            try:
                event, data = decode(text)
            except ChatError as error:
                await self.on_event("error", error.as_data())
                continue
            await self._track(event, data)
            await self.on_event(event, data)

    # --- what the server says that the connection itself must remember ----

    async def _track(self, event: str, data: dict[str, Any]) -> None:
        if event == "join_confirm":
            if data["room"]["name"] != self.room:
                self.newest_id = 0
            self.room = data["room"]["name"]
            self.changes_seq = data.get("reactions_seq", 0)
            self.username = data.get("username", self.username)
            self.author = data.get("author", self.author)
            ids = [message["id"] for message in data.get("history", [])]
            if not data.get("resumed"):
                self.newest_id = max(ids, default=0)
            # Anything not acknowledged goes again, in order, with the same client_id.
            with contextlib.suppress(ChatError):  # the socket closed meanwhile: the next session resends
                for payload in list(self.outbox.values()):
                    await self._send("send_message", payload)
        elif event == "receive_message" and data.get("room") == self.room:
            self.newest_id = max(self.newest_id, data["id"])
        elif event == "ack":
            self.outbox.pop(data.get("client_id"), None)
        elif event == "identity":
            self.author = data.get("author", self.author)
            self.username = data.get("username", self.username)
        elif event == "renamed":
            self.username = data.get("username", self.username)
        elif event in ("leave_confirm", "kicked", "room_closed"):
            self.room, self.newest_id = None, 0
            self.outbox.clear()
        elif event == "error":
            await self._refused(data)

    async def _refused(self, data: dict[str, Any]) -> None:
        code, event = data.get("code"), data.get("event")
        if code in (Code.UNAVAILABLE, Code.BUSY):
            # Not a refusal (no database for now, or a server past its posting limit):
            # hold everything, then send the outbox (or the join) again.
            wait = float(data.get("retry_after") or 2)
            self._held_until = asyncio.get_running_loop().time() + wait
            asyncio.get_running_loop().call_later(wait, lambda: asyncio.ensure_future(self._retry(event)))
        elif event == "send_message" and data.get("client_id") in self.outbox:
            self.outbox.pop(data["client_id"])  # refused for good: the screen gives the text back

    async def _retry(self, event: str | None) -> None:
        if self.ws is None:
            return  # the reconnect will join and resend anyway
        with contextlib.suppress(ChatError):  # closed meanwhile: the reconnect does the same
            if event == "join_room" and self.room:
                await self._join(self.room, since_id=self.newest_id or None, reactions_since=self.changes_seq)
            else:
                for payload in list(self.outbox.values()):
                    await self._send("send_message", payload)

    # --- what the person does ------------------------------------------------

    async def _send(self, event: str, data: dict[str, Any]) -> None:
        text = encode(event, data)
        parse_frame(text)  # the server's own checks on the frame's shape; raises ChatError
        if self.ws is None:
            raise ChatError(Code.UNAVAILABLE, self._not_connected())
        try:
            await self.ws.send(text)
        except ConnectionClosed:
            raise ChatError(Code.UNAVAILABLE, self._not_connected()) from None

    def _not_connected(self) -> str:
        if self.ended:
            return "Disconnected: quit (Ctrl+Q) and connect again."
        return "Not connected; trying to reconnect."

    async def _join(
        self,
        room: str,
        *,
        since_id: int | None = None,
        reactions_since: int = 0,
        username: str | None = None,
        **extra,
    ) -> None:
        data: dict[str, Any] = {"room_name": room, **extra}
        if username or self.username:
            data["username"] = username or self.username
        if since_id:
            # And what changed since the last join in the messages we have: edits, removals, reactions.
            data["since_id"], data["reactions_since"] = since_id, reactions_since
        await self._send("join_room", data)

    async def join(self, room: str, *, username: str | None = None, create: bool = False) -> None:
        """Join `room` (a name or a private code); `join_confirm` makes it the room we are in.

        Messages still waiting for their ack were typed in the room we leave:
        they are not sent into the next one.
        """
        if room.lower() != (self.room or "").lower():
            self.outbox.clear()
        await self._join(room, username=username, **({"create": True} if create else {}))

    async def say(self, text: str) -> str:
        """Send a message; returns its client_id. Kept in the outbox until acknowledged."""
        client_id = secrets.token_hex(8)
        payload = {"text": text, "client_id": client_id}
        parse_frame(encode("send_message", payload))  # refuse a frame the server would, before keeping it
        self.outbox[client_id] = payload
        if self.ws is not None and asyncio.get_running_loop().time() >= self._held_until:
            with contextlib.suppress(ChatError):  # kept in the outbox: it goes after the reconnect
                await self._send("send_message", payload)
        return client_id

    async def send(self, event: str, data: dict[str, Any] | None = None) -> None:
        """Any other client event (history, edit, delete, typing, leave, create_room, find_rooms)."""
        await self._send(event, data or {})
