"""The reference: a minimal broadcast chat server on pure `websockets`, no Django.

It speaks the subset of chatsite's protocol the load generators use
(`join_room`, `send_message`, `react` in; `join_confirm`, `receive_message`,
`ack`, `reactions` out: each reaction broadcasts the message's whole set, as
chatsite does, but every one at once), keeps nothing on disk and checks almost nothing: it is the practical
limit for a Python WebSocket server on this machine, so chatsite's numbers are
read as ratios against it, measured in the same run.

    python -m bench.reference_server --port 8765
"""

import argparse
import asyncio
import itertools
import json
import signal
from datetime import UTC, datetime

import websockets
from websockets.asyncio.server import ServerConnection, broadcast, serve


def _encode(event: str, data: dict) -> str:
    return json.dumps({"event": event, "data": data}, ensure_ascii=False, separators=(",", ":"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Reference:
    def __init__(self) -> None:
        self.rooms: dict[str, set[ServerConnection]] = {}
        self.ids = itertools.count(1)
        self.reactions: dict[int, dict[str, list[str]]] = {}  # message id -> emoji -> author tokens
        self.tokens = itertools.count(1)

    async def handle(self, ws: ServerConnection) -> None:
        room: str | None = None
        username = ""
        author = f"t{next(self.tokens)}"
        try:
            async for raw in ws:
                try:
                    frame = json.loads(raw)
                    event, data = frame["event"], frame.get("data") or {}
                except (ValueError, TypeError, KeyError):
                    await ws.send(_encode("error", {"code": "bad_frame", "message": "bad frame"}))
                    continue
                if event == "join_room":
                    if room is not None:
                        self.rooms[room].discard(ws)
                    room, username = str(data.get("room_name", "")).lower(), str(data.get("username", ""))
                    members = self.rooms.setdefault(room, set())
                    members.add(ws)
                    await ws.send(
                        _encode(
                            "join_confirm",
                            {
                                "room": {"name": room, "users": len(members)},
                                "username": username,
                                "author": author,
                                "history": [],
                            },
                        )
                    )
                elif event == "send_message" and room is not None:
                    message = {
                        "id": next(self.ids),
                        "room": room,
                        "username": username,
                        "text": data.get("text", ""),
                        "ts": _now(),
                    }
                    client_id = data.get("client_id")
                    if client_id:
                        message["client_id"] = client_id
                    broadcast(self.rooms[room], _encode("receive_message", message))
                    if client_id:
                        await ws.send(_encode("ack", {"client_id": client_id, "id": message["id"]}))
                elif event == "react" and room is not None:
                    by_emoji = self.reactions.setdefault(int(data.get("id", 0)), {})
                    authors = by_emoji.setdefault(str(data.get("emoji", "")), [])
                    if author not in authors:
                        authors.append(author)
                    sets = [{"emoji": e, "count": len(a), "authors": a} for e, a in by_emoji.items()]
                    broadcast(
                        self.rooms[room], _encode("reactions", {"id": data.get("id"), "room": room, "reactions": sets})
                    )
                else:
                    await ws.send(_encode("error", {"code": "unknown_event", "message": "unknown event"}))
        except websockets.ConnectionClosed:
            pass
        finally:
            if room is not None:
                self.rooms[room].discard(ws)


async def main(host: str, port: int) -> None:
    reference = Reference()
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with serve(reference.handle, host, port, max_size=2**16, compression=None):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))
