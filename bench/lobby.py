"""The lobby with many public rooms: how big is `room_list`, how long from connect to it, how big the page?

Fills a throwaway SQLite database with `--rooms` public named rooms (bulk
inserts; `--busy` of them with people in them, two each), starts one daphne on
it with bench/run.py's environment, then, one fresh socket after another:

  1. times `--connects` WebSocket connects from the start of the handshake
     to the `room_list` frame received (median, p95), and its size in bytes;
  2. times `--connects` find_rooms -> room_results on one socket (a search
     for "bench-09", a page from the middle of A to Z, in turns), where the
     server has find_rooms;
  3. times `--pages` GETs of the lobby page (/) and its size.

Three unmeasured connects and page loads warm the server up first. Prints one
JSON line (and appends it to `--json`). Run it on a checkout of another
commit to compare (the write-up in docs/performance.md does, for main before
the bounded lobby):

    python -m bench.lobby --rooms 10000 --connects 50
"""

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.load import percentile
from bench.run import BENCH_ENV, uptime
from rooms.tests.support.servers import BASE_DIR, ChatServer, migrate, server_env

WARMUP = 3

SEED = """
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from rooms.models import Presence, Room

start = timezone.now() - timedelta(days=6)
with transaction.atomic():
    rooms = Room.objects.bulk_create(
        (Room(kind="named", name=f"bench-{{i:05}}", key=f"bench-{{i:05}}", title=f"bench-{{i:05}}",
              last_active_at=start + timedelta(seconds=i * 30)) for i in range({rooms})),
        batch_size=2000,
    )
    step = max(1, len(rooms) // max(1, {busy}))
    Presence.objects.bulk_create(
        Presence(room=room, guest_key=f"g{{room.pk}}-{{n}}", username=f"p{{n}}", username_key=f"p{{n}}")
        for room in rooms[::step][:{busy}]
        for n in range(2)
    )
"""


def seed(env: dict[str, str], rooms: int, busy: int) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SEED.format(rooms=rooms, busy=busy)],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=600,
    )


async def room_list_times(url: str, connects: int) -> tuple[list[float], list[int], list[int]]:
    """Seconds from the handshake's start to room_list, the frame's bytes, and the rooms it holds, per connect."""
    times, sizes, counts = [], [], []
    origin = url.replace("ws://", "http://").split("/ws/", 1)[0]
    for i in range(WARMUP + connects):
        start = time.monotonic()
        async with connect(url, origin=origin, compression=None, max_size=None, ping_interval=None) as ws:
            text = await asyncio.wait_for(ws.recv(), 60)
            elapsed = time.monotonic() - start
        frame = json.loads(text)
        assert frame["event"] == "room_list", frame["event"]
        if i >= WARMUP:
            times.append(elapsed)
            sizes.append(len(text.encode()))
            counts.append(len(frame["data"]["rooms"]))
    return times, sizes, counts


async def find_times(url: str, finds: int) -> list[float] | None:
    """Seconds from find_rooms to room_results on one socket: a search, then a page from the middle, in turns.

    None on a server without find_rooms (before the bounded lobby).
    """
    times = []
    origin = url.replace("ws://", "http://").split("/ws/", 1)[0]
    async with connect(url, origin=origin, compression=None, max_size=None, ping_interval=None) as ws:
        await ws.recv()  # room_list
        for i in range(WARMUP + finds):
            data = {"query": "bench-09"} if i % 2 else {"query": "", "after": "bench-05000"}
            start = time.monotonic()
            try:
                await ws.send(json.dumps({"event": "find_rooms", "data": data}))
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    if frame["event"] in ("room_results", "error"):
                        break
            except ConnectionClosed as closed:
                # Before the bounded lobby, a room_list over WS_SEND_BACKLOG_MAX_BYTES that had to wait
                # for the socket closed it with 4013 (reconnect) right after connecting.
                print(f"# find_rooms: the server closed the socket ({closed})", flush=True)
                return None
            if frame["event"] == "error":
                return None
            if i >= WARMUP:
                times.append(time.monotonic() - start)
    return times


def page_times(url: str, pages: int) -> tuple[list[float], int]:
    times, size = [], 0
    for i in range(WARMUP + pages):
        start = time.monotonic()
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
        if i >= WARMUP:
            times.append(time.monotonic() - start)
            size = len(body)
    return times, size


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=10_000, help="public named rooms to create")
    parser.add_argument("--busy", type=int, default=200, help="of which this many have two people in them")
    parser.add_argument("--connects", type=int, default=50)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also append the result as a JSON line to this file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="chatsite-bench-lobby-"))
    env = server_env(
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        **BENCH_ENV,
        # The page over plain HTTP on 127.0.0.1, with production's hashed static files.
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_STATIC_ROOT=str(workdir / "static"),
    )
    print(f"# {args.rooms} rooms, logs in {workdir}; before: {uptime()}", flush=True)
    migrate(env)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, check=True
    )
    seed(env, args.rooms, args.busy)
    server = ChatServer(env, workdir / "daphne.log").start()
    try:
        times, sizes, counts = asyncio.run(room_list_times(server.ws_url, args.connects))
        finds = asyncio.run(find_times(server.ws_url, args.connects))
        pages, page_bytes = page_times(server.url + "/", args.pages)
    finally:
        server.stop()
    row = {
        "workload": "lobby",
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True
        ).stdout.strip(),
        "rooms": args.rooms,
        "busy": args.busy,
        "connects": args.connects,
        "room_list_rooms": max(counts),
        "room_list_bytes": max(sizes),
        "connect_to_room_list_median_ms": ms(statistics.median(times)),
        "connect_to_room_list_p95_ms": ms(percentile(times, 0.95)),
        "find_rooms_median_ms": ms(statistics.median(finds)) if finds else None,
        "find_rooms_p95_ms": ms(percentile(finds, 0.95)) if finds else None,
        "page_bytes": page_bytes,
        "page_median_ms": ms(statistics.median(pages)),
        "page_p95_ms": ms(percentile(pages, 0.95)),
    }
    print(json.dumps(row), flush=True)
    print(f"# after: {uptime()}")
    if args.json:
        with args.json.open("a") as out:
            out.write(json.dumps(row) + "\n")
    faults = server.faults()
    if faults:
        print("# the server logged faults:\n" + "\n".join(faults[:20]))


if __name__ == "__main__":
    main()
