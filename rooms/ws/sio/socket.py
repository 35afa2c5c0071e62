"""The Socket.IO layer: a ChatConsumer whose frames travel as Socket.IO v5 events on an Engine.IO session.

Everything chatsite does (identity, rooms, services, flood control, presence,
resume, moderation) is ChatConsumer's, unchanged: a client event
`42["send_message",{"text":"hi"}]` becomes the frame
`{"event":"send_message","data":{"text":"hi"}}` it already handles, and every
frame it sends becomes an event of the same name and data. This class only
swaps the transport (accept, close, send_text) and adds what Socket.IO has and
chatsite's frames do not: acknowledgements, namespaces, CONNECT and DISCONNECT.
python-socketio encodes and decodes the packets.
"""

import json
import logging
import secrets
from typing import Any

from engineio import packet as eio
from socketio import packet as sio

from rooms.errors import ChatError, Close, Code
from rooms.ws.consumer import ChatConsumer
from rooms.ws.sio.engine import DECODE_ERRORS, Session

logger = logging.getLogger(__name__)

# The frame that answers a client event: a Socket.IO acknowledgement carries its data.
ANSWERS = {
    "join_room": "join_confirm",
    "leave_room": "leave_confirm",
    "create_room": "room_created",
    "find_rooms": "room_results",
    "send_message": "ack",
    "history": "history",
    "search": "search_results",
}
# Closes after which a client should come back: the transport closes and Socket.IO
# clients reconnect. After any other, a DISCONNECT packet tells them to stay away.
RECONNECT = {Close.RESTART, Close.BACKLOG, Close.TRY_AGAIN}
MAX_ATTACHMENTS = 10

_last: tuple[str, eio.Packet] | None = None


def event_packet(text: str) -> eio.Packet:
    """A chatsite frame (rooms/payloads.py `encode`) as the Engine.IO packet of a Socket.IO event.

    The hub hands every socket of a room the same frame text, so the last one
    converted is kept: a room's broadcast is decoded and encoded once.
    """
    global _last
    last = _last
    if last is not None and last[0] is text:
        return last[1]
    frame = json.loads(text)
    packet = eio.Packet(eio.MESSAGE, sio.Packet(sio.EVENT, [frame["event"], frame["data"]], binary=False).encode())
    _last = (text, packet)
    return packet


def event_name(text: str) -> str:
    """The event of a chatsite frame, read without decoding it: `encode` always writes it first."""
    if text.startswith('{"event":"'):
        return text[10 : text.find('"', 10)]
    return json.loads(text).get("event", "")


