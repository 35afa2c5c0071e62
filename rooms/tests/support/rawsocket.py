"""A WebSocket client that sends exactly the bytes it is told to, valid or not, and reads when told."""

import asyncio
import base64
import json
import secrets
import socket
import struct

from rooms.tests.support.client import NOISE as ROOM_NOISE

NOISE = (*ROOM_NOISE, "ack", "typing")


class RawSocket:
    """A WebSocket client that sends exactly the bytes it is told to, valid or not."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int, *, receive_buffer: int | None = None) -> "RawSocket":
        """`receive_buffer`: a small kernel receive buffer, for a client that stops reading."""
        sock = socket.create_connection(("127.0.0.1", port))
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=sock, limit=receive_buffer or 2**16)
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        writer.write(
            (
                f"GET /ws/chat/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: http://127.0.0.1:{port}\r\n\r\n"
            ).encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    def frame(self, opcode: int, payload: bytes, *, fin: bool = True) -> None:
        mask = secrets.token_bytes(4)
        head = bytes([(0x80 if fin else 0) | opcode])
        if len(payload) < 126:
            head += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(head + mask + masked)

    async def read(self, wait: float = 5) -> tuple[int, bytes]:
        first, second = await asyncio.wait_for(self.reader.readexactly(2), wait)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return first & 0x0F, await asyncio.wait_for(self.reader.readexactly(length), wait)

    async def event(self, wait: float = 5) -> tuple[str, dict]:
        while True:
            opcode, payload = await self.read(wait)
            assert opcode == 1, f"expected a text frame, got opcode {opcode}: {payload[:80]!r}"
            frame = json.loads(payload)
            if frame["event"] not in NOISE:
                return frame["event"], frame["data"]

    async def close_code(self, wait: float = 5) -> int:
        """Read until the server's close frame; its status code."""
        while True:
            opcode, payload = await self.read(wait)
            if opcode == 8:
                return struct.unpack("!H", payload[:2])[0]

    def close(self) -> None:
        self.writer.close()
