"""Load generator for chatsite's WebSocket protocol (and the reference server).

Opens real WebSockets on loopback, joins rooms, sends at a fixed offered rate
(open loop: a slow server does not slow the senders down) and checks delivery:
every client must receive every acknowledged message of its room exactly once
and in id order. Reports connects, deliveries/s, latency percentiles, lost,
duplicates, out-of-order frames, errors, and the server processes' CPU and
peak RSS (psutil). Every run is bounded in connections and time.

Workloads (docs/performance.md):
  i     10 rooms x 10 users, every user sends 2 msg/s          (2,000 deliveries/s)
  ii    1 room x 200 users, 10 senders x 10 msg/s              (20,000 deliveries/s)
  iii   100 rooms x 5 users, every user sends 2 msg/s          (5,000 deliveries/s)
  idle  N connections that only connect: memory per connection

With `--socketio` (run_chat(socketio=True)) every user speaks the same events
through /socket.io/ instead: Engine.IO v4 and Socket.IO v5 over a WebSocket
(the transport a Socket.IO client upgrades to), answering the server's pings.

Usually driven by bench/run.py, which starts the servers; standalone:

    python -m bench.load --url ws://127.0.0.1:8000/ws/chat/ --workload ii --duration 15 --pid 1234
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import psutil
import websockets
from websockets.asyncio.client import ClientConnection, connect


@dataclass(frozen=True)
class Workload:
    name: str
    rooms: int
    users: int  # per room
    senders: int  # per room
    rate: float  # messages per second per sender

    @property
    def offered(self) -> float:
        """Deliveries per second offered: every message goes to every member, sender included."""
        return self.rooms * self.senders * self.rate * self.users


WORKLOADS = {
    "i": Workload("i", rooms=10, users=10, senders=10, rate=2.0),
    "ii": Workload("ii", rooms=1, users=200, senders=10, rate=10.0),
    "iii": Workload("iii", rooms=100, users=5, senders=5, rate=2.0),
}


def workload(name: str) -> Workload:
    """A named workload, or `room:N`: one room of N users, 10 of them sending 5 msg/s (room-size sweeps).

    `NAME@RATE` is a named workload with every sender at RATE msg/s instead (load steps: `iii@4` is
    the many-rooms shape at 2x, 10,000 deliveries/s offered; `ii@20` one room of 200 at 2x)."""
    if "@" in name:
        base, rate = name.split("@", 1)
        return replace(workload(base), name=name, rate=float(rate))
    if name.startswith("room:"):
        users = int(name.split(":", 1)[1])
        return Workload(name, rooms=1, users=users, senders=min(10, users), rate=5.0)
    return WORKLOADS[name]


CONNECT_CONCURRENCY = 50
TEXT_PAD = "lorem ipsum dolor sit amet"


# --- server process metrics ---------------------------------------------------


class ProcessWatch:
    """CPU seconds and peak RSS of the server processes (and of this client) over a window."""

    def __init__(self, pids: list[int]):
        self.procs = [psutil.Process(pid) for pid in pids]
        self.me = psutil.Process()
        self.peak_rss = 0
        self._task: asyncio.Task | None = None

    def rss(self) -> int:
        return sum(p.memory_info().rss for p in self.procs)

    def _cpu(self) -> tuple[float, float]:
        server = sum(p.cpu_times().user + p.cpu_times().system for p in self.procs)
        me = self.me.cpu_times()
        return server, me.user + me.system

    async def _sample(self) -> None:
        while True:
            with contextlib.suppress(psutil.Error):
                self.peak_rss = max(self.peak_rss, self.rss())
            await asyncio.sleep(0.2)

    def start(self) -> None:
        self.peak_rss = self.rss() if self.procs else 0
        self._started = time.monotonic()
        self._cpu0 = self._cpu()
        if self.procs:
            self._task = asyncio.get_running_loop().create_task(self._sample())

    def stop(self) -> dict:
        wall = time.monotonic() - self._started
        server, me = self._cpu()
        if self._task:
            self._task.cancel()
        return {
            "server_cpu": (server - self._cpu0[0]) / wall if self.procs else None,
            "client_cpu": (me - self._cpu0[1]) / wall,
            "peak_rss_mb": self.peak_rss / 2**20 if self.procs else None,
        }


# --- one simulated user -------------------------------------------------------


@dataclass
class RoomLog:
    """What the senders of one room got acknowledged: client_id -> send time."""

    sent: dict[str, float] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)


class Stats:
    def __init__(self) -> None:
        self.frames = 0
        self.deliveries = 0
        self.last_delivery = 0.0
        self.errors: dict[str, int] = defaultdict(int)
        self.closed = 0


class User:
    def __init__(self, url: str, room: str, name: str, log: RoomLog, stats: Stats):
        self.url, self.room, self.name, self.log, self.stats = url, room, name, log, stats
        self.ws: ClientConnection | None = None
        self.joined: asyncio.Future | None = None
        self.received: list[str] = []  # client_ids, in arrival order
        self.latencies: list[float] = []
        self.ids: list[int] = []
        self.reader: asyncio.Task | None = None

    async def open(self) -> None:
        origin = f"http://{urlsplit(self.url).netloc}"
        self.ws = await connect(
            self.url, origin=origin, compression=None, max_size=None, open_timeout=60, ping_interval=None
        )
        self.joined = asyncio.get_running_loop().create_future()
        self.reader = asyncio.get_running_loop().create_task(self._read())

    def frame(self, event: str, data: dict) -> str:
        return json.dumps({"event": event, "data": data})

    async def parse(self, raw: str) -> tuple[str, dict] | None:
        frame = json.loads(raw)
        return frame["event"], frame["data"]

    async def join(self) -> None:
        await self.ws.send(self.frame("join_room", {"room_name": self.room, "username": self.name, "create": True}))
        await asyncio.wait_for(self.joined, 60)

    async def _read(self) -> None:
        stats, log = self.stats, self.log
        try:
            async for raw in self.ws:
                now = time.monotonic()
                stats.frames += 1
                parsed = await self.parse(raw)
                if parsed is None:
                    continue
                event, data = parsed
                if event == "receive_message":
                    client_id = data.get("client_id")
                    sent = log.sent.get(client_id)
                    if sent is None:
                        continue  # not from this run
                    self.received.append(client_id)
                    self.latencies.append(now - sent)
                    self.ids.append(data["id"])
                    stats.deliveries += 1
                    stats.last_delivery = now
                elif event == "ack":
                    log.acked.add(data["client_id"])
                elif event == "join_confirm":
                    if not self.joined.done():
                        self.joined.set_result(data)
                elif event == "error":
                    stats.errors[data.get("code", "?")] += 1
                    if not self.joined.done() and data.get("event") == "join_room":
                        self.joined.set_exception(RuntimeError(f"join refused: {data}"))
        except websockets.ConnectionClosed:
            pass
        finally:
            stats.closed += 1

    async def send_loop(self, start: float, count: int, rate: float) -> None:
        loop = asyncio.get_running_loop()
        for k in range(count):
            delay = start + k / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            client_id = f"{self.name}.{k}"
            self.log.sent[client_id] = time.monotonic()
            try:
                await self.ws.send(
                    self.frame("send_message", {"text": f"{TEXT_PAD} {client_id}", "client_id": client_id})
                )
            except websockets.ConnectionClosed:
                return

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self.reader is not None:
            self.reader.cancel()


def socketio_url(url: str) -> str:
    """The /socket.io/ WebSocket of the server behind a /ws/chat/ URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/socket.io/?EIO=4&transport=websocket"


