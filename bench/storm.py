"""A reconnect storm: thousands of sockets, the process restarted under them, everyone back with since_id.

    python -m bench.storm                       # 5,000 sockets in 100 rooms, chatsite then the reference
    python -m bench.storm --sockets 500 --rooms 10 --only chatsite --json /tmp/storm.jsonl

1. One server on a fixed port: chatsite on one daphne (SQLite, in-memory layer,
   bench.run's BENCH_ENV), or the reference (bench/reference_server.py). Every
   socket (on chatsite with its own session, which the lobby form starts, as a
   browser's page has) connects and joins its room (`--sockets` / `--rooms` each), and the
   first member of each room says `--messages` messages, which every member
   must have before the restart (its newest id is what it resumes from).
2. The server is stopped (SIGTERM, as a deploy does) and started again on the
   same port.
3. Every client reconnects as the page does (static/js/socket.js): attempt k
   waits uniform(c/2, c) with c = min(15 s, 0.5 s × 2^(k−1)), the count
   starting again once a socket opens, and joins with `since_id` (its newest
   id) and `reactions_since` (chatsite; the reference knows neither).
4. The first member of each room back says one more message at once, while the
   rest are still reconnecting: those must get it through their resume.

Reported (one JSON line per server): the curve of sockets back (joined) every
0.5 s after the stop began, the time until all were back, connection attempts,
the server's peak RSS during the storm (psutil, the new process), and for
chatsite, against its database: messages missing from any member,
duplicates (a message heard twice), the `error` codes heard after the restart,
and the sockets open but not back in their room at the end. Bounded: every wait has a deadline
(`--deadline`, default 120 s), and the servers stop themselves.
"""

import argparse
import asyncio
import collections
import concurrent.futures
import contextlib
import json
import random
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import websockets
from websockets.asyncio.client import connect

from bench.run import BENCH_ENV, Reference
from bench.uploads import session_cookie
from rooms.tests.support.servers import ChatServer, migrate, server_env

BASE_DELAY, MAX_DELAY = 0.5, 15.0  # static/js/socket.js


class Member:
    """One page's socket: connects, joins (resuming once it has been in), keeps every message id it heard."""

    def __init__(self, url: str, room: str, name: str, resume: bool):
        self.url, self.room, self.name, self.resume = url, room, name, resume
        self.cookie: str | None = None  # chatsite: the page's session (bench/uploads.py session_cookie)
        self.ids: set[int] = set()
        self.duplicates = 0
        self.newest = 0
        self.rseq = 0
        self.attempts = 0
        self.joins = 0
        self.joined_at: float | None = None  # the last join_confirm (monotonic)
        self.errors: collections.Counter[str] = collections.Counter()  # `error` codes heard, by code
        self.joined = asyncio.Event()
        self.ws = None
        self.stopping = False
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        origin = f"http://{urlsplit(self.url).netloc}"
        attempt = 0
        while not self.stopping:
            self.attempts += 1
            try:
                async with connect(
                    self.url,
                    origin=origin,
                    additional_headers={"Cookie": self.cookie} if self.cookie else None,
                    compression=None,
                    max_size=None,
                    open_timeout=20,
                    ping_interval=None,
                ) as ws:
                    attempt = 0
                    self.ws = ws
                    data = {"room_name": self.room, "username": self.name, "create": True}
                    if self.resume and self.newest:
                        data.update(since_id=self.newest, reactions_since=self.rseq)
                    await ws.send(json.dumps({"event": "join_room", "data": data}))
                    async for raw in ws:
                        self._heard(json.loads(raw))
            except (OSError, TimeoutError, websockets.InvalidHandshake, websockets.ConnectionClosed):
                pass
            self.ws = None
            self.joined.clear()
            if self.stopping:
                return
            attempt += 1
            ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** (attempt - 1))
            await asyncio.sleep(ceiling / 2 + random.random() * ceiling / 2)

    def _heard(self, frame: dict) -> None:
        event, data = frame.get("event"), frame.get("data") or {}
        if event == "join_confirm":
            for message in data.get("history") or []:
                self._message(message["id"], live=False)
            self.rseq = data.get("reactions_seq", 0)
            self.joins += 1
            self.joined_at = time.monotonic()
            self.joined.set()
        elif event == "receive_message":
            self._message(data["id"], live=True)
        elif event == "error":
            self.errors[str(data.get("code"))] += 1

    def _message(self, message_id: int, *, live: bool) -> None:
        if message_id in self.ids:
            self.duplicates += live  # history overlapping what was heard live is not a duplicate
            return
        self.ids.add(message_id)
        self.newest = max(self.newest, message_id)

    async def say(self, text: str, client_id: str) -> None:
        data = {"text": text, "client_id": client_id}
        await self.ws.send(json.dumps({"event": "send_message", "data": data}))

    async def stop(self) -> None:
        self.stopping = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 2)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


class PeakRSS:
    """The peak resident memory of whatever process `pid()` names now, sampled on a thread."""

    def __init__(self, pid):
        self.pid, self.peak, self.stopped = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self.stopped.wait(0.2):
            with contextlib.suppress(Exception):
                pid = self.pid()
                if pid:
                    self.peak = max(self.peak, psutil.Process(pid).memory_info().rss)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(2)


async def wait_until(condition, deadline: float, what: str) -> None:
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within the deadline: {what}")
        await asyncio.sleep(0.05)


