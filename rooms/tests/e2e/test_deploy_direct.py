"""A direct conversation across two daphne processes on Redis + PostgreSQL, one of them killed (SIGKILL) midway.

ann's socket is on one process, bob's on the other: the conversation's
announcement and its unread counts reach bob through his own stream, across
processes. Then bob's process is killed while ann goes on writing; bob
reconnects to the survivor and finds the count right and every message there,
in order, once. And a public room's coalesced count and a conversation
partner's online dot cross processes the same way.
"""

import asyncio

import pytest

from rooms.tests.e2e.fault_steps import SCRIPTED
from rooms.tests.support.client import NOISE, STREAM_NOISE, WSClient
from rooms.tests.support.tab import session_cookie

pytestmark = pytest.mark.integration

SKIP = (*NOISE, *STREAM_NOISE, "ack")


async def person(server, name: str, cookie: str | None = None) -> tuple[WSClient, str, dict]:
    """A socket of `name` (a new browser unless `cookie`), in #general: (socket, its cookie, its inbox)."""
    cookie = cookie or await asyncio.to_thread(session_cookie, server.url)
    client = await WSClient(server.ws_url, cookie=cookie, name=name).open()
    inbox = await client.expect("inbox", skip=NOISE)
    await client.join("general", name)
    return client, cookie, inbox


async def test_a_conversation_survives_a_killed_process_with_nothing_lost_and_counts_right(cluster):
    survivor, doomed = cluster(2, backend="redis-postgres", PRESENCE_TIMEOUT_SECONDS="3", **SCRIPTED)
    ann, _, _ = await person(survivor, "ann")
    bob, bob_cookie, _ = await person(doomed, "bob")
    await asyncio.sleep(0.3)  # bob's join has reached ann's process: she can name him

    await ann.send("open_direct", {"usernames": ["bob"]})
    room = (await ann.expect("direct_opened", skip=SKIP))["room"]
    assert (await bob.expect("direct_added", skip=NOISE))["room"] == room  # across processes, his own stream
    await ann.join(room)

    sent = []
    for number in range(5):
        sent.append(await ann.say(f"before {number}"))
    unread = await bob.expect("unread", skip=NOISE, where=lambda data: data["count"] == 5, wait=10)
    assert unread == {"room": room, "count": 5, "username": "ann"}

    await asyncio.to_thread(doomed.kill)
    for number in range(5):
        sent.append(await ann.say(f"after {number}"))

    # bob's page reconnects to the process still there: the count is right from the database.
    again, _, inbox = await person(survivor, "bob", bob_cookie)
    assert {row["room"]: row["count"] for row in inbox["unread"]}[room] == 10
    assert [c["room"] for c in inbox["conversations"]] == [room]
    confirm = await again.join(room)
    assert [m["id"] for m in confirm["history"]] == [m["id"] for m in sent]
    assert [m["text"] for m in confirm["history"]] == [f"before {n}" for n in range(5)] + [
        f"after {n}" for n in range(5)
    ]
    assert confirm["last_read"] == 0

    await again.send("mark_read", {"room": room, "id": sent[-1]["id"]})
    assert (await again.expect("unread", skip=NOISE, where=lambda data: "last_read" in data))["count"] == 0
    reply = await again.say("got them all")
    assert (await ann.expect("receive_message", skip=SKIP))["id"] == reply["id"]
    for client in (ann, again):
        await client.close()


async def test_room_counts_and_online_dots_reach_a_person_on_the_other_process(cluster):
    first, second = cluster(2, backend="redis-postgres")
    ann, _, _ = await person(first, "ann")
    bob, bob_cookie, _ = await person(second, "bob")  # bob belongs to #general from now on
    await asyncio.sleep(0.3)  # bob's join has reached ann's process: she can name him
    await ann.send("open_direct", {"usernames": ["bob"]})
    await ann.expect("direct_opened", skip=SKIP)
    await bob.expect("direct_added", skip=NOISE)
    bob_author = (await bob.join("tech"))["author"]
    await ann.collect(seconds=0.5)  # her own direct_added, whenever it came

    # ann writes in #general on her process; bob, reading #tech on the other, hears the count (coalesced).
    for number in range(5):
        await ann.say(f"in general {number}")
    unread = await bob.expect("unread", skip=NOISE, where=lambda data: data["count"] == 5, wait=10)
    assert unread == {"room": "general", "count": 5}

    # bob's last socket closes: ann, on the other process, sees his dot go out; he comes back: on again.
    await bob.close()
    assert await ann.expect("online", skip=SKIP, wait=10) == {"author": bob_author, "online": False}
    again, _, inbox = await person(second, "bob", bob_cookie)
    assert {row["room"]: row["count"] for row in inbox["unread"]}["general"] == 5
    assert await ann.expect("online", skip=SKIP, wait=10) == {"author": bob_author, "online": True}
    for client in (ann, again):
        await client.close()
