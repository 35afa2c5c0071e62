"""A short path for chat frames from the hub to daphne's sockets.

Through ASGI, every frame to every socket goes through Channels' session
wrapper, daphne's `handle_reply` coroutine, autobahn's `sendMessage` (UTF-8
encoding, framing, state checks) and Twisted's write scheduling (register the
socket for writing, wait a loop turn, send, unregister): about twenty Python
calls and three system calls per frame. A message to a 200-person room pays
that 200 times, and profiles showed it as most of the server's time
(docs/performance.md).

Here a broadcast is framed once (`text_frame`), and each socket's `Wire`
writes those bytes straight to its TCP transport, sending at once when nothing
is queued ahead of it, the way asyncio's own transports do. Anything queued
(a slow reader, a pong) keeps its order: the frame then joins Twisted's buffer.

`Wire.of` finds daphne's protocol behind an ASGI `send` callable. Under any
other server (the test communicator, a different ASGI server) it returns None
and the consumer keeps using plain ASGI `websocket.send`, which is always
correct, only slower.
"""

import asyncio
import functools
import struct

try:
    from autobahn.websocket.protocol import WebSocketProtocol
    from twisted.internet.tcp import Connection
except ImportError:  # pragma: no cover - daphne always brings both
    WebSocketProtocol = Connection = None


def text_frame(text: str) -> bytes:
    """One unfragmented, unmasked, uncompressed WebSocket text frame (RFC 6455 section 5.2)."""
    payload = text.encode("utf-8")
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


class Wire:
    """Writes ready-made frames to one daphne WebSocket."""

    __slots__ = ("protocol",)

    def __init__(self, protocol):
        self.protocol = protocol

    @classmethod
    def of(cls, send) -> "Wire | None":
        """The wire behind an ASGI send callable, if daphne serves it plainly; else None."""
        if WebSocketProtocol is None:
            return None
        for _ in range(5):  # Channels' session wrapper sits between us and daphne
            if isinstance(send, functools.partial) and send.args and isinstance(send.args[0], WebSocketProtocol):
                protocol = send.args[0]
                transport = getattr(protocol, "transport", None)
                # Compression would need per-socket framing; TLS has its own write path.
                if protocol._perMessageCompress is not None or not isinstance(transport, Connection):
                    return None
                if getattr(transport, "TLS", False):
                    return None
                return cls(protocol)
            send = getattr(getattr(send, "__self__", None), "real_send", None)
            if send is None:
                return None
        return None

    def send(self, frame: bytes) -> bool:
        """Write one frame; True if some of it had to wait in the server (the kernel did not take it all).

        A socket that is closing or gone drops it (disconnect() follows).
        """
        protocol = self.protocol
        if protocol.state != WebSocketProtocol.STATE_OPEN:
            return False
        transport = protocol.transport
        if transport is None or not transport.connected or transport.disconnecting:
            return False
        if not transport._tempDataLen and transport.offset == len(transport.dataBuffer):
            # Nothing queued: try the socket now, as asyncio transports do.
            sent = transport.writeSomeData(frame)
            if not isinstance(sent, int):
                return False  # connection lost; Twisted notices on its next read
            if sent == len(frame):
                return False
            frame = frame[sent:]
        transport.write(frame)
        return True

    def close(self, code: int, reason: str) -> None:
        """Send a Close frame with a reason; daphne's `websocket.close` passes the code only."""
        self.protocol.sendClose(code=code, reason=reason)

    def backlog(self) -> int:
        """Bytes written to this socket that the kernel has not taken yet (a client that stopped reading)."""
        transport = self.protocol.transport
        if transport is None:
            return 0
        return transport._tempDataLen + len(transport.dataBuffer) - transport.offset

    def cut_off(self, *, grace: float = 1.0) -> None:
        """Stop reading this socket now and drop the connection after `grace` seconds (a flooder).

        A client can have megabytes of frames in flight when flood control closes
        it; daphne would parse and queue every one of them before it reads the
        client's reply to the Close frame, keeping the whole process busy for
        seconds (bench/flood.py). Instead the socket is no longer read, so the
        kernel holds the rest and then discards it, while the Close frame (4008)
        already written still reaches the client; after the grace period the
        connection is aborted, and daphne's disconnect runs the usual cleanup.
        """
        transport = getattr(self.protocol, "transport", None)
        if transport is None:
            return
        transport.pauseProducing()
        asyncio.get_running_loop().call_later(grace, transport.abortConnection)
