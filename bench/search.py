"""Message search at scale: query times on SQLite (FTS5) and PostgreSQL (tsvector + GIN), and what the index costs a post.

    python -m bench.search --database sqlite --messages 1000000 --rooms 1000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python -m bench.search --database postgres ...

Each run makes a throwaway database (a SQLite file in a temporary folder, or
`chatsite_it_<random>` beside DATABASE_URL's, dropped at the end), migrates
it, and then in a child process with that DATABASE_URL:

  1. seeds `--messages` messages in `--rooms` public rooms (bulk inserts, so
     the database's own index keeps up as it would under posting): each
     message 6-16 words drawn from a 5,000-word vocabulary with Zipf weights,
     so the commonest word is in about a third of them; one rare word is
     planted in `--rare` messages;
  2. times `rooms.selectors.message_search` (the socket's `search`: scope,
     match, page of 20, highlights) `--runs` times for a common word, a rare
     word, a phrase of two common words, and a common word in one room,
     and prints the median and p99 and the main query's plan;
  3. times `services.message_post` with the index and again with it dropped
     (rooms/searchindex.py), in one room of the seeded database: the cost of
     indexing per message posted.

It prints one JSON line per measurement. Bounded: it stops by itself.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VOCABULARY = 5000
RARE_WORD = "quixotic"
SEED_BATCH = 5000


def words() -> list[str]:
    rng = random.Random(7)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "fi", "gu", "ha", "je", "bo"]
    vocab: list[str] = []
    seen: set[str] = set()
    while len(vocab) < VOCABULARY:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            vocab.append(word)
    return vocab


def child(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from rooms import searchindex, selectors, services
    from rooms.identity import Actor
    from rooms.models import Message, Room

    settings.DEBUG = False  # no query log while seeding; CaptureQueriesContext turns it on for its own block
    vocab = words()
    weights = [1 / (rank + 1) ** 1.07 for rank in range(len(vocab))]
    cumulative = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    rng = random.Random(11)
    now = timezone.now()
    rooms = Room.objects.bulk_create(
        Room(kind=Room.Kind.NAMED, name=f"bench-{i:04}", key=f"bench-{i:04}", title=f"bench-{i:04}")
        for i in range(args.rooms)
    )
    rare_at = set(rng.sample(range(args.messages), args.rare))
    seqs = dict.fromkeys((room.pk for room in rooms), 0)
    with_common = 0
    started = time.perf_counter()
    for start in range(0, args.messages, SEED_BATCH):
        batch = []
        for n in range(start, min(args.messages, start + SEED_BATCH)):
            room = rooms[n % len(rooms)]
            seqs[room.pk] += 1
            text = rng.choices(vocab, cum_weights=cumulative, k=rng.randint(6, 16))
            with_common += vocab[0] in text
            if n in rare_at:
                text.insert(rng.randint(0, len(text)), RARE_WORD)
            batch.append(
                Message(
                    room=room,
                    seq=seqs[room.pk],
                    author_key=f"bench-{n % 500}",
                    username=f"user{n % 500}",
                    text=" ".join(text),
                    created_at=now,
                )
            )
        with transaction.atomic():
            Message.objects.bulk_create(batch)
    for room in rooms:
        Room.objects.filter(pk=room.pk).update(last_seq=seqs[room.pk])
    seeded = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    common = vocab[0]
    share = with_common / args.messages
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "messages": args.messages,
                "rooms": args.rooms,
                "config": settings.SEARCH_CONFIG,
                "seed_seconds": round(seeded, 1),
                "seed_per_second": round(args.messages / seeded),
                "common_word": common,
                "common_share": round(share, 3),
                "rare_word_messages": args.rare,
            }
        ),
        flush=True,
    )

    reader = Actor(guest_key="bench-reader")
    queries = {
        "common word": common,
        "rare word": RARE_WORD,
        "phrase": f'"{vocab[0]} {vocab[1]}"',
        "common word in:room": f"{common} in:bench-0007",
        "two common words": f"{vocab[0]} {vocab[2]}",
    }
    for label, query in queries.items():
        selectors.message_search(actor=reader, query=query)  # warm
        times = []
        for _ in range(args.runs):
            begin = time.perf_counter()
            answer = selectors.message_search(actor=reader, query=query)
            times.append((time.perf_counter() - begin) * 1000)
        times.sort()
        with CaptureQueriesContext(connection) as captured:
            selectors.message_search(actor=reader, query=query)
        main = next(q["sql"] for q in captured.captured_queries if "ORDER BY" in q["sql"])
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + main)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + main)
            plan = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
        print(
            json.dumps(
                {
                    "query": label,
                    "text": query,
                    "results": len(answer["results"]),
                    "more": answer["next"] is not None,
                    "median_ms": round(statistics.median(times), 2),
                    "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
                    "runs": args.runs,
                    "plan": plan,
                }
            ),
            flush=True,
        )

    room = rooms[0]
    poster = Actor(guest_key="bench-poster")

    def post_cost() -> float:
        begin = time.perf_counter()
        for i in range(args.posts):
            services.message_post(
                room=room,
                actor=poster,
                username="poster",
                text=" ".join(rng.choices(vocab, cum_weights=cumulative, k=12)) + f" {i}",
            )
        return (time.perf_counter() - begin) * 1000 / args.posts

    post_cost()  # warm
    indexed = statistics.median(post_cost() for _ in range(3))
    searchindex.drop(connection)
    bare = statistics.median(post_cost() for _ in range(3))
    print(
        json.dumps(
            {
                "measure": "message_post",
                "posts": args.posts * 3,
                "with_index_ms": round(indexed, 3),
                "without_index_ms": round(bare, 3),
                "indexing_ms_per_post": round(indexed - bare, 3),
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rooms", type=int, default=1000)
    parser.add_argument("--rare", type=int, default=50)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    sys.path.insert(0, str(BASE_DIR))
    from rooms.tests.support.servers import create_postgres_database, drop_postgres_database

    with tempfile.TemporaryDirectory(prefix="bench-search-") as folder:
        base = os.environ.get("DATABASE_URL", "")
        if args.database == "postgres":
            if not base.startswith("postgres"):
                sys.exit("--database postgres needs a postgres:// DATABASE_URL to make its throwaway database beside")
            url = create_postgres_database(base)
        else:
            url = f"sqlite:///{Path(folder) / 'search.sqlite3'}"
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "chatsite.settings"}
        env.pop("REDIS_URL", None)
        try:
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                cwd=BASE_DIR,
                env=env,
                check=True,
                timeout=300,
            )
            child_args = [
                f"--{name}={getattr(args, name)}" for name in ("database", "messages", "rooms", "rare", "runs", "posts")
            ]
            subprocess.run(
                [sys.executable, "-m", "bench.search", "--child", *child_args],
                cwd=BASE_DIR,
                env=env,
                check=True,
                timeout=3600,
            )
        finally:
            if args.database == "postgres":
                drop_postgres_database(base, url)


if __name__ == "__main__":
    main()
