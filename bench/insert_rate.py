"""The physical limit of posting: how many messages a second SQLite and PostgreSQL store in batched inserts here.

    python -m bench.insert_rate                          # SQLite (a throwaway file, the server's settings)
    DATABASE_URL=postgres://127.0.0.1:5432/test python -m bench.insert_rate --postgres
    python -m bench.insert_rate --batches 1,10,100,1000 --messages 20000

For each database and batch size it stores `--messages` messages in one room,
one transaction per batch, two ways:

- `insert`: the rows alone (one bulk INSERT and the commit per batch): the
  database's own limit;
- `posting`: what chatsite's group commit does per batch without announcing
  anything (rooms/services/posting.py `_post_bulk`): the room's positions taken
  under its row lock (one UPDATE ... RETURNING), then the bulk INSERT, then the
  commit.

SQLite runs with the server's settings (WAL, synchronous=NORMAL, chatsite/settings.py);
PostgreSQL in a throwaway database created beside DATABASE_URL and dropped
afterwards. Each measurement runs in a child process of its own (Django binds
its database at start-up). Rates move with the machine's load: take them on a
quiet machine, with `uptime` beside them (printed).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(batches: list[int], messages: int) -> None:
    """In the child: migrate, then time both ways for each batch size; one JSON line each."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from rooms.models import Message, Room
    from rooms.services.posting import _next_seq

    call_command("migrate", verbosity=0, interactive=False)
    vendor = connection.vendor
    for size in batches:
        for way in ("insert", "posting"):
            room = Room.objects.create(kind=Room.Kind.NAMED, name=f"rate-{way}-{size}", title="rate")
            seq = 0
            started = time.perf_counter()
            while seq < messages:
                count = min(size, messages - seq)
                with transaction.atomic():
                    first = _next_seq(room.pk, count).seq if way == "posting" else seq + 1
                    now = timezone.now()
                    Message.objects.bulk_create(
                        Message(
                            room_id=room.pk,
                            seq=first + n,
                            author_key="bench-rate",
                            username="rate",
                            text=f"message {first + n}",
                            created_at=now,
                        )
                        for n in range(count)
                    )
                seq += count
            elapsed = time.perf_counter() - started
            row = {"database": vendor, "way": way, "batch": size, "messages": messages, "seconds": round(elapsed, 3)}
            row["per_second"] = round(messages / elapsed)
            print(json.dumps(row), flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        measure([int(b) for b in sys.argv[2].split(",")], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", default="1,10,100,1000", help="comma-separated batch sizes")
    parser.add_argument("--messages", type=int, default=10_000, help="messages per batch size and way")
    parser.add_argument("--postgres", action="store_true", help="also PostgreSQL, beside DATABASE_URL")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()

    from bench.run import BENCH_ENV, uptime
    from rooms.tests.support.servers import BASE_DIR, create_postgres_database, drop_postgres_database, server_env

    print(f"uptime before: {uptime()}", flush=True)
    rows = []

    def child(database_url: str) -> None:
        env = server_env(**{**BENCH_ENV, "DATABASE_URL": database_url})
        result = subprocess.run(
            [sys.executable, "-m", "bench.insert_rate", "measure", args.batches, str(args.messages)],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if result.returncode:
            raise SystemExit(result.stderr[-3000:])
        for line in result.stdout.splitlines():
            if line.startswith("{"):
                rows.append(json.loads(line))
                print(line, flush=True)

    if not args.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="chatsite-rate-") as tmp:
            child(f"sqlite:///{Path(tmp) / 'db.sqlite3'}")
    if args.postgres:
        base = os.environ.get("DATABASE_URL", "")
        if not base.startswith("postgres"):
            raise SystemExit("--postgres needs a postgres:// DATABASE_URL (the server's, e.g. database `test`)")
        url = create_postgres_database(base)
        try:
            child(url)
        finally:
            drop_postgres_database(base, url)
    print(f"uptime after: {uptime()}")
    print(f"{'database':<10} {'way':<8} {'batch':>6} {'messages/s':>11}")
    for row in rows:
        print(f"{row['database']:<10} {row['way']:<8} {row['batch']:>6} {row['per_second']:>11,}")


if __name__ == "__main__":
    main()
