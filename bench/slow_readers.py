"""200 sockets that never read sit in a busy room: the server's memory over a minute, with and without the backlog cap.

Starts chatsite on daphne (the bench settings of bench/run.py, a throwaway
SQLite database) on 127.0.0.1 and, per run:

1. opens `--readers` raw WebSockets with a 4 KB receive buffer
   (rooms/tests/support/rawsocket.py) and joins each to one room, reading
   while everyone joins, so the joins' member lists are not what fills them;
2. at t = 0 those sockets stop reading for good, and `--senders` ordinary
   clients (which do read) start posting `--size`-byte messages, each at
   `--rate` a second, for `--duration` seconds;
3. every second it samples daphne's resident memory (VmRSS), the machine's
   TCP buffer memory (/proc/net/sockstat: a backlog fills the kernel's send
   buffer, up to 4 MB a socket on loopback, before daphne holds any of it),
   how many of the non-reading sockets are still connected (rooms_connection
   rows) and how many the server has closed for falling behind (4013, its log).

A run per `--caps` entry: `default` (WS_SEND_BACKLOG_MAX_BYTES as shipped,
512 KiB), `off` (10^12 bytes, in effect no cap: a socket that never reads is
dropped only by daphne's ping timeout) or a number of bytes. Prints one
table per run and one side by side every 10 s; appends one JSON line per run
to bench/results/slow_readers.jsonl. Bounded: the sockets and rates are fixed
and every run stops after `--duration` s. Never part of the test suite.

    python -m bench.slow_readers                      # default, then off
    python -m bench.slow_readers --caps default --duration 30
"""

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path

import websockets

from bench.flood import rss_kb
from bench.run import BENCH_ENV
from rooms.tests.support.rawsocket import RawSocket
from rooms.tests.support.servers import BASE_DIR, ChatServer, migrate, query, server_env

RESULTS = BASE_DIR / "bench" / "results" / "slow_readers.jsonl"
ROOM = "general"
CAP_OFF = 10**12
CUT_OFF_LINE = "closing a socket that stopped reading"


def tcp_buffers_mib() -> float:
    """The machine's TCP buffer memory (/proc/net/sockstat, pages): where a backlog sits before daphne's."""
    for line in Path("/proc/net/sockstat").read_text().splitlines():
        if line.startswith("TCP:"):
            fields = line.split()
            return round(int(fields[fields.index("mem") + 1]) * 4096 / 2**20, 1)
    return 0.0


def join_frame(username: str) -> bytes:
    return json.dumps({"event": "join_room", "data": {"room_name": ROOM, "username": username}}).encode()


async def keep_reading(sock: RawSocket) -> None:
    """Read everything until cancelled: while the others join, nobody is a slow reader yet."""
    with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
        while True:
            await sock.read(wait=3600)


async def sender(number: int, ws, args, stop: asyncio.Event, counts: dict) -> None:
    async def reader():
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in ws:
                if '"receive_message"' in raw[:40]:
                    counts["received"] += 1

    task = asyncio.create_task(reader())
    padding = "x" * max(0, args.size - 20)
    await asyncio.sleep(number / (args.senders * args.rate))  # spread the sends
    sequence = 0
    while not stop.is_set():
        await ws.send(json.dumps({"event": "send_message", "data": {"text": f"s{number}-{sequence} {padding}"}}))
        counts["sent"] += 1
        sequence += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1 / args.rate)
    await asyncio.sleep(1)  # the last deliveries
    task.cancel()


