"""Where the time of one posted message goes: a per-stage breakdown of the posting path on a real daphne.

    python -m bench.profile_post                       # SQLite, in-memory layer, 2,000 messages
    python -m bench.profile_post --messages 5000 --senders 10 --receivers 50
    python -m bench.profile_post --pstats /tmp/post.pstats   # also cProfile the event-loop thread

Starts chatsite on daphne (one process, a throwaway SQLite file, flood control
opened as bench/run.py does), with counters wrapped around the stages of the
posting path; connects `--receivers` sockets to one room and `--senders` more
that post `--messages` in all, each keeping `--window` unacknowledged; waits
until every message reached every socket, stops the server (SIGTERM) and
prints, per stage, how often it ran, its total time and its time per message.

The counters exist only in this benchmark's server process: `serve` wraps the
functions below before daphne imports the application, so chatsite itself
carries no instrumentation and nothing costs anything when this is not run.
Each counter is time.perf_counter_ns around one call (a wrapper adds well
under a microsecond). Stages run on two threads: the event loop (parse,
flood control, the wait for the batch, fan-out, ack) and the database thread
(the batch: SQL, building the payloads, encoding); `thread hop` is the await
of the batch minus the batch itself. Time figures move with the machine's
load: take them on a quiet machine, with `uptime` beside them (the script
prints it), as docs/performance.md asks.
"""

import argparse
import asyncio
import atexit
import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

COUNTERS: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # stage -> [calls, total ns]
LOCK = threading.Lock()

# (stage, what it measures), in the order of a message's path.
STAGES = [
    ("receive", "ChatConsumer.receive: the whole frame on the event loop, the wait for its batch included"),
    ("parse", "parse_frame: JSON decoding and the schema's validation"),
    ("flood", "FloodGuard.frame and .message: flood control"),
    ("queue", "PostQueue.post: from the frame's handler to its batch's result (waiting for the batch included)"),
    ("batch_await", "the await of one batch on the event loop (database_sync_to_async)"),
    ("batch", "message_post_batch in the database thread: positions, INSERT, commit, payloads, encoding"),
    ("thread_hop", "batch_await minus batch: handing the batch to the database thread and back"),
    ("payload", "message_data: building each message's payload (inside batch)"),
    ("encode", "events' encode: JSON of each frame (inside batch)"),
    ("sql", "batch minus payload and encode: SQL, the transaction and its commit"),
    ("layer_send", "Publisher.send: handing frames to a Redis layer (0 in memory: delivered in process)"),
    ("dispatch", "Hub.dispatch of a room frame: framing once, ordering, every local socket's send"),
    ("framing", "text_frame: the WebSocket frame, once per room frame (inside dispatch)"),
    ("ack", "send_event('ack'): the sender's acknowledgement"),
]


def _count(stage: str, started: int) -> None:
    elapsed = time.perf_counter_ns() - started
    with LOCK:
        counter = COUNTERS[stage]
        counter[0] += 1
        counter[1] += elapsed


