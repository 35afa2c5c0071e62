"""The two transports of /socket.io/ as Channels consumers: HTTP long-polling and WebSocket.

A handshake (no `sid`) opens an Engine.IO session (rooms/ws/sio/engine.py)
with a SioSocket on it (rooms/ws/sio/socket.py), which acts as the person of
the handshake's session cookie. Later requests name the session by its `sid`:
polling GETs collect what waits for the client, POSTs carry its packets, and
a WebSocket with the sid upgrades the session (probe, then UPGRADE). A
WebSocket without one is a session of its own from the start.

Both check the Origin first (rooms/ws/origin.py `sio_origin_allowed`), so a
page on another site cannot drive a session with someone's cookies.
"""

import contextlib
import logging

from autobahn.exception import Disconnected
from channels.auth import AuthMiddlewareStack
from channels.exceptions import StopConsumer
from channels.generic.http import AsyncHttpConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from engineio import packet as eio

from rooms.availability import DATABASE_OUTAGE, watch
from rooms.errors import Close
from rooms.realtime.wire import Wire
from rooms.ws.admission import admission
from rooms.ws.origin import sio_origin_allowed
from rooms.ws.sio import engine
from rooms.ws.sio.engine import DECODE_ERRORS, BadPacket, BurstPayload, EngineError
from rooms.ws.sio.socket import SioSocket
from rooms.ws.socket import NO_CHANNEL_LAYER, HubSocket

logger = logging.getLogger(__name__)

TEXT = [(b"content-type", b"text/plain; charset=UTF-8"), (b"cache-control", b"no-store")]
JSON = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
SECURITY = [(b"x-content-type-options", b"nosniff")]


class PollingTransport(AsyncHttpConsumer):
    """GET and POST /socket.io/?EIO=4&transport=polling: the handshake, the long poll, the client's packets."""

    channel_layer_alias = NO_CHANNEL_LAYER
    dispatch = HubSocket.dispatch  # without a database hop per request (rooms/ws/socket.py)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.size = 0

    async def http_request(self, message):
        """Called with each part of the body: refuse one past maxPayload before reading the rest."""
        body = message.get("body", b"")
        self.size += len(body)
        if self.size > settings.SIO_MAX_PAYLOAD_BYTES:
            await self._error(EngineError(EngineError.BAD_REQUEST, status=413, message="Payload too large"))
            raise StopConsumer()
        await super().http_request(message)

    async def handle(self, body: bytes) -> None:
        try:
            answer = await self._answer(body)
        except EngineError as error:
            await self._error(error)
            return
        await self.send_response(200, answer.encode(), headers=TEXT + SECURITY)

    async def _answer(self, body: bytes) -> str:
        method = self.scope["method"]
        sid = engine.check_query(self.scope, "polling")
        if sid is None:
            if method != "GET":
                raise EngineError(EngineError.BAD_HANDSHAKE_METHOD)
            session = engine.open_session(lambda session: SioSocket(session, self.scope))
            return BurstPayload(packets=[session.open_packet(["websocket"])]).encode()
        session = engine.find_session(sid)
        if method == "GET":
            return await session.poll()
        if method == "POST":
            try:
                await session.post(body)
            except BadPacket:
                raise EngineError(EngineError.BAD_REQUEST) from None
            return "ok"
        raise EngineError(EngineError.BAD_REQUEST)

    async def _error(self, error: EngineError) -> None:
        await self.send_response(error.status, error.body(), headers=JSON + SECURITY)


