"""A server process stopped for a deploy (SIGTERM) takes its members out of their rooms as it goes.

Two real daphne processes share one database (and, for the integration run,
one Redis). The presence timeout is a minute, so nothing here can be the
sweep of a crashed process: it is the stopping process deregistering itself.
"""

import pytest

from rooms.tests.support.client import WSClient
from rooms.tests.support.servers import query

PRESENCE_TIMEOUT = 60.0


@pytest.fixture(params=["sqlite", pytest.param("redis-postgres", marks=pytest.mark.integration)])
def two_servers(request, cluster):
    servers = cluster(2, backend=request.param, PRESENCE_TIMEOUT_SECONDS=str(PRESENCE_TIMEOUT))
    return request.param, servers


async def test_a_stopped_process_leaves_no_members_behind(two_servers):
    backend, (survivor, stopping) = two_servers
    bob = await WSClient(stopping.ws_url, name="bob").open()
    await bob.join("general", "bob")
    ann = await WSClient(survivor.ws_url, name="ann").open()
    assert sorted((await ann.join("general", "ann"))["members"]) == ["ann", "bob"]
    await ann.drain()

    stopping.stop()  # SIGTERM, as systemd and a rolling deploy do
    database = survivor.env["DATABASE_URL"]
    assert query(database, "SELECT COUNT(*) FROM rooms_serverprocess") == [(1,)]
    assert query(database, "SELECT username FROM rooms_presence") == [("ann",)]
    if backend == "redis-postgres":
        # Through Redis, the survivor's members hear it at once, as after any disconnect.
        notice = await ann.expect("system_message", skip=("room_update", "room_updates", "member_list"), wait=10)
        assert (notice["kind"], notice["username"]) == ("leave", "bob")
    # A newcomer sees the true list and counts, without waiting a minute for the sweep.
    dan = await WSClient(survivor.ws_url, name="dan").open()
    assert sorted((await dan.join("general", "dan"))["members"]) == ["ann", "dan"]
    for client in (ann, dan):
        await client.close()