def _timed(stage: str, func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        started = time.perf_counter_ns()
        try:
            return func(*args, **kwargs)
        finally:
            _count(stage, started)

    return wrapper


def _timed_async(stage: str, func):
    @functools.wraps(func)
    async def wrapper(*args, **kwargs):
        started = time.perf_counter_ns()
        try:
            return await func(*args, **kwargs)
        finally:
            _count(stage, started)

    return wrapper


def install_counters() -> None:
    """Wrap the posting path's stages (in this process only)."""
    import chatsite.asgi  # noqa: F401  (django.setup, and the modules daphne will import)
    from rooms import events
    from rooms.realtime import hub, publisher
    from rooms.services import posting
    from rooms.ws import consumer, flood, socket

    consumer.ChatConsumer.receive = _timed_async("receive", consumer.ChatConsumer.receive)
    consumer.parse_frame = _timed("parse", consumer.parse_frame)
    flood.FloodGuard.frame = _timed("flood", flood.FloodGuard.frame)
    flood.FloodGuard.message = _timed("flood", flood.FloodGuard.message)
    posting.PostQueue.post = _timed_async("queue", posting.PostQueue.post)
    posting.message_post_batch = _timed("batch", posting.message_post_batch)
    posting.message_data = _timed("payload", posting.message_data)
    events.encode = _timed("encode", events.encode)
    real_db = posting.database_sync_to_async

    def timed_db(func):
        return _timed_async("batch_await", real_db(func))

    posting.database_sync_to_async = timed_db
    publisher.Publisher.send = _timed_async("layer_send", publisher.Publisher.send)
    hub.text_frame = _timed("framing", hub.text_frame)
    real_dispatch = hub.Hub.dispatch

    async def dispatch(self, message):
        if message.get("type") != "hub.room" or message.get("seq") is None:
            return await real_dispatch(self, message)
        started = time.perf_counter_ns()
        try:
            return await real_dispatch(self, message)
        finally:
            _count("dispatch", started)

    hub.Hub.dispatch = dispatch
    real_send_event = socket.HubSocket.send_event

    async def send_event(self, event, data):
        if event != "ack":
            return await real_send_event(self, event, data)
        started = time.perf_counter_ns()
        try:
            return await real_send_event(self, event, data)
        finally:
            _count("ack", started)

    socket.HubSocket.send_event = send_event


def serve(argv: list[str]) -> None:
    """The server: counters in, then daphne's own command line; the counters go to BENCH_PROFILE_OUT at exit."""
    out = os.environ["BENCH_PROFILE_OUT"]
    install_counters()
    profiler = None
    if os.environ.get("BENCH_PROFILE_PSTATS"):
        import cProfile

        profiler = cProfile.Profile()  # the event-loop thread only: cProfile follows one thread

    def dump() -> None:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(os.environ["BENCH_PROFILE_PSTATS"])
        with LOCK:
            Path(out).write_text(json.dumps(dict(COUNTERS)))

    atexit.register(dump)
    from daphne.cli import CommandLineInterface

    if profiler is not None:
        profiler.enable()
    CommandLineInterface().run(argv)


# --- the load side ----------------------------------------------------------------


async def _client(url: str):
    from websockets.asyncio.client import connect

    origin = f"http://{urlsplit(url).netloc}"
    return await connect(url, origin=origin, compression=None, max_size=None, open_timeout=60, ping_interval=None)


async def _join(ws, room: str, name: str) -> None:
    await ws.send(json.dumps({"event": "join_room", "data": {"room_name": room, "username": name, "create": True}}))
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if frame["event"] == "join_confirm":
            return
        if frame["event"] == "error":
            raise RuntimeError(f"join refused: {frame['data']}")


async def drive(url: str, args) -> dict:
    room = "bench-profile"
    receivers = [await _client(url) for _ in range(args.receivers)]
    senders = [await _client(url) for _ in range(args.senders)]
    for n, ws in enumerate(receivers):
        await _join(ws, room, f"reader{n}")
    for n, ws in enumerate(senders):
        await _join(ws, room, f"writer{n}")
    everyone = receivers + senders
    expected = args.messages * len(everyone)
    delivered = 0
    errors: dict[str, int] = defaultdict(int)
    all_in = asyncio.get_running_loop().create_future()

    async def read(ws, acks: asyncio.Queue | None):
        nonlocal delivered
        async for raw in ws:
            frame = json.loads(raw)
            event = frame["event"]
            if event == "receive_message":
                delivered += 1
                if delivered >= expected and not all_in.done():
                    all_in.set_result(None)
            elif event == "ack" and acks is not None:
                acks.put_nowait(frame["data"]["client_id"])
            elif event == "error":
                errors[frame["data"].get("code", "?")] += 1
                if acks is not None and frame["data"].get("client_id"):
                    acks.put_nowait(None)  # refused (busy): counted, not resent here

    per_sender = [args.messages // args.senders + (n < args.messages % args.senders) for n in range(args.senders)]
    queues = [asyncio.Queue() for _ in senders]
    readers = [asyncio.create_task(read(ws, None)) for ws in receivers]
    readers += [asyncio.create_task(read(ws, q)) for ws, q in zip(senders, queues, strict=True)]

    async def send(n: int, ws, acks: asyncio.Queue):
        in_flight = 0
        for i in range(per_sender[n]):
            if in_flight >= args.window:
                await asyncio.wait_for(acks.get(), 60)
                in_flight -= 1
            await ws.send(json.dumps({"event": "send_message", "data": {"text": f"m{n}-{i}", "client_id": f"{n}-{i}"}}))
            in_flight += 1
        for _ in range(in_flight):
            await asyncio.wait_for(acks.get(), 60)

    started = time.perf_counter()
    await asyncio.gather(*(send(n, ws, q) for n, (ws, q) in enumerate(zip(senders, queues, strict=True))))
    with contextlib.suppress(TimeoutError):  # counted short: the report shows delivered/expected
        await asyncio.wait_for(all_in, 60)
    elapsed = time.perf_counter() - started
    for ws in everyone:
        await ws.close()
    for task in readers:
        task.cancel()
    return {
        "messages": args.messages,
        "delivered": delivered,
        "expected": expected,
        "seconds": elapsed,
        "errors": dict(errors),
    }


def report(counters: dict[str, list[int]], run: dict) -> None:
    totals = {stage: counters.get(stage, [0, 0]) for stage, _ in STAGES}
    batch_ns = totals["batch"][1]
    derived = {
        "thread_hop": [totals["batch_await"][0], max(0, totals["batch_await"][1] - batch_ns)],
        "sql": [totals["batch"][0], max(0, batch_ns - totals["payload"][1] - totals["encode"][1])],
    }
    messages = run["messages"] or 1
    print(f"{run['messages']} messages, {run['delivered']}/{run['expected']} deliveries, {run['seconds']:.2f} s")
    if run["errors"]:
        print(f"errors: {run['errors']}")
    batches = totals["batch"][0]
    if batches:
        print(f"{batches} batches: {messages / batches:.1f} messages per batch")
    print(f"{'stage':<12} {'calls':>8} {'total ms':>10} {'µs/message':>11}  what")
    for stage, what in STAGES:
        calls, ns = derived.get(stage) or totals[stage]
        print(f"{stage:<12} {calls:>8} {ns / 1e6:>10.1f} {ns / 1e3 / messages:>11.1f}  {what}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=5)
    parser.add_argument("--receivers", type=int, default=20)
    parser.add_argument("--window", type=int, default=10, help="unacknowledged messages each sender keeps in flight")
    parser.add_argument("--pstats", help="also write a cProfile of the server's event-loop thread here")
    parser.add_argument("--json", action="store_true", help="print the raw counters as one JSON line too")
    args = parser.parse_args()

    from bench.run import BENCH_ENV, uptime
    from rooms.tests.support.servers import BASE_DIR, DAPHNE_LIMITS, free_port, migrate, server_env

    with tempfile.TemporaryDirectory(prefix="chatsite-profile-") as tmp:
        workdir = Path(tmp)
        out = workdir / "counters.json"
        env = server_env(
            DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
            DJANGO_MEDIA_ROOT=str(workdir / "media"),
            BENCH_PROFILE_OUT=str(out),
            **BENCH_ENV,
        )
        if args.pstats:
            env["BENCH_PROFILE_PSTATS"] = str(Path(args.pstats).resolve())
        migrate(env)
        port = free_port()
        command = [sys.executable, "-m", "bench.profile_post", "serve", "-b", "127.0.0.1", "-p", str(port)]
        command += [*DAPHNE_LIMITS, "chatsite.asgi:application"]
        print(f"uptime before: {uptime()}")
        with (workdir / "daphne.log").open("a") as log:
            server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            from bench.run import _wait_listening

            _wait_listening(port, server)
            run = asyncio.run(drive(f"ws://127.0.0.1:{port}/ws/chat/", args))
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
        print(f"uptime after: {uptime()}")
        if not out.exists():
            print((workdir / "daphne.log").read_text()[-3000:])
            raise SystemExit("the server wrote no counters")
        counters = json.loads(out.read_text())
    report(counters, run)
    if args.json:
        print(json.dumps({"run": run, "counters": counters}))


if __name__ == "__main__":
    main()