class SioSocket(ChatConsumer):
    """One Socket.IO client in the default namespace, on one Engine.IO session."""

    base_send = None  # no ASGI connection of its own: the session's transports carry it (so no Wire either)

    def __init__(self, session: Session, scope):
        super().__init__()
        self.session = session
        self.scope = scope
        self.sio_sid = secrets.token_urlsafe(15)
        self.connected = False  # CONNECT answered
        self.accepted = False
        self.ended = False
        self.held: list[str] = []  # frames sent while connecting, before the CONNECT answer
        self.asking: tuple[str, str | None] | None = None  # the event being handled that wants an ack
        self.answer: dict[str, Any] | None = None
        self.attachments_due = 0

    # --- the transport, as ChatConsumer sees it -------------------------------

    async def accept(self, subprotocol=None, headers=None):
        """Called by connect(): the CONNECT answer goes once connect() is done (a refusal there is a CONNECT_ERROR)."""
        self.accepted = True

    async def send_text(self, text: str, frame: bytes | None = None) -> None:
        """Send one chatsite frame as a Socket.IO event (and note it if it answers an event that wants an ack)."""
        if self.ended:
            return
        if self.asking is not None and self._answers(text):
            return
        if not self.connected:
            self.held.append(text)
            return
        await self.session.send(event_packet(text))

    async def close(self, code=None, reason=None):
        await self._end(code or 1000, reason or "")

    async def close_with_reason(self, code: int, reason: str) -> None:
        await self._end(code, reason)

    async def _end(self, code: int, reason: str) -> None:
        if self.ended:
            return
        self.ended = True
        if code in RECONNECT:
            await self.session.close(f"closed {code}", code=code)
            return
        if not self.connected:
            # Refused while connecting (too many sockets): Socket.IO's answer to a CONNECT it will not take.
            await self._send(sio.CONNECT_ERROR, {"message": reason or "refused", "data": {"code": code}})
        else:
            # Say why, then DISCONNECT: a Socket.IO client does not reconnect after it ("io server disconnect").
            await self._send(sio.EVENT, ["close", {"code": code, "reason": reason}])
            await self._send(sio.DISCONNECT)
        await self.session.close(f"closed {code}", code=code, cut_off=code == Close.FLOOD)

    async def on_close(self, reason: str) -> None:
        """Called by the session when it ends, for whatever reason: leave the room, as a closed WebSocket does."""
        self.ended = True
        await self.disconnect(1000)

    async def _send(self, kind: int, data: Any = None, *, namespace: str | None = None, id: int | None = None):
        packet = sio.Packet(kind, data, namespace=namespace, id=id, binary=False)
        await self.session.send(eio.Packet(eio.MESSAGE, packet.encode()))

    # --- Socket.IO packets in -------------------------------------------------

    async def on_message(self, data: str | bytes) -> None:
        """Called by the session with each Engine.IO message: one Socket.IO packet."""
        if isinstance(data, bytes | bytearray):
            if self.attachments_due:
                self.attachments_due -= 1  # its packet was refused already
                return
            await self._refuse("Binary messages are not supported.")
            return
        if not isinstance(data, str):
            await self._refuse("That is not a Socket.IO packet.")
            return
        try:
            packet = sio.Packet(encoded_packet=data)
        except DECODE_ERRORS:
            await self._refuse("That is not a Socket.IO packet.")
            return
        kind, namespace = packet.packet_type, packet.namespace or "/"
        if kind != sio.EVENT and self.connected and await self._flooding(None, None):
            return  # events are metered by receive()
        if packet.attachment_count:
            # Its attachments follow as binary messages: drop them unanswered (a few at most, however many it says).
            self.attachments_due = min(self.attachments_due + packet.attachment_count, MAX_ATTACHMENTS)
            await self._refuse("Binary attachments are not supported.", ack=packet.id)
        elif kind == sio.CONNECT:
            await self._on_connect(namespace)
        elif namespace != "/" or not self.connected:
            await self._send(sio.CONNECT_ERROR, {"message": "Not connected to this namespace."}, namespace=namespace)
        elif kind == sio.DISCONNECT:
            await self.session.close("client disconnect")
        elif kind == sio.EVENT:
            await self._on_event(packet)
        else:
            await self._refuse("Unexpected packet type.", ack=packet.id)

    async def _refuse(self, message: str, *, ack: int | None = None) -> None:
        """A packet that means nothing: `error bad_frame` once connected (the socket stays), else CONNECT_ERROR."""
        if not self.connected:
            await self._send(sio.CONNECT_ERROR, {"message": message})
            return
        error = ChatError(Code.BAD_FRAME, message).as_data()
        await self.send_event("error", error)
        if ack is not None:
            await self._send(sio.ACK, [{"error": error}], id=ack)

    async def _on_connect(self, namespace: str) -> None:
        if namespace != "/":
            await self._send(sio.CONNECT_ERROR, {"message": "Invalid namespace"}, namespace=namespace)
            return
        if self.connected or self.ended:
            await self._send(sio.CONNECT_ERROR, {"message": "Already connected."})
            return
        try:
            await self.connect()
        except Exception:
            logger.exception("Socket.IO connect failed")
            await self._end(1011, "internal error")
            return
        if self.ended or not self.accepted:
            return
        self.connected = True
        await self._send(sio.CONNECT, {"sid": self.sio_sid})
        held, self.held = self.held, []
        for text in held:
            await self.send_text(text)

    async def _on_event(self, packet: sio.Packet) -> None:
        data = packet.data
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            await self._refuse('An event is ["name", data].', ack=packet.id)
            return
        event, payload = data[0], (data[1] if len(data) > 1 else {})
        if packet.id is not None:
            client_id = None
            if event == "send_message" and isinstance(payload, dict) and not payload.get("client_id"):
                # chatsite acknowledges a message by its client_id: give one to a message that wants an ack.
                client_id = payload["client_id"] = "sio-" + secrets.token_urlsafe(9)
            self.asking, self.answer = (event, client_id), None
        try:
            try:
                frame = json.dumps({"event": event, "data": payload}, ensure_ascii=False)
            except RecursionError:  # nested past the encoder's stack: parse_frame would refuse it anyway
                await self._refuse("That frame is nested too deeply.", ack=packet.id)
                return
            await self.receive(text_data=frame)
        finally:
            self.asking = None
        if packet.id is not None:
            await self._send(sio.ACK, [self.answer or {}], id=packet.id)

    def _answers(self, text: str) -> bool:
        """Note `text` as the answer to the event being handled; True if it is not to be sent as an event too."""
        event, client_id = self.asking
        name = event_name(text)
        if self.answer is not None or name not in ("error", ANSWERS.get(event)):
            return False
        data = json.loads(text)["data"]
        if name == "error":
            if data.get("event", event) == event:
                self.answer = {"error": data}
            return False
        self.answer = data
        # An ack for a client_id the client never gave is only the acknowledgement.
        return name == "ack" and client_id is not None and data.get("client_id") == client_id
