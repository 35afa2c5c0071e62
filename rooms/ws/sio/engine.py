"""Engine.IO v4 sessions: the handshake, heartbeats, long-polling and the upgrade to WebSocket.

A session lives in this process, in `sessions`, from its handshake until its
client closes it, misses a heartbeat (the server pings every pingInterval; no
pong within pingTimeout drops it), never sends its Socket.IO CONNECT within
SIO_CONNECT_TIMEOUT_SECONDS, stops reading, or the server closes it; at most
SIO_MAX_SESSIONS live at once. While a session polls, packets for it wait in
its outbox for the next GET; once upgraded they go straight to the WebSocket.
So several daphne processes need sticky routing for polling (docs/deploy.md).

python-engineio encodes and decodes the packets and polling payloads; the
sessions themselves are chatsite's (python-engineio's server would own the
sockets and its own event loop glue, where chatsite's hub must own them).
"""

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import parse_qs

from django.conf import settings
from engineio import packet as eio
from engineio.payload import Payload

from rooms.realtime.wire import text_frame

logger = logging.getLogger(__name__)

# What a decoder may raise on a hostile packet: bad type digits, bad base64, JSON nested past the stack.
DECODE_ERRORS = (ValueError, TypeError, IndexError, KeyError, RecursionError)


class EngineError(Exception):
    """A request Engine.IO refuses: an HTTP status and the protocol's error JSON `{code, message}`."""

    # Engine.IO's error codes and messages, as the reference server (engine.io) sends them.
    UNKNOWN_TRANSPORT = 0
    UNKNOWN_SID = 1
    BAD_HANDSHAKE_METHOD = 2
    BAD_REQUEST = 3
    FORBIDDEN = 4
    UNSUPPORTED_PROTOCOL_VERSION = 5
    MESSAGES = {
        0: "Transport unknown",
        1: "Session ID unknown",
        2: "Bad handshake method",
        3: "Bad request",
        4: "Forbidden",
        5: "Unsupported protocol version",
    }

    def __init__(self, code: int, status: int = 400, message: str | None = None):
        self.code = code
        self.status = status
        self.message = message or self.MESSAGES[code]
        super().__init__(self.message)

    def body(self) -> bytes:
        return json.dumps({"code": self.code, "message": self.message}).encode()


class BadPacket(Exception):
    """An Engine.IO packet that is not one a client may send."""


class BurstPayload(Payload):
    """Polling payloads, with room for a burst of frames (python-engineio's default cap is 16 packets)."""

    max_decode_packets = 100


class Handler(Protocol):
    """The Socket.IO layer on top of a session (rooms/ws/sio/socket.py)."""

    connected: bool

    async def on_message(self, data: str | bytes) -> None: ...
    async def on_close(self, reason: str) -> None: ...


class Transport(Protocol):
    """A WebSocket carrying a session (rooms/ws/sio/transports.py)."""

    async def send_packet(self, packet: eio.Packet) -> None: ...
    async def close_transport(self, code: int, *, cut_off: bool) -> None: ...


def frame_of(packet: eio.Packet) -> bytes:
    """The packet as a WebSocket text frame, framed once however many sockets it goes to."""
    frame = getattr(packet, "chatsite_frame", None)
    if frame is None:
        frame = packet.chatsite_frame = text_frame(packet.encode())
    return frame


def query_of(scope) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(scope.get("query_string", b"").decode("latin1")).items()}


def check_query(scope, transport: str) -> str | None:
    """Validate EIO and transport of a request; return its sid (None for a handshake)."""
    query = query_of(scope)
    if query.get("EIO") != "4":
        raise EngineError(EngineError.UNSUPPORTED_PROTOCOL_VERSION)
    if query.get("transport") != transport:
        raise EngineError(EngineError.UNKNOWN_TRANSPORT)
    return query.get("sid")


sessions: dict[str, "Session"] = {}


def open_session(handler: Callable[["Session"], Handler]) -> "Session":
    """A new session for a handshake, or EngineError once this process holds SIO_MAX_SESSIONS."""
    if len(sessions) >= settings.SIO_MAX_SESSIONS:
        logger.warning("refusing a Socket.IO handshake: %d sessions open here", len(sessions))
        raise EngineError(EngineError.BAD_REQUEST, status=503, message="Too many sessions")
    session = Session(handler)
    sessions[session.sid] = session
    return session


def find_session(sid: str) -> "Session":
    session = sessions.get(sid)
    if session is None:
        raise EngineError(EngineError.UNKNOWN_SID)
    return session