class SioUser(User):
    """The same user through /socket.io/: Socket.IO events on an Engine.IO WebSocket session.

    The packets are framed by hand here, as a load generator must be cheap per
    frame: an event is `42` and the JSON array `[name, data]`; `2` is the
    server's ping, answered with `3`.
    """

    async def open(self) -> None:
        self.ws = await connect(
            socketio_url(self.url),
            origin=f"http://{urlsplit(self.url).netloc}",
            compression=None,
            max_size=None,
            open_timeout=60,
            ping_interval=None,
        )
        opened = await asyncio.wait_for(self.ws.recv(), 60)
        assert opened.startswith("0"), opened
        await self.ws.send("40")
        connected = await asyncio.wait_for(self.ws.recv(), 60)
        assert connected.startswith("40"), connected
        self.joined = asyncio.get_running_loop().create_future()
        self.reader = asyncio.get_running_loop().create_task(self._read())

    def frame(self, event: str, data: dict) -> str:
        return "42" + json.dumps([event, data])

    async def parse(self, raw: str) -> tuple[str, dict] | None:
        if raw.startswith("42"):
            event, data = json.loads(raw[2:])
            return event, data
        if raw == "2":
            await self.ws.send("3")
        return None


# --- running a workload -------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def _gather_limited(coros, limit: int) -> list:
    semaphore = asyncio.Semaphore(limit)

    async def one(coro):
        async with semaphore:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros), return_exceptions=True)


