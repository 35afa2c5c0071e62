"""`inbox` in pages: a person with 1,000 conversations gets the newest 50, asks for more, and connecting
and joining cost the same number of queries as with one conversation.

Real ASGI application and hub on the test database. Queries are counted on the database thread, where
every database call of the sockets runs (channels' database_sync_to_async).
"""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rooms.models import Membership, Message, Presence, Room
from rooms.rules import new_direct_name
from rooms.selectors.direct import INBOX_PAGE
from rooms.tests.support.client import NOISE, STREAM_NOISE

pytestmark = pytest.mark.django_db(transaction=True)

STREAM = (*NOISE, *STREAM_NOISE)
PARTNER = "g:someone-offline"
# Other sockets' background work on the same database thread (the hub's heartbeat and sweep), not the socket's.
BACKGROUND = ("rooms_serverprocess", "rooms_connection")


@database_sync_to_async
def person_of(username: str) -> str:
    return Presence.objects.get(username=username).guest_key


@database_sync_to_async
def give_conversations(person: str, count: int, *, unread_in: tuple[int, ...] = ()) -> list[str]:
    """`count` conversations of `person` with PARTNER, oldest activity first; names newest first.

    The conversations at the indexes `unread_in` (0: the oldest) hold a message from PARTNER.
    """
    start = timezone.now() - timedelta(days=30)
    names = [new_direct_name() for _ in range(count)]
    rooms = Room.objects.bulk_create(
        Room(
            kind=Room.Kind.DIRECT,
            name=name,
            key=name,
            title="Direct conversation",
            people_key=f"test-{name}",
            last_active_at=start + timedelta(minutes=index),
        )
        for index, name in enumerate(names)
    )
    Membership.objects.bulk_create(
        Membership(person_key=key, room=room, username=shown)
        for room in rooms
        for key, shown in ((person, "bob"), (PARTNER, "pat"))
    )
    Message.objects.bulk_create(
        Message(room=rooms[index], seq=1, author_key=PARTNER, username="pat", text="hello") for index in unread_in
    )
    return names[::-1]


async def queries_of(action) -> list[str]:
    """The SQL the database thread ran while `action` was awaited, but the hub's background rounds."""
    context = CaptureQueriesContext(connection)
    await database_sync_to_async(context.__enter__)()
    try:
        await action()
    finally:
        await database_sync_to_async(context.__exit__)(None, None, None)
    # Read there too: `connection` is that thread's own.
    captured = await database_sync_to_async(lambda: context.captured_queries)()
    return [q["sql"] for q in captured if not any(table in q["sql"] for table in BACKGROUND)]


async def test_the_inbox_comes_in_pages_and_the_unread_total_stays_right(connect, joined):
    bob = await joined("general", "bob")
    person = await person_of("bob")
    newest_first = await give_conversations(person, 2 * INBOX_PAGE + 5, unread_in=(0, 1, 2 * INBOX_PAGE + 4))

    again = await connect(session=bob.session_key)
    inbox = again.inbox
    assert [c["room"] for c in inbox["conversations"]] == newest_first[:INBOX_PAGE]
    assert inbox["more"] is True
    assert [p["username"] for p in inbox["conversations"][0]["people"]] == ["pat"]
    counts = {row["room"]: row["count"] for row in inbox["unread"]}
    # Every public room one belongs to, every conversation shown, and the older ones with something unread.
    assert set(counts) == {"general", *newest_first[:INBOX_PAGE], newest_first[-1], newest_first[-2]}
    assert sum(counts.values()) == 3

    await again.send("inbox_more", {"before": newest_first[INBOX_PAGE - 1]})
    page = await again.expect("inbox_page", skip=STREAM)
    assert [c["room"] for c in page["conversations"]] == newest_first[INBOX_PAGE : 2 * INBOX_PAGE]
    assert page["more"] is True and page["before"] == newest_first[INBOX_PAGE - 1]
    await again.send("inbox_more", {"before": newest_first[2 * INBOX_PAGE - 1]})
    last = await again.expect("inbox_page", skip=STREAM)
    assert [c["room"] for c in last["conversations"]] == newest_first[2 * INBOX_PAGE :]
    assert last["more"] is False
    assert {row["room"]: row["count"] for row in last["unread"]}[newest_first[-1]] == 1


async def test_paging_or_asking_for_someone_elses_conversation_is_a_room_that_does_not_exist(connect, joined):
    bob = await joined("general", "bob")
    names = await give_conversations(await person_of("bob"), 3)
    carol = await joined("general", "carol")
    await carol.send("inbox_more", {"before": names[0]})
    assert (await carol.expect("error", skip=STREAM))["code"] == "room_not_found"
    await carol.send("inbox_more", {"before": "general"})  # a room, not a conversation
    assert (await carol.expect("error", skip=STREAM))["code"] == "room_not_found"
    await bob.send("inbox_more", {})
    assert (await bob.expect("error", skip=STREAM))["code"] == "bad_frame"
    # One conversation, as the list shows it: only to a member.
    await bob.send("get_conversation", {"room": names[-1].upper()})
    assert (await bob.expect("conversation", skip=STREAM))["room"] == names[-1]
    for name in (names[-1], "general", "_nothing"):
        await carol.send("get_conversation", {"room": name})
        assert (await carol.expect("error", skip=STREAM))["code"] == "room_not_found"


async def test_connecting_and_joining_cost_the_same_queries_with_1_or_1000_conversations(connect, joined):
    counted = {}
    for username, conversations in (("bob", 1), ("dave", 1000)):
        first = await joined("general", username)
        await give_conversations(await person_of(username), conversations, unread_in=(0,))
        opened = {}

        async def connect_and_join(session=first.session_key, username=username, opened=opened):
            opened["client"] = await connect(session=session)
            await opened["client"].join("tech", username)

        counted[conversations] = await queries_of(connect_and_join)
        assert len(opened["client"].inbox["conversations"]) == min(conversations, INBOX_PAGE)
        assert sum(row["count"] for row in opened["client"].inbox["unread"]) == 1
    assert len(counted[1000]) == len(counted[1]), "\n\n".join(counted[1000])
