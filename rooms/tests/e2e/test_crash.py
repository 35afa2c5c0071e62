"""A server process that dies without cleaning up leaves no ghosts behind.

Two real daphne processes share one database (and, for the integration run,
one Redis); one is killed with SIGKILL, so it never runs a disconnect handler;
the survivor's clients must see the ghosts leave within the presence timeout.
"""

import asyncio

import pytest

from rooms.tests.support.client import WSClient

PRESENCE_TIMEOUT = 3.0


@pytest.fixture(params=["sqlite", pytest.param("redis-postgres", marks=pytest.mark.integration)])
def two_servers(request, cluster):
    return cluster(2, backend=request.param, PRESENCE_TIMEOUT_SECONDS=str(PRESENCE_TIMEOUT))


async def test_sigkill_leaves_no_ghosts(two_servers):
    survivor, doomed = two_servers
    bob = await WSClient(doomed.ws_url, name="bob").open()
    cat = await WSClient(doomed.ws_url, name="cat").open()
    await bob.join("general", "bob")
    await cat.join("general", "cat")
    ann = await WSClient(survivor.ws_url, name="ann").open()
    confirm = await ann.join("general", "ann")
    assert sorted(confirm["members"]) == ["ann", "bob", "cat"]
    await ann.drain()

    doomed.kill()
    loop = asyncio.get_running_loop()
    killed_at = loop.time()
    left = set()
    members = None
    while left != {"bob", "cat"} or members != ["ann"]:
        name, data = await ann.receive(wait=PRESENCE_TIMEOUT + 10)
        if name == "system_message" and data["kind"] == "leave":
            left.add(data["username"])
        elif name == "member_list":
            members = data["members"]
    elapsed = loop.time() - killed_at
    # Functional deadline: the timeout plus one housekeeping round and slack.
    assert elapsed <= PRESENCE_TIMEOUT + 6, elapsed

    # The survivor keeps serving: a newcomer sees the true member list.
    dan = await WSClient(survivor.ws_url, name="dan").open()
    assert sorted((await dan.join("general", "dan"))["members"]) == ["ann", "dan"]
    for client in (ann, dan):
        await client.close()