async def _quiet(stats: Stats, *, seconds: float = 1.0, limit: float = 60.0) -> None:
    """Wait until no frame has arrived for `seconds` (join notices settle), at most `limit`."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = stats.frames
        await asyncio.sleep(seconds)
        if stats.frames == before:
            return


async def run_chat(
    urls: list[str],
    workload: Workload,
    *,
    duration: float,
    pids: list[int],
    drain: float = 30.0,
    tag: str = "",
    socketio: bool = False,
) -> dict:
    """Connect, join, send for `duration` seconds, drain, and check every delivery (through /socket.io/ if told)."""
    tag = tag or f"{random.randrange(16**6):06x}"
    stats = Stats()
    logs = [RoomLog() for _ in range(workload.rooms)]
    user_class = SioUser if socketio else User
    users = [
        user_class(urls[(r * workload.users + u) % len(urls)], f"bench-{tag}-{r}", f"u{r}x{u}", logs[r], stats)
        for r in range(workload.rooms)
        for u in range(workload.users)
    ]
    by_room = [users[r * workload.users : (r + 1) * workload.users] for r in range(workload.rooms)]
    t0 = time.monotonic()
    opened = await _gather_limited([u.open() for u in users], CONNECT_CONCURRENCY)
    connect_failures = [e for e in opened if isinstance(e, BaseException)]
    open_seconds = time.monotonic() - t0
    # Joins one room at a time, users in parallel, so the first join creates the room.
    join_failures = []
    for room_users in by_room:
        ready = [u for u in room_users if u.ws is not None]
        if ready:
            first = await asyncio.gather(ready[0].join(), return_exceptions=True)
            rest = await _gather_limited([u.join() for u in ready[1:]], CONNECT_CONCURRENCY)
            join_failures += [e for e in [*first, *rest] if isinstance(e, BaseException)]
    connect_seconds = time.monotonic() - t0
    await _quiet(stats)

    per_sender = int(duration * workload.rate)
    watch = ProcessWatch(pids)
    watch.start()
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    senders = [
        u.send_loop(start + random.random() / workload.rate, per_sender, workload.rate)
        for room_users in by_room
        for u in room_users[: workload.senders]
        if u.ws is not None
    ]
    first_send = time.monotonic() + 0.2
    await asyncio.gather(*senders)
    sent_done = time.monotonic()

    # Drain: until every acknowledged message reached every member, or nothing moves for 5 s.
    def expected() -> int:
        return sum(len(logs[r].acked) * len(by_room[r]) for r in range(workload.rooms))

    total_sent = sum(len(log.sent) for log in logs)
    deadline = time.monotonic() + drain
    last_progress, last_count = time.monotonic(), -1
    while time.monotonic() < deadline:
        acked = sum(len(log.acked) for log in logs)
        if acked >= total_sent and stats.deliveries >= expected():
            break
        if stats.deliveries + acked != last_count:
            last_count, last_progress = stats.deliveries + acked, time.monotonic()
        elif time.monotonic() - last_progress > 5:
            break
        await asyncio.sleep(0.05)
    metrics = watch.stop()
    await asyncio.sleep(0.3)  # late duplicates would land here

    # Check: each member got each acked message of its room exactly once, in id order.
    lost = duplicates = out_of_order = 0
    latencies: list[float] = []
    for r, room_users in enumerate(by_room):
        acked = logs[r].acked
        for u in room_users:
            got = set(u.received)
            lost += len(acked - got)
            duplicates += len(u.received) - len(got)
            out_of_order += sum(1 for a, b in itertools.pairwise(u.ids) if b <= a)
            latencies.extend(u.latencies)
    deliveries = len(latencies)
    span = max(stats.last_delivery, sent_done) - first_send
    await _gather_limited([u.close() for u in users], 200)
    result = {
        "workload": workload.name,
        "endpoint": "/socket.io/" if socketio else "/ws/chat/",
        "connections": len(users),
        "connected": len(users) - len(connect_failures) - len(join_failures),
        "connect_s": round(connect_seconds, 2),
        "open_s": round(open_seconds, 2),
        "offered_per_s": workload.offered,
        "sent": total_sent,
        "acked": sum(len(log.acked) for log in logs),
        "deliveries": deliveries,
        "deliveries_per_s": round(deliveries / span, 1) if span > 0 else 0,
        "p50_ms": _ms(percentile(latencies, 0.50)),
        "p95_ms": _ms(percentile(latencies, 0.95)),
        "p99_ms": _ms(percentile(latencies, 0.99)),
        "max_ms": _ms(max(latencies) if latencies else None),
        "lost": lost,
        "duplicates": duplicates,
        "out_of_order": out_of_order,
        "errors": dict(stats.errors),
        "failures": [repr(e)[:200] for e in (connect_failures + join_failures)[:3]],
        **{k: round(v, 3) if isinstance(v, float) else v for k, v in metrics.items()},
    }
    return result


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


async def run_idle(urls: list[str], count: int, *, pids: list[int], settle: float = 3.0) -> dict:
    """Open `count` connections that do nothing; memory per connection, and are they all alive?"""
    watch = ProcessWatch(pids)
    baseline = watch.rss()
    stats = Stats()
    users = [User(urls[i % len(urls)], "", f"idle{i}", RoomLog(), stats) for i in range(count)]
    t0 = time.monotonic()
    opened = await _gather_limited([u.open() for u in users], 100)
    connect_seconds = time.monotonic() - t0
    failures = [e for e in opened if isinstance(e, BaseException)]
    await asyncio.sleep(settle)
    loaded = watch.rss()
    # Every connection must still answer: a WebSocket ping each, round-tripped through the server.
    pongs = await _gather_limited([_ping(u) for u in users if u.ws is not None], 200)
    alive = sum(1 for p in pongs if p is True)
    result = {
        "workload": "idle",
        "connections": count,
        "connected": count - len(failures),
        "alive": alive,
        "connect_s": round(connect_seconds, 2),
        "rss_before_mb": round(baseline / 2**20, 1),
        "rss_after_mb": round(loaded / 2**20, 1),
        "kb_per_connection": round((loaded - baseline) / 1024 / max(1, count - len(failures)), 1),
        "failures": [repr(e)[:200] for e in failures[:3]],
    }
    await _gather_limited([u.close() for u in users], 200)
    return result


async def _ping(user: User) -> bool:
    try:
        waiter = await user.ws.ping()
        await asyncio.wait_for(waiter, 30)
        return True
    except Exception:
        return False


async def join_latency(url: str, room: str, *, joins: int) -> dict:
    """Median and p95 time from `join_room` to `join_confirm`, one fresh socket per join."""
    times = []
    stats = Stats()
    for i in range(joins):
        user = User(url, room, f"joiner{i}", RoomLog(), stats)
        await user.open()
        t = time.monotonic()
        await user.join()
        times.append(time.monotonic() - t)
        await user.close()
    return {
        "room": room,
        "joins": joins,
        "median_ms": _ms(statistics.median(times)),
        "p95_ms": _ms(percentile(times, 0.95)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", action="append", required=True, help="WebSocket URL (repeat for several processes)")
    parser.add_argument("--workload", default="i", help="i, ii, iii, room:N or idle")
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=1000, help="for idle")
    parser.add_argument("--pid", type=int, action="append", default=[], help="server process to watch")
    parser.add_argument("--socketio", action="store_true", help="through /socket.io/ (same host and port as --url)")
    args = parser.parse_args()
    if args.workload == "idle":
        result = asyncio.run(run_idle(args.url, args.connections, pids=args.pid))
    else:
        result = asyncio.run(
            run_chat(args.url, workload(args.workload), duration=args.duration, pids=args.pid, socketio=args.socketio)
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
