"""The big-history workload: does a room with 100,000 messages cost more to join than an empty one?

Run by bench/run.py (`--workloads history`) with the server's environment, so it
seeds the same database the server then uses:

  1. creates `bench-history` with N messages (bulk inserts) and `bench-empty`;
  2. counts the SQL queries of a join (room_for_join + presence_enter +
     join_snapshot), a send (message_post) and a history page in each room,
     with django.test.utils.CaptureQueriesContext, and times the join;
  3. prints one JSON line per room.

bench/run.py then joins both rooms over real WebSockets and times
`join_room` -> `join_confirm`.

    DATABASE_URL=sqlite:////tmp/x.sqlite3 python -m bench.history --messages 100000
"""

import argparse
import json
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from rooms import selectors, services  # noqa: E402
from rooms.identity import Actor  # noqa: E402
from rooms.models import Message, Room  # noqa: E402

SEED_BATCH = 5000


def seed(name: str, count: int) -> Room:
    room, _ = services.room_create_named(name=name, actor=Actor(guest_key="bench-seed"))
    have = Message.objects.filter(room=room).count()
    now = timezone.now()
    for start in range(have, count, SEED_BATCH):
        with transaction.atomic():
            end = min(count, start + SEED_BATCH)
            Message.objects.bulk_create(
                Message(
                    room=room,
                    seq=seq,
                    author_key="bench-seed",
                    username="seed",
                    text=f"history message {seq}",
                    created_at=now,
                )
                for seq in range(start + 1, end + 1)
            )
            Room.objects.filter(pk=room.pk).update(last_seq=end)
    # What autovacuum does after a load this size: with no statistics yet,
    # PostgreSQL expects a handful of rows and sorts the whole room for the join page.
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Message._meta.db_table}")
    room.refresh_from_db()
    return room


def measure(room: Room, process_id: str, runs: int) -> dict:
    join_queries, join_times = set(), []
    for i in range(runs):
        actor = Actor(guest_key=f"bench-joiner-{i}")
        with CaptureQueriesContext(connection) as joined:
            start = time.perf_counter()
            # As the consumer does (rooms/ws/consumer.py): the name with the room, the positions from the lock.
            found = services.room_for_join(room_name=room.name, create=False, actor=actor, username=f"joiner{i}")
            entered = services.presence_enter(
                room=found, actor=actor, username=f"joiner{i}", connection_id=f"bench-{i}", process_id=process_id
            )
            snapshot = selectors.join_snapshot(room=found, positions=(entered.last_seq, entered.reactions_seq))
            join_times.append(time.perf_counter() - start)
        join_queries.add(len(joined))
        services.presence_leave(connection_id=f"bench-{i}")
    actor = Actor(guest_key="bench-sender")
    send_queries = set()
    for i in range(runs):
        with CaptureQueriesContext(connection) as sent:
            services.message_post(room=room, actor=actor, username="sender", text=f"probe {i}")
        send_queries.add(len(sent))
    with CaptureQueriesContext(connection) as paged:
        selectors.room_history(room=room, before_id=snapshot.history[0]["id"] if snapshot.history else None)
    return {
        "workload": "history",
        "server": "chatsite",
        "room": room.name,
        "messages": room.last_seq,
        "join_queries": sorted(join_queries),
        "send_queries": sorted(send_queries),
        "history_page_queries": len(paged),
        "join_service_median_ms": round(statistics.median(join_times) * 1000, 2),
        "history_in_join_confirm": len(snapshot.history),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    big = seed("bench-history", args.messages)
    empty = seed("bench-empty", 0)
    process_id = services.process_register()
    for room in (empty, big, empty, big):  # twice each: the first pass warms caches
        room.refresh_from_db()
        print(json.dumps(measure(room, process_id, args.runs)), flush=True)


if __name__ == "__main__":
    main()
