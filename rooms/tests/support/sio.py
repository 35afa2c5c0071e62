"""Socket.IO clients for the /socket.io/ tests: socket.io-client under Node.js, and a raw Engine.IO socket.

`NodeClient` runs rooms/tests/e2e/sio_node/client.mjs (socket.io-client from
the npm registry, installed by `npm ci` from its lock file) and reads what it
reports. `RawEngineSocket` speaks Engine.IO over a WebSocket by hand, so a
test can send what no real client would.
"""

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import websockets

NODE_DIR = Path(__file__).resolve().parents[1] / "e2e" / "sio_node"


def install_node_clients() -> Path:
    """socket.io-client in NODE_DIR/node_modules, from package-lock.json, unless it is there already."""
    if not (NODE_DIR / "node_modules" / "socket.io-client" / "package.json").exists():
        npm = shutil.which("npm")
        assert npm, "Node.js and npm are needed for the Socket.IO client tests"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=600)
    return NODE_DIR


class NodeClient:
    """One client.mjs process: a socket.io-client user, told what to do on stdin, reporting on stdout."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.seen: list[dict] = []

    @classmethod
    async def start(cls, url: str, mode: str, name: str, room: str) -> "NodeClient":
        process = await asyncio.create_subprocess_exec(
            shutil.which("node") or "node",
            str(NODE_DIR / "client.mjs"),
            url,
            mode,
            name,
            room,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process)

    async def expect(self, what: str, *, wait: float = 20, since: int | None = None, **fields) -> dict:
        """The next report `what` (with `fields`), past any others; AssertionError if none comes in `wait`.

        With `since`, a report already read (from that index of `seen` on) counts too.
        """
        for report in self.seen[since:] if since is not None else ():
            if report["what"] == what and all(report.get(key) == value for key, value in fields.items()):
                return report
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            try:
                line = await asyncio.wait_for(self.process.stdout.readline(), max(0.01, deadline - loop.time()))
            except TimeoutError:
                raise AssertionError(f"no {what} {fields} from the node client; it said {self.seen}") from None
            if not line:
                raise AssertionError(f"the node client exited before {what}; it said {self.seen}")
            try:
                report = json.loads(line)
            except ValueError:
                report = {"what": "output", "line": line.decode(errors="replace")}
            self.seen.append(report)
            if report["what"] == "timeout":
                raise AssertionError(f"the node client gave up; it said {self.seen}")
            if report["what"] == what and all(report.get(key) == value for key, value in fields.items()):
                return report

    async def command(self, **command) -> None:
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()

    async def quit(self) -> None:
        await self.command(quit=True)
        assert await asyncio.wait_for(self.process.wait(), 20) == 0, self.seen

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


class RawEngineSocket:
    """Engine.IO v4 over a WebSocket, packet by packet; answers the server's pings by itself."""

    def __init__(self, ws):
        self.ws = ws

    @classmethod
    async def open(cls, base_url: str, *, origin: str | None = None, sid: str | None = None) -> "RawEngineSocket":
        parts = urlsplit(base_url)
        url = f"ws://{parts.netloc}/socket.io/?EIO=4&transport=websocket" + (f"&sid={sid}" if sid else "")
        return cls(await websockets.connect(url, origin=origin, open_timeout=10, max_size=None))

    async def send(self, packet: str | bytes) -> None:
        await self.ws.send(packet)

    async def receive(self, wait: float = 10, *, pong: bool = True) -> str | bytes:
        """The next packet that is not a ping (answered with a pong unless told not to)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            packet = await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - loop.time()))
            if packet == "2":
                if pong:
                    await self.ws.send("3")
                continue
            return packet

    async def event(self, wait: float = 10) -> tuple[str, dict]:
        """The next Socket.IO event of the default namespace, past lobby updates and the person's inbox."""
        while True:
            packet = await self.receive(wait)
            assert packet.startswith("42"), packet
            name, data = json.loads(packet[2:])
            if name not in ("room_list", "inbox", "room_update", "room_updates", "member_list", "system_message"):
                return name, data

    async def close(self) -> None:
        await self.ws.close()