async def storm(server, url: str, args, *, resume: bool, database: Path | None) -> dict:
    members = [
        Member(url, f"storm-{r}", f"u{r}-{i}", resume)
        for r in range(args.rooms)
        for i in range(args.sockets // args.rooms)
    ]
    rooms: dict[str, list[Member]] = {}
    for member in members:
        rooms.setdefault(member.room, []).append(member)
    if resume:
        # chatsite: each page has its session, as a browser does (the lobby form starts it): the same
        # person after the restart, whose presence of before is theirs, not a stranger's name.
        base_url = "http://" + urlsplit(url).netloc
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            loop = asyncio.get_running_loop()
            cookies = [loop.run_in_executor(pool, session_cookie, base_url, m.name) for m in members]
            for member, cookie in zip(members, await asyncio.gather(*cookies), strict=True):
                member.cookie = cookie
    deadline = time.monotonic() + args.deadline
    for member in members:
        member.start()
    await wait_until(lambda: all(m.joined.is_set() for m in members), deadline, "everyone joined")
    for room, people in rooms.items():
        for k in range(args.messages):
            await people[0].say(f"before the restart {k}", f"{room}-before-{k}")
    want = args.messages
    await wait_until(lambda: all(len(m.ids) >= want for m in members), deadline, "everyone heard the messages")

    attempts_before = sum(m.attempts for m in members)
    for member in members:
        member.errors.clear()
    started = time.monotonic()
    curve: list[tuple[float, int]] = []
    said: set[str] = set()
    with PeakRSS(lambda: server.process.pid if server.process else None) as rss:
        await asyncio.to_thread(server.stop)
        stopped = time.monotonic() - started
        await asyncio.to_thread(server.start)
        restarted = time.monotonic() - started
        deadline = time.monotonic() + args.deadline
        next_sample = started + 0.5 * int(restarted / 0.5)
        while True:
            now = time.monotonic()
            back = [m for m in members if m.joined.is_set() and m.joined_at and m.joined_at > started]
            if now >= next_sample:
                curve.append((round(now - started, 1), len(back)))
                next_sample += 0.5
            for member in back:  # the first of each room back says something while the others are away
                if member.room not in said and member.ws is not None:
                    said.add(member.room)
                    with contextlib.suppress(Exception):
                        await member.say("after the restart", f"{member.room}-after")
            if len(back) == len(members):
                all_back = now - started
                curve.append((round(all_back, 1), len(back)))
                break
            if now > deadline:
                all_back = None
                break
            await asyncio.sleep(0.05)
        want = args.messages + (1 if resume else 0)
        with contextlib.suppress(TimeoutError):  # what is still missing then is counted below
            await wait_until(lambda: all(len(m.ids) >= want for m in members), time.monotonic() + 10, "settled")
        peak = rss.peak

    result = {
        "sockets": len(members),
        "rooms": args.rooms,
        "stop_s": round(stopped, 2),  # SIGTERM until the process is gone
        "restart_s": round(restarted, 2),  # and until the new one listens
        "all_back_s": round(all_back, 2) if all_back is not None else None,
        "back": sum(1 for m in members if m.joined_at and m.joined_at > started),
        "attempts": sum(m.attempts for m in members) - attempts_before,
        "peak_rss_mb": round(peak / 2**20, 1),
        "curve": curve,
        # after the restart: `error` codes heard, and sockets open but not back in their room at the end
        "errors": dict(sum((m.errors for m in members), collections.Counter())),
        "open_not_joined": sum(1 for m in members if m.ws is not None and not (m.joined_at and m.joined_at > started)),
    }
    if database is not None:
        with contextlib.closing(sqlite3.connect(database)) as db:
            stored: dict[str, set[int]] = {}
            query = "SELECT m.id, r.name FROM rooms_message m JOIN rooms_room r ON r.id = m.room_id"
            for message_id, room in db.execute(query + " WHERE m.deleted_at IS NULL"):
                stored.setdefault(room, set()).add(message_id)
        result["stored"] = sum(len(ids) for ids in stored.values())
        result["missing"] = sum(len(stored.get(m.room, set()) - m.ids) for m in members)
        result["duplicates"] = sum(m.duplicates for m in members)
    for member in members:
        await member.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--messages", type=int, default=3, help="said in each room before the restart")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds for each phase at most")
    parser.add_argument("--only", choices=["chatsite", "reference"])
    parser.add_argument("--json", type=Path, help="also append each result as a JSON line to this file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="chatsite-storm-"))
    print(f"# logs in {workdir}; load average {' '.join(f'{x:.2f}' for x in psutil.getloadavg())}", flush=True)
    for name in ("chatsite", "reference"):
        if args.only and args.only != name:
            continue
        if name == "chatsite":
            database = workdir / "db.sqlite3"
            env = server_env(DATABASE_URL=f"sqlite:///{database}", **BENCH_ENV)
            migrate(env)
            server = ChatServer(env, workdir / "daphne.log").start()
            url = server.ws_url
        else:
            database = None
            server = Reference(workdir / "reference.log").start()
            url = server.ws_urls[0]
        try:
            result = asyncio.run(storm(server, url, args, resume=name == "chatsite", database=database))
        finally:
            server.stop()
        row = {"server": name, **result, "load": [round(x, 2) for x in psutil.getloadavg()]}
        if name == "chatsite":
            row["faults"] = server.faults()[:5]
        print(json.dumps(row), flush=True)
        if args.json:
            with args.json.open("a") as out:
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