class WebsocketTransport(AsyncWebsocketConsumer):
    """/socket.io/?EIO=4&transport=websocket: a session of its own, or the upgrade of a polling one (`sid`)."""

    channel_layer_alias = NO_CHANNEL_LAYER
    dispatch = HubSocket.dispatch
    session: engine.Session | None = None
    carrying = False  # this socket carries its session (from its handshake, or since the upgrade)
    wire: Wire | None = None

    async def connect(self):
        """Called at the handshake: a new session, or the session to upgrade; anything else is refused (403)."""
        try:
            sid = engine.check_query(self.scope, "websocket")
            session = engine.find_session(sid) if sid else None
        except EngineError:
            await self.close()
            return
        if session is not None and session.websocket is not None:
            await self.close()  # upgraded already
            return
        if session is None:
            try:
                session = engine.open_session(lambda session: SioSocket(session, self.scope))
            except EngineError:
                await self.close()
                return
        await self.accept()
        self.wire = Wire.of(self.base_send)
        self.session = session
        if sid is None:
            session.websocket = self
            self.carrying = True
            await self.send_packet(session.open_packet([]))

    async def receive(self, text_data=None, bytes_data=None):
        """Called with each frame: the probe and UPGRADE of an upgrade, then one Engine.IO packet each."""
        session = self.session
        if session is None or session.closed:
            return
        data = text_data if text_data is not None else bytes_data
        if len(data) > settings.SIO_MAX_PAYLOAD_BYTES:
            await self._drop(Close.BAD_PACKET, "packet too large")
            return
        if not self.carrying:
            await self._upgrading(session, text_data)
            return
        try:
            packet = eio.Packet(encoded_packet=data)
            await session.receive([packet])
        except (*DECODE_ERRORS, BadPacket):
            await self._drop(Close.BAD_PACKET, "not an Engine.IO packet")

    async def _upgrading(self, session: engine.Session, text: str | None) -> None:
        if text == "2probe" and session.probe():
            await self.send(text_data="3probe")
        elif text == "5" and session.websocket is None and not session.closed:
            self.carrying = True
            await session.upgrade(self)
        else:
            await self.close(code=Close.BAD_PACKET)

    async def _drop(self, code: int, reason: str) -> None:
        logger.info("closing a Socket.IO session: %s", reason)
        await self.session.close(reason, code=code)
        if not self.carrying:
            await self.close(code=code)

    async def disconnect(self, code):
        """Called when the socket closes: the session ends with it, if it carried it."""
        if self.carrying and self.session is not None:
            await self.session.close("transport close", notify=False)

    async def send_packet(self, packet: eio.Packet) -> None:
        if self.wire is not None:
            if self.wire.send(engine.frame_of(packet)) and self.wire.backlog() > settings.WS_SEND_BACKLOG_MAX_BYTES:
                logger.warning("closing a Socket.IO socket that stopped reading: %d bytes waiting", self.wire.backlog())
                await self.session.close("backlog", code=Close.BACKLOG, cut_off=True)
            return
        with contextlib.suppress(Disconnected):  # the client left meanwhile; disconnect() follows
            await self.send(text_data=packet.encode())

    async def close_transport(self, code: int, *, cut_off: bool) -> None:
        # Autobahn sends only 1000 and 3000-4999 (any other code would raise inside daphne);
        # a Socket.IO client reconnects after any close, so 1000 loses it nothing.
        await self.close(code=code if code == 1000 or 3000 <= code <= 4999 else 1000)
        if cut_off and self.wire is not None:
            self.wire.cut_off()


polling = PollingTransport.as_asgi()
polling_with_identity = AuthMiddlewareStack(polling)


async def polling_app(scope, receive, send):
    """The HTTP side of /socket.io/: the Origin check, then the session cookie read for a handshake only.

    Later requests belong to the session the handshake opened, and its identity;
    reading the cookie again would cost two database queries a poll.
    """
    started = False

    async def sending(message):
        nonlocal started
        started = True
        await send(message)

    if not sio_origin_allowed(scope):
        return await _answer(send, EngineError(EngineError.FORBIDDEN, status=403))
    if engine.query_of(scope).get("sid"):
        return await polling(scope, receive, send)
    if admission.behind():  # before the session is read, as a WebSocket's handshake (rooms/ws/admission.py)
        return await _answer(send, EngineError(EngineError.BAD_REQUEST, status=503, message="Try again later"))
    try:
        return await polling_with_identity(scope, receive, sending)
    except DATABASE_OUTAGE as error:
        watch.failed("socket.io handshake", error)
        if not started:
            await _answer(send, EngineError(EngineError.BAD_REQUEST, status=503, message="Try again later"))


async def _answer(send, error: EngineError) -> None:
    await send({"type": "http.response.start", "status": error.status, "headers": JSON + SECURITY})
    await send({"type": "http.response.body", "body": error.body()})


websocket_app = WebsocketTransport.as_asgi()
