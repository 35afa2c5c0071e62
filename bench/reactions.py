"""A burst of reactions: a 200-person room where everyone reacts to the same message within a second.

The shape of workload ii (one room, 200 sockets, one daphne on SQLite with the
in-memory layer), against the reference server (bench/reference_server.py,
which broadcasts every reaction's whole set at once) and chatsite with its
coalescing on (REACTIONS_COALESCE_MS, default 200) and off (0), each on fresh
processes, in the same run. Each of the 200 sockets reacts 👍 once, spread
evenly over one second. A reaction is delivered to a member when a `reactions`
frame it receives first lists the reactor's author token; its latency is from
the reactor's send to then (one machine, one clock). Reports reaction
deliveries/s (200 × 200 = 40,000, over the time from the first send to the last
delivery), latency p50/p95/p99, frames and bytes received, missing deliveries,
and the server's CPU. Bounded: 200 connections, one second of sending, at most
30 s of waiting.

    python -m bench.reactions [--users 200] [--json FILE]
"""

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

from bench.load import ProcessWatch
from bench.run import BENCH_ENV, Chatsite, Reference, uptime
from rooms.tests.support.servers import migrate, server_env

ROOM = "bench-reactions"
WAIT_SECONDS = 30


def _frame(event: str, data: dict) -> str:
    return json.dumps({"event": event, "data": data})


async def _expect(ws, event: str) -> dict:
    while True:
        frame = json.loads(await ws.recv())
        if frame["event"] == event:
            return frame["data"]
        if frame["event"] == "error":
            raise RuntimeError(f"error while waiting for {event}: {frame['data']}")


async def burst(url: str, users: int, pids: list[int]) -> dict:
    origin = url.replace("ws://", "http://").split("/ws/")[0]
    sockets = []
    tokens = []
    for i in range(users):
        ws = await connect(url, origin=origin, max_size=None, open_timeout=10)
        await ws.send(_frame("join_room", {"room_name": ROOM, "username": f"u{i}", "create": True}))
        tokens.append((await _expect(ws, "join_confirm"))["author"])
        sockets.append(ws)
    await sockets[0].send(_frame("send_message", {"text": "react to me", "client_id": "bench-target"}))
    target = (await _expect(sockets[0], "ack"))["id"]
    for ws in sockets[1:]:
        await _expect(ws, "receive_message")
    await asyncio.sleep(0.5)  # presence and lobby frames of the joins settle

    sent_at: dict[str, float] = {}
    seen: list[set[str]] = [set() for _ in sockets]
    latencies: list[float] = []
    frames = [0]
    received_bytes = [0]
    done = asyncio.Event()
    last_delivery = [0.0]

    async def listen(index: int, ws) -> None:
        while len(seen[index]) < users:
            raw = await ws.recv()
            now = time.perf_counter()
            frame = json.loads(raw)
            if frame["event"] != "reactions" or frame["data"]["id"] != target:
                continue
            frames[0] += 1
            received_bytes[0] += len(raw.encode())
            for reaction in frame["data"]["reactions"]:
                for token in reaction["authors"]:
                    if token not in seen[index] and token in sent_at:
                        seen[index].add(token)
                        latencies.append(now - sent_at[token])
                        last_delivery[0] = now
        if all(len(s) >= users for s in seen):
            done.set()

    async def react(index: int, ws, start: float) -> None:
        await asyncio.sleep(max(0.0, start + index / users - time.perf_counter()))
        sent_at[tokens[index]] = time.perf_counter()
        await ws.send(_frame("react", {"id": target, "emoji": "👍"}))

    watch = ProcessWatch(pids)
    watch.start()
    watched_from = time.monotonic()
    listeners = [asyncio.create_task(listen(i, ws)) for i, ws in enumerate(sockets)]
    start = time.perf_counter() + 0.1
    await asyncio.gather(*(react(i, ws, start) for i, ws in enumerate(sockets)))
    first_send = min(sent_at.values())
    with contextlib.suppress(TimeoutError):  # what is still missing then is reported as missing
        await asyncio.wait_for(done.wait(), WAIT_SECONDS)
    usage = watch.stop()
    usage["server_cpu_seconds"] = round((usage["server_cpu"] or 0) * (time.monotonic() - watched_from), 2)
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    for ws in sockets:
        await ws.close()
    delivered = sum(len(s) for s in seen)
    elapsed = last_delivery[0] - first_send
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1) if ordered else None

    return {
        "users": users,
        "reaction_deliveries": delivered,
        "missing": users * users - delivered,
        "deliveries_per_s": round(delivered / elapsed) if elapsed > 0 else None,
        "seconds_first_send_to_last_delivery": round(elapsed, 3),
        "p50_ms": round(1000 * statistics.median(ordered), 1) if ordered else None,
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "frames": frames[0],
        "frames_per_socket": round(frames[0] / users, 1),
        "mb_received": round(received_bytes[0] / 2**20, 2),
        **usage,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also append every result as a JSON line to this file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="chatsite-bench-reactions-"))
    print(f"# before: {uptime()}", flush=True)
    runs = [("reference", None), ("chatsite, coalesced (200 ms)", "200"), ("chatsite, not coalesced", "0")]
    for name, coalesce in runs:
        if coalesce is None:
            server = Reference(workdir / "reference.log")
        else:
            env = server_env(
                DATABASE_URL=f"sqlite:///{workdir / f'db-{coalesce}.sqlite3'}",
                **BENCH_ENV,
                REACTIONS_COALESCE_MS=coalesce,
                REACTION_RATE_LIMIT="1000",
            )
            migrate(env)
            server = Chatsite(env, 1, workdir)
        server.start()
        try:
            row = {"server": name, **asyncio.run(burst(server.ws_urls[0], args.users, server.pids))}
        finally:
            server.stop()
        faults = server.faults() if isinstance(server, Chatsite) else []
        if faults:
            row["faults"] = faults[:5]
        print(json.dumps(row, ensure_ascii=False), flush=True)
        if args.json:
            with args.json.open("a") as out:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"# after: {uptime()}")


if __name__ == "__main__":
    main()
