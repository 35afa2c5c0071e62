"""Direct conversations at scale: does a person with 1,000 conversations cost more to join a room, or to connect?

  1. seeds `--conversations` direct conversations (bulk inserts) between one
     person ("bench-many") and as many others, each with `--messages` messages
     from the other side (so each has unread ones), and a second person
     ("bench-none") with none;
  2. for each of the two, counts the SQL queries (django.test.utils.CaptureQueriesContext)
     and times a join of a public room (room_for_join + presence_enter +
     join_snapshot, what the socket does) and of one of the conversations, and
     the `inbox` read a socket gets on connecting (selectors.person_inbox:
     its first page of conversations, and the unread rows), with the size of that frame;
  3. prints one JSON line per person.

    DATABASE_URL=sqlite:////tmp/direct.sqlite3 python -m bench.direct --conversations 1000

Against a throwaway database only: run `manage.py migrate` on it first.
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

from rooms import rules, selectors, services  # noqa: E402
from rooms.identity import Actor  # noqa: E402
from rooms.models import Membership, Message, Room  # noqa: E402
from rooms.payloads import encode  # noqa: E402
from rooms.services.direct import _people_key  # noqa: E402

MANY, NONE = "bench-many", "bench-none"


def seed(count: int, messages: int) -> None:
    if Membership.objects.filter(person_key=MANY).count() >= count:
        return
    now = timezone.now()
    with transaction.atomic():
        rooms = Room.objects.bulk_create(
            Room(
                kind=Room.Kind.DIRECT,
                name=(name := rules.new_direct_name()),
                key=name,
                title="Direct conversation",
                people_key=_people_key({MANY, f"bench-other-{i}"}),
                last_seq=messages,
            )
            for i in range(count)
        )
        rooms = list(Room.objects.filter(kind=Room.Kind.DIRECT, people_key__in=[r.people_key for r in rooms]))
        Membership.objects.bulk_create(
            member
            for i, room in enumerate(rooms)
            for member in (
                Membership(person_key=MANY, room=room, username="many"),
                Membership(person_key=f"bench-other-{i}", room=room, username=f"other{i}"),
            )
        )
        Message.objects.bulk_create(
            Message(
                room=room,
                seq=seq,
                author_key=f"bench-other-{i}",
                username=f"other{i}",
                text=f"hi {seq}",
                created_at=now,
            )
            for i, room in enumerate(rooms)
            for seq in range(1, messages + 1)
        )
    with connection.cursor() as cursor:
        for model in (Message, Membership, Room):
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def join(room_name: str, person: str, process_id: str, tag: str) -> tuple[int, float]:
    actor = Actor(guest_key=person)
    with CaptureQueriesContext(connection) as joined:
        start = time.perf_counter()
        # As the consumer does (rooms/ws/consumer.py): the name with the room, the positions from the lock.
        room = services.room_for_join(room_name=room_name, create=False, actor=actor, username=person)
        entered = services.presence_enter(
            room=room, actor=actor, username=person, connection_id=tag, process_id=process_id
        )
        selectors.join_snapshot(room=room, positions=(entered.last_seq, entered.reactions_seq))
        took = time.perf_counter() - start
    services.presence_leave(connection_id=tag)
    return len(joined), took


def measure(person: str, process_id: str, runs: int) -> dict:
    conversation = Membership.objects.filter(person_key=person, room__kind=Room.Kind.DIRECT).first()
    public, direct = set(), set()
    public_times, direct_times, inbox_times = [], [], []
    for i in range(runs):
        queries, took = join("general", person, process_id, f"bench-{person}-g{i}")
        public.add(queries)
        public_times.append(took)
        if conversation is not None:
            queries, took = join(conversation.room.name, person, process_id, f"bench-{person}-d{i}")
            direct.add(queries)
            direct_times.append(took)
    inbox_queries = set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as read:
            start = time.perf_counter()
            inbox = selectors.person_inbox(person=person)
            inbox_times.append(time.perf_counter() - start)
        inbox_queries.add(len(read))
    ms = lambda times: round(statistics.median(times) * 1000, 2) if times else None  # noqa: E731
    return {
        "workload": "direct",
        "person": person,
        "conversations": Membership.objects.filter(person_key=person, room__kind=Room.Kind.DIRECT).count(),
        "inbox_conversations": len(inbox["conversations"]),  # its first page (selectors.INBOX_PAGE)
        "inbox_more": inbox["more"],
        "inbox_unread_rows": len(inbox["unread"]),
        "unread_total": sum(row["count"] for row in inbox["unread"]),
        "join_public_queries": sorted(public),
        "join_public_median_ms": ms(public_times),
        "join_conversation_queries": sorted(direct),
        "join_conversation_median_ms": ms(direct_times),
        "inbox_queries": sorted(inbox_queries),
        "inbox_median_ms": ms(inbox_times),
        "inbox_frame_bytes": len(encode("inbox", inbox).encode()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=3, help="messages in each conversation, all unread")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    services.topic_rooms_ensure()
    seed(args.conversations, args.messages)
    process_id = services.process_register()
    for person in (NONE, MANY, NONE, MANY):  # twice each: the first pass warms caches
        print(json.dumps(measure(person, process_id, args.runs)), flush=True)


if __name__ == "__main__":
    main()
