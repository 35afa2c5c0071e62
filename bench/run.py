"""Run the workloads against chatsite and the reference server, side by side, and compare.

Starts the reference (bench/reference_server.py, one process) and chatsite on
daphne with a throwaway database, runs each workload against the reference and
then chatsite (fresh server processes per workload, so peak RSS is the
workload's own), and prints one table with chatsite's figures as ratios of the
reference's. Everything listens on 127.0.0.1 and stops itself.

    python -m bench.run                                   # in-memory layer, SQLite, one daphne
    python -m bench.run --layer redis                     # RedisPubSubChannelLayer, PostgreSQL, two daphne
    python -m bench.run --layer redis-core --workloads iii  # the same with RedisChannelLayer
    python -m bench.run --workloads idle --idle 5000
    python -m bench.run --workloads history

The redis layers need REDIS_URL and a postgres:// DATABASE_URL in the
environment (as for the integration tests); a database named
chatsite_it_<random> is created beside it and dropped afterwards.

Flood control is opened up for the benchmark's rates through the environment
(BENCH_ENV below): the workloads send 2-10 messages a second per socket, past
the defaults meant for people (10 at once, then 1 a second).
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

from bench import load
from rooms.tests.support.servers import (
    BASE_DIR,
    ChatServer,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    migrate,
    server_env,
)

BENCH_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
    "RATE_LIMIT_BURST": "1000",
    "RATE_LIMIT_PER_SECOND": "1000",
    "FRAME_RATE_BURST": "1000",
    "FRAME_RATE_PER_SECOND": "1000",
    # Workload iii creates 100 rooms from one address in a second (join_room {create: true}).
    "ROOM_CREATE_LIMIT": "100000",
    "ROOM_CREATE_ADDRESS_LIMIT": "100000",
}
LAYERS = {
    "memory": {},
    "redis": {"REDIS_CHANNEL_LAYER": "pubsub"},
    "redis-core": {"REDIS_CHANNEL_LAYER": "core"},
}


class Reference:
    """bench/reference_server.py as a subprocess."""

    def __init__(self, log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def ws_urls(self) -> list[str]:
        return [f"ws://127.0.0.1:{self.port}/ws/chat/"]

    @property
    def pids(self) -> list[int]:
        return [self.process.pid]

    def start(self) -> "Reference":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.reference_server", "--port", str(self.port)],
            cwd=BASE_DIR,
            stdout=self.log_path.open("a"),
            stderr=subprocess.STDOUT,
        )
        _wait_listening(self.port, self.process)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Chatsite:
    """One or two daphne processes serving chatsite on a shared throwaway database."""

    def __init__(self, env: dict[str, str], processes: int, workdir: Path):
        self.servers = [ChatServer(env, workdir / f"daphne-{i}.log") for i in range(processes)]

    @property
    def ws_urls(self) -> list[str]:
        return [s.ws_url for s in self.servers]

    @property
    def pids(self) -> list[int]:
        return [s.process.pid for s in self.servers]

    def start(self) -> "Chatsite":
        for server in self.servers:
            server.start()
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def faults(self) -> list[str]:
        return [line for s in self.servers for line in s.faults()]


def _wait_listening(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on {port} exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run_one(server, workload: str, args, *, socketio: bool = False) -> dict:
    profilers = []
    if args.profile and isinstance(server, Chatsite):
        args.profile.mkdir(parents=True, exist_ok=True)
        for i, pid in enumerate(server.pids):
            out = args.profile / f"{workload}-{args.layer}-{i}.txt"
            command = ["py-spy", "record", "--pid", str(pid), "--format", "raw", "--rate", "200", "-o", str(out)]
            profilers.append(subprocess.Popen([str(Path(sys.executable).with_name(command[0])), *command[1:]]))
    try:
        return _run_workload(server, workload, args, socketio=socketio)
    finally:
        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            profiler.wait(timeout=30)


def _run_workload(server, workload: str, args, *, socketio: bool = False) -> dict:
    if workload == "idle":
        return asyncio.run(load.run_idle(server.ws_urls, args.idle, pids=server.pids))
    return asyncio.run(
        load.run_chat(
            server.ws_urls, load.workload(workload), duration=args.duration, pids=server.pids, socketio=socketio
        )
    )


def run_history(env: dict[str, str], workdir: Path, args) -> list[dict]:
    """Seed a room with many messages and an empty one; count queries; time joins over a socket."""
    seeded = subprocess.run(
        [sys.executable, "-m", "bench.history", "--messages", str(args.history_messages)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    rows = [json.loads(line) for line in seeded.stdout.splitlines() if line.startswith("{")]
    chatsite = Chatsite(env, 1, workdir).start()
    try:
        for room in ("bench-empty", "bench-history", "bench-empty", "bench-history"):
            result = asyncio.run(load.join_latency(chatsite.ws_urls[0], room, joins=args.history_joins))
            rows.append({"workload": "history", "server": "chatsite", **result})
    finally:
        chatsite.stop()
    return rows


def ratio(a, b) -> str:
    if a is None or b in (None, 0):
        return "-"
    return f"{a / b:.2f}"


def print_table(rows: list[dict]) -> None:
    columns = [
        ("workload", "workload"),
        ("server", "server"),
        ("connected", "conn"),
        ("connect_s", "conn s"),
        ("offered_per_s", "offered/s"),
        ("deliveries_per_s", "deliv/s"),
        ("p50_ms", "p50 ms"),
        ("p95_ms", "p95 ms"),
        ("p99_ms", "p99 ms"),
        ("lost", "lost"),
        ("duplicates", "dup"),
        ("out_of_order", "order"),
        ("server_cpu", "srv cpu"),
        ("client_cpu", "cli cpu"),
        ("peak_rss_mb", "rss MB"),
    ]
    lines = ["| " + " | ".join(title for _, title in columns) + " |", "|" + "---|" * len(columns)]
    by_workload: dict[str, dict[str, dict]] = {}
    for row in rows:
        if row["workload"] not in ("idle", "history"):
            by_workload.setdefault(row["workload"], {})[row["server"]] = row
            lines.append("| " + " | ".join(str(row.get(key, "")) for key, _ in columns) + " |")
    print("\n".join(lines))
    for name, pair in by_workload.items():
        ref = pair.get("reference")
        for server in ("chatsite", "chatsite-sio"):
            chat = pair.get(server)
            if ref and chat:
                print(
                    f"workload {name}: {server}/reference deliveries "
                    f"{ratio(chat['deliveries_per_s'], ref['deliveries_per_s'])}, "
                    f"p99 {chat['p99_ms']} ms vs {ref['p99_ms']} ms (x{ratio(chat['p99_ms'], ref['p99_ms'])}), "
                    f"cpu {ratio(chat['server_cpu'], ref['server_cpu'])}"
                )
    for row in rows:
        if row["workload"] in ("idle", "history"):
            print(json.dumps(row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layer", choices=list(LAYERS), default="memory")
    parser.add_argument(
        "--workloads",
        default="i,ii,iii",
        help="comma-separated: i, ii, iii, room:N, NAME@RATE (e.g. iii@4), idle, history",
    )
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of sending per workload")
    parser.add_argument("--idle", type=int, default=5000, help="connections for the idle workload")
    parser.add_argument("--history-messages", type=int, default=100_000)
    parser.add_argument("--history-joins", type=int, default=30)
    parser.add_argument("--only", choices=["chatsite", "reference"], help="skip the other servers")
    parser.add_argument(
        "--socketio", action="store_true", help="also run chatsite through /socket.io/ (server chatsite-sio)"
    )
    parser.add_argument("--profile", type=Path, help="run py-spy on chatsite's processes; collapsed stacks go here")
    parser.add_argument("--json", type=Path, help="also append every result as a JSON line to this file")
    args = parser.parse_args()
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]

    workdir = Path(tempfile.mkdtemp(prefix="chatsite-bench-"))
    database = None
    if args.layer == "memory":
        env = server_env(DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}", **BENCH_ENV)
        processes = 1
    else:
        redis_url, admin_url = os.environ.get("REDIS_URL"), os.environ.get("DATABASE_URL", "")
        if not redis_url or not admin_url.startswith("postgres"):
            sys.exit("--layer redis needs REDIS_URL and a postgres:// DATABASE_URL")
        database = create_postgres_database(admin_url)
        env = server_env(DATABASE_URL=database, REDIS_URL=redis_url, **BENCH_ENV, **LAYERS[args.layer])
        processes = 2
    rows: list[dict] = []
    faults: list[str] = []
    print(f"# layer {args.layer}, {processes} daphne process(es), logs in {workdir}", flush=True)
    print(f"# before: {uptime()}", flush=True)
    try:
        migrate(env)
        for workload in workloads:
            if workload == "history":
                rows += run_history(env, workdir, args)
                continue
            names = ["reference", "chatsite", *(["chatsite-sio"] if args.socketio else [])]
            for name in names:
                if args.only and not name.startswith(args.only):
                    continue
                server = (
                    Reference(workdir / "reference.log") if name == "reference" else Chatsite(env, processes, workdir)
                )
                server.start()
                try:
                    result = run_one(server, workload, args, socketio=name == "chatsite-sio")
                    row = {"server": name, "layer": args.layer, **result}
                finally:
                    server.stop()
                    if isinstance(server, Chatsite):
                        faults += server.faults()
                rows.append(row)
                print(json.dumps(row), flush=True)
                if args.json:
                    with args.json.open("a") as out:
                        out.write(json.dumps(row) + "\n")
    finally:
        if database:
            drop_postgres_database(os.environ["DATABASE_URL"], database)
    print(f"# after: {uptime()}")
    print_table(rows)
    if faults:
        print("# the server logged faults:\n" + "\n".join(faults[:20]))


if __name__ == "__main__":
    main()