class Session:
    """One Engine.IO connection: its outbox, its heartbeat, its transport (polling, then maybe a WebSocket)."""

    def __init__(self, handler: Callable[["Session"], Handler]):
        self.sid = secrets.token_urlsafe(15)
        self.outbox: list[eio.Packet] = []
        self.outbox_size = 0
        self.ready = asyncio.Event()  # the outbox has something, the session upgraded, or it closed
        self.polling = False  # a GET is waiting for packets
        self.posting = False
        self.websocket: Transport | None = None
        self.closed = False
        self.lock = asyncio.Lock()  # a session's packets are handled one at a time, like a consumer's frames
        self.pong = asyncio.Event()
        self.handler = handler(self)
        loop = asyncio.get_running_loop()
        self.heartbeat = loop.create_task(self._heartbeat(), name=f"sio-heartbeat-{self.sid[:6]}")
        self.connect_deadline = loop.call_later(settings.SIO_CONNECT_TIMEOUT_SECONDS, self._connect_overdue)
        self.started = time.monotonic()

    def open_packet(self, upgrades: list[str]) -> eio.Packet:
        return eio.Packet(
            eio.OPEN,
            {
                "sid": self.sid,
                "upgrades": upgrades,
                "pingInterval": int(settings.SIO_PING_INTERVAL_SECONDS * 1000),
                "pingTimeout": int(settings.SIO_PING_TIMEOUT_SECONDS * 1000),
                "maxPayload": settings.SIO_MAX_PAYLOAD_BYTES,
            },
        )

    # --- out -----------------------------------------------------------------

    async def send(self, packet: eio.Packet) -> None:
        """Send one packet: on the WebSocket, or into the outbox for the next poll."""
        if self.closed:
            return
        if self.websocket is not None:
            await self.websocket.send_packet(packet)
            return
        self.outbox.append(packet)
        self.outbox_size += len(packet.encode(b64=True))
        self.ready.set()
        if self.outbox_size > settings.WS_SEND_BACKLOG_MAX_BYTES:
            # A poller that stopped polling: drop it rather than buffer without bound (the
            # WebSocket's rule, rooms/ws/socket.py); its client reconnects and resumes.
            logger.warning("closing a Socket.IO session that stopped polling: %d bytes waiting", self.outbox_size)
            await self.close("backlog")

    async def poll(self) -> str:
        """A polling GET: what is waiting, or what comes next; the CLOSE packet once the session is closed."""
        if self.websocket is not None:
            raise EngineError(EngineError.BAD_REQUEST)
        if self.polling:
            await self.close("overlapping polls")  # as engine.io does: a client that does this is broken
            raise EngineError(EngineError.BAD_REQUEST)
        self.polling = True
        try:
            while not self.outbox and not self.closed and self.websocket is None:
                self.ready.clear()
                await self.ready.wait()
        finally:
            self.polling = False
        packets, self.outbox, self.outbox_size = self.outbox, [], 0
        if self.closed:
            packets.append(eio.Packet(eio.CLOSE))
        elif not packets:
            packets.append(eio.Packet(eio.NOOP))  # upgraded meanwhile
        return BurstPayload(packets=packets).encode()

    # --- in ------------------------------------------------------------------

    async def post(self, body: bytes) -> None:
        """A polling POST: decode its payload and handle the packets (the answer waits for them)."""
        if self.websocket is not None:
            raise EngineError(EngineError.BAD_REQUEST)
        if self.posting:
            await self.close("overlapping posts")
            raise EngineError(EngineError.BAD_REQUEST)
        try:
            packets = BurstPayload(encoded_payload=body.decode("utf-8")).packets
        except (*DECODE_ERRORS, UnicodeDecodeError):
            raise EngineError(EngineError.BAD_REQUEST) from None
        self.posting = True
        try:
            # Handled in a task of its own: a client that hangs up mid-request cuts nothing in half.
            handling = asyncio.get_running_loop().create_task(self.receive(packets))
            await asyncio.wait([handling])
            handling.result()
        finally:
            self.posting = False

    async def receive(self, packets: list[eio.Packet]) -> None:
        """Handle a client's packets in order; BadPacket for one no client may send."""
        async with self.lock:
            for packet in packets:
                if self.closed:
                    return
                kind = packet.packet_type
                if kind == eio.MESSAGE:
                    await self.handler.on_message(packet.data)
                elif kind == eio.PONG:
                    self.pong.set()
                elif kind == eio.CLOSE:
                    await self.close("client close", notify=False)
                elif kind != eio.NOOP:
                    raise BadPacket(kind)

    # --- upgrade -------------------------------------------------------------

    def probe(self) -> bool:
        """A WebSocket for this session sent `2probe`: release the waiting poll (NOOP), so the client can upgrade."""
        if self.closed or self.websocket is not None:
            return False
        self.outbox.append(eio.Packet(eio.NOOP))
        self.ready.set()
        return True

    async def upgrade(self, websocket: Transport) -> None:
        """The client sent UPGRADE on `websocket`: from now on everything goes there."""
        self.websocket = websocket
        waiting, self.outbox, self.outbox_size = self.outbox, [], 0
        self.ready.set()
        for packet in waiting:
            if packet.packet_type != eio.NOOP:
                await websocket.send_packet(packet)

    # --- the end -------------------------------------------------------------

    async def _heartbeat(self) -> None:
        interval, timeout = settings.SIO_PING_INTERVAL_SECONDS, settings.SIO_PING_TIMEOUT_SECONDS
        while not self.closed:
            await asyncio.sleep(interval)
            self.pong.clear()
            await self.send(eio.Packet(eio.PING))
            try:
                await asyncio.wait_for(self.pong.wait(), timeout)
            except TimeoutError:
                await self.close("ping timeout")
                return

    def _connect_overdue(self) -> None:
        if not self.closed and not self.handler.connected:
            asyncio.get_running_loop().create_task(self.close("no Socket.IO CONNECT"))

    async def close(self, reason: str, *, notify: bool = True, code: int = 1000, cut_off: bool = False) -> None:
        """End the session (once): the transport is told, then the Socket.IO layer leaves its room.

        The Socket.IO layer's cleanup waits for a packet being handled to finish
        (as a consumer's disconnect waits for its frame), in a task of its own,
        so whoever closes (the hub, a heartbeat, a handler) never waits for it.
        """
        if self.closed:
            return
        self.closed = True
        sessions.pop(self.sid, None)
        self.ready.set()  # a waiting poll answers with the CLOSE packet
        self.connect_deadline.cancel()
        if self.heartbeat is not asyncio.current_task():
            self.heartbeat.cancel()
        if self.websocket is not None and notify:
            await self.websocket.close_transport(code, cut_off=cut_off)
        asyncio.get_running_loop().create_task(self._finish(reason), name=f"sio-close-{self.sid[:6]}")

    async def _finish(self, reason: str) -> None:
        async with self.lock:
            try:
                await self.handler.on_close(reason)
            except Exception:
                logger.exception("closing a Socket.IO session failed")
