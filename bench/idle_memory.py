"""What one idle WebSocket costs the server's memory, and where it goes (tracemalloc, by line).

    python -m bench.idle_memory                     # 2,000 idle sockets, lobby only
    python -m bench.idle_memory --sockets 5000 --join general
    python -m bench.idle_memory --top 40 --group filename

Starts chatsite on daphne (one process, SQLite, in-memory layer) with
tracemalloc on, opens `--warm` sockets first (so every import, cache and pool a
first socket fills is filled), has the server snapshot its Python allocations
(SIGUSR1: gc, then tracemalloc.take_snapshot, written to a file), opens
`--sockets` more that stay idle (connected, lobby and inbox read; in a room
with `--join`), snapshots again, and prints the difference: bytes per socket
in all, and the lines (or files) that allocated most of it. Beside it, the
server's RSS growth per socket (/proc), which also counts what tracemalloc
does not see (C allocations of OpenSSL, zlib, the allocator's slack).

Memory is not a time: this may be measured on a busy machine. tracemalloc
itself costs memory per allocation; the RSS figure is taken in the same run,
so it includes that overhead: compare the tracemalloc totals between runs, and
bench.run's `idle` workload (no tracemalloc) for the RSS per connection.
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

SNAPSHOT_FRAMES = 1


def serve(argv: list[str]) -> None:
    """The server: tracemalloc on, SIGUSR1 writes a snapshot to BENCH_SNAPSHOT_DIR/<n>.snap, then daphne."""
    import gc
    import tracemalloc

    tracemalloc.start(SNAPSHOT_FRAMES)
    folder = Path(os.environ["BENCH_SNAPSHOT_DIR"])
    taken = [0]

    def snapshot(signum, frame):
        gc.collect()
        taken[0] += 1
        path = folder / f"{taken[0]}.snap"
        tracemalloc.take_snapshot().dump(str(path) + ".tmp")
        os.replace(str(path) + ".tmp", path)

    signal.signal(signal.SIGUSR1, snapshot)
    from daphne.cli import CommandLineInterface

    CommandLineInterface().run(argv)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def open_idle(url: str, count: int, room: str | None, held: list) -> None:
    from websockets.asyncio.client import connect

    origin = f"http://{urlsplit(url).netloc}"

    async def one(n: int) -> None:
        ws = await connect(url, origin=origin, compression=None, max_size=None, open_timeout=120, ping_interval=None)
        held.append(ws)
        seen = set()
        while not {"room_list", "inbox"} <= seen:
            seen.add(json.loads(await asyncio.wait_for(ws.recv(), 120))["event"])
        if room:
            data = {"room_name": room, "username": f"idle{len(held)}-{n}"}
            await ws.send(json.dumps({"event": "join_room", "data": data}))
            while json.loads(await asyncio.wait_for(ws.recv(), 120))["event"] != "join_confirm":
                pass

    limit = asyncio.Semaphore(20)

    async def limited(n: int) -> None:
        async with limit:
            await one(n)

    await asyncio.gather(*(limited(n) for n in range(count)))


def take(server: subprocess.Popen, folder: Path, n: int):
    import tracemalloc

    server.send_signal(signal.SIGUSR1)
    path = folder / f"{n}.snap"
    deadline = time.monotonic() + 300
    while not path.exists():
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit("the server wrote no snapshot")
        time.sleep(0.2)
    return tracemalloc.Snapshot.load(str(path))


async def drive(url: str, server: subprocess.Popen, folder: Path, args) -> None:
    held: list = []
    await open_idle(url, args.warm, args.join, held)
    await asyncio.sleep(args.settle)
    before_rss = rss_bytes(server.pid)
    before = await asyncio.to_thread(take, server, folder, 1)
    await open_idle(url, args.sockets, args.join, held)
    await asyncio.sleep(args.settle)
    after_rss = rss_bytes(server.pid)
    after = await asyncio.to_thread(take, server, folder, 2)
    stats = after.compare_to(before, args.group)
    total = sum(stat.size_diff for stat in stats)
    blocks = sum(stat.count_diff for stat in stats)
    print(f"{args.sockets} idle sockets ({'in ' + args.join if args.join else 'lobby only'}), {args.warm} before them")
    print(f"tracemalloc: {total / args.sockets / 1024:.1f} KiB per socket ({blocks / args.sockets:.0f} blocks)")
    print(f"RSS: {(after_rss - before_rss) / args.sockets / 1024:.1f} KiB per socket (tracemalloc's own cost included)")
    print(f"{'bytes/socket':>12} {'blocks/socket':>13}  where")
    for stat in stats[: args.top]:
        where = stat.traceback[0]
        name = where.filename.split("site-packages/")[-1].split("wt-capacity/")[-1]
        place = name if args.group == "filename" else f"{name}:{where.lineno}"
        print(f"{stat.size_diff / args.sockets:>12.0f} {stat.count_diff / args.sockets:>13.2f}  {place}")
    for ws in held:
        await ws.close()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--warm", type=int, default=50)
    parser.add_argument("--join", help="a room every socket joins (each under its own name)")
    parser.add_argument(
        "--settle", type=float, default=2.0, help="seconds to let the server go quiet before a snapshot"
    )
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--group", choices=("lineno", "filename"), default="lineno")
    args = parser.parse_args()

    from bench.run import BENCH_ENV, _wait_listening
    from rooms.tests.support.servers import BASE_DIR, DAPHNE_LIMITS, free_port, migrate, server_env

    with tempfile.TemporaryDirectory(prefix="chatsite-idle-") as tmp:
        workdir = Path(tmp)
        env = server_env(
            DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
            DJANGO_MEDIA_ROOT=str(workdir / "media"),
            BENCH_SNAPSHOT_DIR=str(workdir),
            **BENCH_ENV,
        )
        migrate(env)
        port = free_port()
        command = [sys.executable, "-m", "bench.idle_memory", "serve", "-b", "127.0.0.1", "-p", str(port)]
        command += [*DAPHNE_LIMITS, "chatsite.asgi:application"]
        with (workdir / "daphne.log").open("a") as log:
            server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_listening(port, server, timeout=180)
            asyncio.run(drive(f"ws://127.0.0.1:{port}/ws/chat/", server, workdir, args))
        except Exception:
            print((workdir / "daphne.log").read_text(errors="replace")[-4000:])
            raise
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


if __name__ == "__main__":
    main()
