"""What a stopping process's members leaving costs: the deregister a SIGTERM ends with.

    python -m bench.stop                                   # SQLite, in-memory layer
    python -m bench.stop --layer redis                     # PostgreSQL and Redis (REDIS_URL, DATABASE_URL)
    python -m bench.stop --members 5000 --rooms 100 --conversations 1000 --json /tmp/stop.jsonl

A throwaway database holds one server process with `--members` people present
(a socket each) in `--rooms` rooms, a conversation between `--conversations`
pairs of them, and a second, live process with one person of each pair
present elsewhere, so some leaves have someone to tell. Then the stopping
process's exit runs as daphne's does after SIGTERM: the event loop gone (the
bus's messages take its after-shutdown path), and `Housekeeping.deregister`
(rooms/realtime/housekeeping.py) with no grace wait. Reported: its seconds,
the statements it ran, the sockets still counted on it afterwards (0), and
on Redis the connections it opened. Everything is on 127.0.0.1 and the database is dropped afterwards.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import types
from pathlib import Path

from bench.run import BENCH_ENV
from rooms.tests.support.servers import BASE_DIR, create_postgres_database, drop_postgres_database


def seed(*, members: int, rooms: int, conversations: int) -> str:
    """The stopping process and its people; returns its id."""
    from rooms.models import Connection, Membership, Presence, Room, ServerProcess
    from rooms.services import process_register

    stopping = process_register()
    live = ServerProcess.objects.create(id="live-process", host="bench", pid=1)
    made = Room.objects.bulk_create(
        Room(kind=Room.Kind.NAMED, name=f"stop-{n}", key=f"stop-{n}", title="bench") for n in range(rooms + 1)
    )
    rooms_of, elsewhere = made[:rooms], made[rooms]
    people = [f"stop-guest-{n}" for n in range(members)]
    present = Presence.objects.bulk_create(
        Presence(room=rooms_of[n % rooms], guest_key=key, username=f"p{n}", username_key=f"p{n}")
        for n, key in enumerate(people)
    )
    Connection.objects.bulk_create(
        Connection(id=f"stop-{presence.pk}", presence=presence, process_id=stopping) for presence in present
    )
    pairs = [(people[2 * n], people[2 * n + 1]) for n in range(min(conversations, members // 2))]
    direct = Room.objects.bulk_create(
        Room(kind=Room.Kind.DIRECT, name=f"stop-dm-{n}", key=f"stop-dm-{n}", title="dm", people_key=f"dm{n}")
        for n in range(len(pairs))
    )
    Membership.objects.bulk_create(
        Membership(room=room, person_key=key, username=key)
        for room, pair in zip(direct, pairs, strict=True)
        for key in pair
    )
    # The second of each pair also has a page open on the live process: they hear the first go offline.
    also = Presence.objects.bulk_create(
        Presence(room=elsewhere, guest_key=second, username=f"e{n}", username_key=f"e{n}")
        for n, (_, second) in enumerate(pairs)
    )
    Connection.objects.bulk_create(Connection(id=f"live-{p.pk}", presence=p, process=live) for p in also)
    return stopping


def measure(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from rooms.realtime import bus
    from rooms.realtime.housekeeping import Housekeeping

    call_command("migrate", verbosity=0)
    process_id = seed(members=args.members, rooms=args.rooms, conversations=args.conversations)

    async def install_and_stop():  # the hub installed on the server's loop, which then stops (SIGTERM)
        bus.install(lambda group, message: None)

    asyncio.run(install_and_stop())
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    redis_connections = None
    if args.layer == "redis":
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        redis_connections = client.info("stats")["total_connections_received"]
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        Housekeeping(types.SimpleNamespace(process_id=process_id)).deregister()
        seconds = time.perf_counter() - started
    from rooms.models import Connection

    result = {
        "layer": args.layer,
        "members": args.members,
        "rooms": args.rooms,
        "conversations": args.conversations,
        "seconds": round(seconds, 2),
        "statements": statements,
        "sockets_left": Connection.objects.filter(process_id=process_id).count(),  # 0: everyone left
    }
    if redis_connections is not None:
        result["redis_connections"] = client.info("stats")["total_connections_received"] - redis_connections
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory")
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also append the result as a JSON line to this file")
    args = parser.parse_args()
    os.environ.update(BENCH_ENV, DJANGO_SETTINGS_MODULE="chatsite.settings", SHUTDOWN_GRACE_SECONDS="0")
    sys.path.insert(0, str(BASE_DIR))
    database = None
    with tempfile.TemporaryDirectory(prefix="chatsite-stop-") as workdir:
        if args.layer == "redis":
            if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL", "").startswith("postgres"):
                parser.error("--layer redis needs REDIS_URL and a postgres:// DATABASE_URL")
            database = create_postgres_database(os.environ["DATABASE_URL"])
            base, os.environ["DATABASE_URL"] = os.environ["DATABASE_URL"], database
        else:
            os.environ.pop("REDIS_URL", None)
            os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/stop.sqlite3"
        try:
            result = measure(args)
        finally:
            if database is not None:
                from django.db import connections

                connections.close_all()
                drop_postgres_database(base, database)
    print(json.dumps(result), flush=True)
    if args.json:
        with args.json.open("a") as out:
            out.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