async def run_once(args, server: ChatServer) -> dict:
    database = server.env["DATABASE_URL"]
    rss_start = rss_kb(server.process.pid)
    readers, draining = [], []
    for number in range(args.readers):
        sock = await RawSocket.open(server.port, receive_buffer=4096)
        sock.frame(1, join_frame(f"slow{number}"))
        while (await sock.event(wait=30))[0] != "join_confirm":
            pass
        readers.append(sock)
        draining.append(asyncio.create_task(keep_reading(sock)))
    senders = []
    for number in range(args.senders):
        ws = await websockets.connect(server.ws_url, origin=server.url, max_size=None, open_timeout=20)
        await ws.send(json.dumps({"event": "join_room", "data": {"room_name": ROOM, "username": f"sender{number}"}}))
        while json.loads(await asyncio.wait_for(ws.recv(), 20))["event"] != "join_confirm":
            pass
        senders.append(ws)
    await asyncio.sleep(2)  # the last member lists
    for task in draining:
        task.cancel()  # from here on, the readers never read again

    stop = asyncio.Event()
    counts = {"sent": 0, "received": 0}
    sending = asyncio.gather(*(sender(n, ws, args, stop, counts) for n, ws in enumerate(senders)))
    samples = []
    started = time.monotonic()
    for second in range(args.duration + 1):
        await asyncio.sleep(max(0.0, started + second - time.monotonic()))
        open_sockets = query(database, "SELECT COUNT(*) FROM rooms_connection")[0][0] - args.senders
        samples.append(
            {
                "t": second,
                "rss_mib": round(rss_kb(server.process.pid) / 1024, 1),
                "tcp_buffers_mib": tcp_buffers_mib(),
                "readers_connected": open_sockets,
                "cut_off": server.log().count(CUT_OFF_LINE),
            }
        )
    stop.set()
    await sending
    for ws in senders:
        await ws.close()
    for sock in readers:
        sock.close()
    return {
        "rss_mib_before_sockets": round(rss_start / 1024, 1),
        "messages_sent": counts["sent"],
        "sender_deliveries": counts["received"],
        "sender_deliveries_expected": counts["sent"] * args.senders,
        "samples": samples,
    }


def cap_bytes(cap: str) -> int | None:
    return None if cap == "default" else CAP_OFF if cap == "off" else int(cap)


def measure(args, cap: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="chatsite-slow-readers-") as tmp:
        overrides = {**BENCH_ENV, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'db.sqlite3'}"}
        if cap_bytes(cap) is not None:
            overrides["WS_SEND_BACKLOG_MAX_BYTES"] = str(cap_bytes(cap))
        env = server_env(**overrides)
        migrate(env)
        server = ChatServer(env, Path(tmp) / "daphne.log").start()
        print(f"cap {cap}: daphne pid {server.process.pid} on port {server.port}", file=sys.stderr, flush=True)
        try:
            result = asyncio.run(asyncio.wait_for(run_once(args, server), args.duration + 300))
        finally:
            server.stop()
        faults = server.faults()
    return {
        "cap": cap,
        "ws_send_backlog_max_bytes": cap_bytes(cap) or 512 * 1024,
        "readers": args.readers,
        "senders": args.senders,
        "rate_per_sender": args.rate,
        "message_bytes": args.size,
        "duration_s": args.duration,
        **result,
        "server_faults": len(faults),
    }


def print_run(result: dict) -> None:
    print(
        f"\ncap {result['cap']} ({result['ws_send_backlog_max_bytes']} bytes): {result['readers']} readers, "
        f"{result['senders']} senders × {result['rate_per_sender']} msg/s × {result['message_bytes']} B; "
        f"RSS {result['rss_mib_before_sockets']} MiB before the sockets; "
        f"senders got {result['sender_deliveries']} of {result['sender_deliveries_expected']} deliveries"
    )
    print("   t   RSS MiB   TCP buffers MiB   readers connected   cut off (4013)")
    for sample in result["samples"]:
        print(
            f"{sample['t']:4d}   {sample['rss_mib']:7.1f}   {sample['tcp_buffers_mib']:15.1f}"
            f"   {sample['readers_connected']:17d}   {sample['cut_off']:14d}"
        )


def print_side_by_side(results: list[dict]) -> None:
    print("\ndaphne RSS MiB / TCP buffers MiB (readers still connected), every 10 s:")
    print("   t  " + "".join(f"{result['cap']:>24}" for result in results))
    for second in range(0, results[0]["duration_s"] + 1, 10):
        cells = []
        for result in results:
            sample = result["samples"][second]
            cells.append(
                f"{sample['rss_mib']:>9.1f} / {sample['tcp_buffers_mib']:>6.1f} ({sample['readers_connected']:>3})"
            )
        print(f"{second:4d}  " + "".join(cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--caps", default="default,off", help="comma-separated: default, off, or bytes")
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--rate", type=float, default=10.0, help="messages a second per sender")
    parser.add_argument("--size", type=int, default=1000, help="bytes of text per message")
    parser.add_argument("--duration", type=int, default=60, help="seconds of sending and sampling")
    args = parser.parse_args()

    results = []
    for cap in args.caps.split(","):
        result = measure(args, cap.strip())
        print_run(result)
        results.append(result)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a") as out:
            out.write(json.dumps({"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **result}) + "\n")
    print_side_by_side(results)
    return 1 if any(result["server_faults"] for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
