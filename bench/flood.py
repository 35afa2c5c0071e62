"""One client floods a room with 50,000 frames while 50 others chat in it: what happens to each.

Starts chatsite on daphne (the README's limits, a throwaway SQLite database,
the default flood control unless told otherwise) on 127.0.0.1, puts 50
chatters in one room, each sending a message every `--interval` seconds, and
after `--warmup` seconds lets one more client send `--frames` frames as fast
as its socket takes them. It reports:

- the flooder's fate: frames it got out, `rate_limited` answers, how and when
  it was closed (4008 is flood control's close code);
- the chatters' delivery latency (send to receive, every receiver), p50/p99,
  before and during/after the flood, and how many deliveries never arrived;
- the server's resident memory before the flood, at its peak, and after.

Bounded: the run stops after `--duration` seconds of chat plus a short drain,
whatever the flooder does, and the server is stopped. Results are printed and
appended as one JSON line to bench/results/flood.jsonl.

    python -m bench.flood
    python -m bench.flood --flood-disconnect-after 1000000   # never disconnect: rate limiting alone
"""

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import websockets

from rooms.tests.support.servers import BASE_DIR, ChatServer, migrate, server_env

RESULTS = BASE_DIR / "bench" / "results" / "flood.jsonl"
ROOM = "general"


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def join(url: str, origin: str, name: str):
    ws = await websockets.connect(url, origin=origin, max_size=None, open_timeout=20)
    await ws.send(json.dumps({"event": "join_room", "data": {"room_name": ROOM, "username": name}}))
    while json.loads(await asyncio.wait_for(ws.recv(), 20))["event"] != "join_confirm":
        pass
    return ws


