"""Reactions across processes sharing Redis and PostgreSQL: a burst from two processes at once
is every reaction once, in the newest set everywhere, and a page that was away resumes it."""

import asyncio

import pytest

from rooms.tests.support.client import WSClient

pytestmark = pytest.mark.integration


def newest_sets(frames, message_id):
    """The highest-rseq `reactions` of that message among the frames: what a page shows."""
    sets = [d for name, d in frames if name == "reactions" and d["id"] == message_id]
    return max(sets, key=lambda d: d["rseq"]) if sets else None


async def test_a_burst_of_reactions_from_two_processes_ends_the_same_everywhere(cluster):
    servers = cluster(2, backend="redis-postgres", REACTION_RATE_LIMIT="100")
    people = [await WSClient(servers[i % 2].ws_url, name=f"p{i}").open() for i in range(10)]
    tokens = [(await p.join("general", p.name))["author"] for p in people]
    target = await people[0].say("react to this")
    for p in people[1:]:
        await p.expect("receive_message", skip=(*p.skip, "ack"))
    away = people[9]
    known = (await away.join("tech"))["reactions_seq"]
    await away.send("join_room", {"room_name": "general"})
    known = (await away.expect("join_confirm", skip=(*away.skip, "receive_message")))["reactions_seq"]
    await away.close()

    # Everyone still here reacts twice at the same moment: both processes lock the same room and message.
    await asyncio.gather(*(p.send("react", {"id": target["id"], "emoji": e}) for p in people[:9] for e in ("👍", "🎉")))
    frames = {p.name: await p.drain(1.5) for p in people[:9]}
    for name, got in frames.items():
        assert not [d for n, d in got if n == "error"], name
        final = newest_sets(got, target["id"])
        assert [(r["emoji"].replace("\ufe0f", ""), r["count"]) for r in final["reactions"]] == [("👍", 9), ("🎉", 9)]
        assert sorted(final["reactions"][0]["authors"]) == sorted(tokens[:9]), name
    rseqs = {newest_sets(got, target["id"])["rseq"] for got in frames.values()}
    assert len(rseqs) == 1  # the same newest set on both processes

    back = await WSClient(servers[1].ws_url, name="back").open()
    await back.send(
        "join_room", {"room_name": "general", "username": "p9", "since_id": target["id"], "reactions_since": known}
    )
    await back.expect("join_confirm")
    resumed = newest_sets(await back.drain(1.0), target["id"])
    assert resumed["rseq"] == rseqs.pop()
    assert [r["count"] for r in resumed["reactions"]] == [9, 9]
    for p in [*people[:9], back]:
        await p.close()
