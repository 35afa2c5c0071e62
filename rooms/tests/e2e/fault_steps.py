"""What the fault tests (e2e/test_faults_*.py) share: users that behave like the chat page,
and the check that nothing a user sent or should have seen is lost or shown twice.

The tests run real daphne processes and real clients that behave like the chat page
(rooms/tests/support/tab.py ChatUser: reconnect, `since_id`, resend unacknowledged
`client_id`s), break something, and then compare what every client received with what
the database holds. The integration variants run on Redis and PostgreSQL
(`-m integration`); the SQLite variants run in the plain suite where the fault makes
sense without Redis.
"""

import asyncio
from collections import Counter

from rooms.tests.support.servers import ChatServer, room_messages
from rooms.tests.support.tab import ChatUser, session_cookie

ROOM = "general"

# The clients here are scripts and type faster than people; flood control has its own tests.
SCRIPTED = {"RATE_LIMIT_BURST": "100000", "FRAME_RATE_BURST": "100000"}


def database_url(server: ChatServer) -> str:
    return server.env["DATABASE_URL"]


async def user(name: str, servers: list[ChatServer], **options) -> ChatUser:
    """A new tab with its own session, joined to ROOM on the first of `servers`."""
    cookie = await asyncio.to_thread(session_cookie, servers[0].url)
    return await ChatUser(name, ROOM, [server.ws_url for server in servers], cookie=cookie, **options).start()


async def talk(who: ChatUser, count: int, pace: float) -> None:
    for number in range(count):
        await who.say(f"{who.name} says {number}")
        await asyncio.sleep(pace)


async def settle(
    users: list[ChatUser], db_url: str, *, within: float = 60, late: tuple[ChatUser, ...] = ()
) -> list[tuple]:
    """Wait until every message is acknowledged and every user has as many as the database; return the rows.

    Those in `late` joined when the room already had more than one page of history:
    they need every message from the first they were shown.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        rows = await asyncio.to_thread(room_messages, db_url, ROOM)
        ids = [row[0] for row in rows]
        if all(not u.unacked and _caught_up(u, ids, late=u in late) for u in users):
            return rows
        if loop.time() > deadline:
            state = {u.name: (len(u.received), sorted(u.unacked)[:5], u.errors[:3]) for u in users}
            raise AssertionError(f"not settled after {within}s: {len(rows)} in the database; {state}")
        await asyncio.sleep(0.2)


def _caught_up(u: ChatUser, ids: list[int], *, late: bool) -> bool:
    got = {m["id"] for m in u.received}
    first = min(got, default=None) if late else None
    return set(ids[ids.index(first) :] if first in ids else ids) <= got


def assert_delivered(
    users: list[ChatUser], rows: list[tuple], *, everything: list[ChatUser], late: tuple[ChatUser, ...] = ()
) -> None:
    """0 lost, 0 duplicates: in the database and in every client's view.

    `users` sent every message in the room; each of `everything` must have been
    shown all of them (those in `late` joined later: the newest ones), in order, once.
    """
    stored = Counter(row[3] for row in rows)
    sent = [client_id for u in users for client_id in u.sent]
    assert sum(stored.values()) == len(sent), "messages in the room that nobody here sent, or missing ones"
    assert {cid for cid, n in stored.items() if n != 1} == set(), "a client_id stored twice"
    assert set(stored) == set(sent), f"lost: {sorted(set(sent) - set(stored))[:10]}"
    texts = {client_id: text for u in users for client_id, text in u.texts.items()}
    assert all(row[2] == texts[row[3]] for row in rows), "a message was stored with another text"
    ids = [row[0] for row in rows]
    for u in everything:
        got = [message["id"] for message in u.received]
        assert len(got) == len(set(got)), f"{u.name} was shown a message twice"
        expected = ids[ids.index(got[0]) :] if u in late and got else ids
        assert got == expected, f"{u.name} missed some, or got them out of order"
        shown = {message["id"]: message["text"] for message in u.received}
        assert all(shown[row[0]] == row[2] for row in rows if row[0] in shown), f"{u.name} was shown another text"
        assert u.errors == [], f"{u.name} got errors: {u.errors}"


async def stop_all(users: list[ChatUser]) -> None:
    for u in users:
        await u.stop()