class Run:
    def __init__(self, args, server: ChatServer):
        self.args = args
        self.server = server
        self.sent: dict[str, float] = {}  # message tag -> send time
        self.received: dict[str, set[int]] = {}  # message tag -> receivers
        self.latencies: list[tuple[float, float]] = []  # (send time, latency)
        self.flood_started: float | None = None
        self.stop = asyncio.Event()
        self.rss: list[tuple[float, int]] = []
        self.flooder: dict = {}

    async def chatter(self, number: int, ws) -> None:
        async def reader():
            async for raw in ws:
                frame = json.loads(raw)
                if frame["event"] == "receive_message":
                    tag = frame["data"]["text"]
                    sent_at = self.sent.get(tag)
                    if sent_at is not None:
                        self.received.setdefault(tag, set()).add(number)
                        self.latencies.append((sent_at, time.monotonic() - sent_at))

        task = asyncio.create_task(reader())
        await asyncio.sleep(number * self.args.interval / self.args.chatters)  # spread the sends
        sequence = 0
        while not self.stop.is_set():
            tag = f"m{number}-{sequence}"
            self.sent[tag] = time.monotonic()
            await ws.send(json.dumps({"event": "send_message", "data": {"text": tag}}))
            sequence += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), self.args.interval)
        await asyncio.sleep(self.args.drain)
        task.cancel()

    async def flood(self, ws) -> None:
        frame = json.dumps({"event": "send_message", "data": {"text": "flood " * 20}})
        counts = {"sent": 0, "rate_limited": 0, "other_errors": 0, "messages_stored": 0}

        async def reader():
            async for raw in ws:
                event = json.loads(raw)
                if event["event"] == "error":
                    key = "rate_limited" if event["data"]["code"] == "rate_limited" else "other_errors"
                    counts[key] += 1
                elif event["event"] == "receive_message" and event["data"]["username"] == "flooder":
                    counts["messages_stored"] += 1

        task = asyncio.create_task(reader())
        self.flood_started = started = time.monotonic()
        close_code = None
        try:
            for _ in range(self.args.frames):
                if self.stop.is_set():
                    break
                await ws.send(frame)
                counts["sent"] += 1
            await asyncio.wait_for(ws.wait_closed(), max(0.1, self.args.duration - (time.monotonic() - started)))
        except websockets.ConnectionClosed:
            pass
        except TimeoutError:
            await ws.close()
        close_code = ws.close_code
        await asyncio.sleep(0.2)
        task.cancel()
        self.flooder = {
            **counts,
            "close_code": close_code,
            "seconds_until_closed": round(time.monotonic() - started, 2) if close_code is not None else None,
            "fate": "disconnected (4008)"
            if close_code == 4008
            else ("rate-limited, still connected" if counts["rate_limited"] else f"closed {close_code}"),
        }

    async def watch_memory(self) -> None:
        while True:
            self.rss.append((time.monotonic(), rss_kb(self.server.process.pid)))
            await asyncio.sleep(0.2)

    async def main(self) -> dict:
        url, origin = self.server.ws_url, self.server.url
        chatters = [await join(url, origin, f"chat{n}") for n in range(self.args.chatters)]
        flooder = await join(url, origin, "flooder")
        memory = asyncio.create_task(self.watch_memory())
        chat = asyncio.gather(*(self.chatter(n, ws) for n, ws in enumerate(chatters)))
        await asyncio.sleep(self.args.warmup)
        rss_before = rss_kb(self.server.process.pid)
        flood = asyncio.create_task(self.flood(flooder))
        await asyncio.sleep(max(0, self.args.duration - self.args.warmup))
        self.stop.set()
        await flood
        await chat
        await asyncio.sleep(1)
        rss_after = rss_kb(self.server.process.pid)
        memory.cancel()
        for ws in chatters:
            await ws.close()

        expected = len(self.sent) * self.args.chatters
        delivered = sum(len(receivers) for receivers in self.received.values())
        before = [lat for sent_at, lat in self.latencies if sent_at < self.flood_started]
        during = [lat for sent_at, lat in self.latencies if sent_at >= self.flood_started]

        def ms(value):
            return None if value is None else round(value * 1000, 1)

        return {
            "chatters": self.args.chatters,
            "flood_frames": self.args.frames,
            "flood_disconnect_after": self.args.flood_disconnect_after,
            "flooder": self.flooder,
            "messages_sent": len(self.sent),
            "deliveries_expected": expected,
            "deliveries_lost": expected - delivered,
            "latency_ms_before_flood": {"p50": ms(percentile(before, 0.5)), "p99": ms(percentile(before, 0.99))},
            "latency_ms_from_flood_on": {"p50": ms(percentile(during, 0.5)), "p99": ms(percentile(during, 0.99))},
            "latency_ms_mean": ms(statistics.fmean(lat for _, lat in self.latencies)) if self.latencies else None,
            "rss_kb": {"before": rss_before, "peak": max(kb for _, kb in self.rss), "after": rss_after},
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chatters", type=int, default=50)
    parser.add_argument("--frames", type=int, default=50_000)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between one chatter's messages")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of chat before the flood starts")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of chat in all")
    parser.add_argument("--drain", type=float, default=3.0, help="seconds to wait for late deliveries")
    parser.add_argument(
        "--flood-disconnect-after", type=int, default=None, help="FLOOD_DISCONNECT_AFTER for the server"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="chatsite-flood-") as tmp:
        overrides = {"DATABASE_URL": f"sqlite:///{Path(tmp) / 'db.sqlite3'}", "LOG_LEVEL": "WARNING"}
        if args.flood_disconnect_after is not None:
            overrides["FLOOD_DISCONNECT_AFTER"] = str(args.flood_disconnect_after)
        env = server_env(**overrides)
        migrate(env)
        server = ChatServer(env, Path(tmp) / "daphne.log").start()
        try:
            run = Run(args, server)
            result = asyncio.run(asyncio.wait_for(run.main(), args.duration + args.drain + 120))
        finally:
            server.stop()
        faults = server.faults()
    result["server_faults"] = len(faults)
    print(json.dumps(result, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as out:
        out.write(json.dumps({"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **result}) + "\n")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
