"""Nothing is lost or shown twice when a server process is killed or restarted mid-chat.

Real daphne processes and clients that behave like the chat page, checked against the
database: see fault_steps.py. `integration` variants run on Redis and PostgreSQL.
"""

import asyncio

import pytest

from rooms.tests.e2e.fault_steps import SCRIPTED, assert_delivered, database_url, settle, stop_all, talk, user
from rooms.tests.support.servers import ChatServer, query

PRESENCE_TIMEOUT = 3.0
BACKENDS = ["sqlite", pytest.param("redis-postgres", marks=pytest.mark.integration)]


# --- 1. a server process is killed ------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigkill_mid_chat_loses_nothing(cluster, backend):
    """Clients on two processes chat; one is SIGKILLed; its clients resume on the other."""
    await chat_through_a_lost_process(cluster, backend, ChatServer.kill)


@pytest.mark.integration
async def test_rolling_restart_mid_chat_loses_nothing(cluster):
    """The same with SIGTERM, as `systemctl restart chatsite@PORT` does it (docs/deploy.md)."""
    await chat_through_a_lost_process(cluster, "redis-postgres", ChatServer.stop)


async def chat_through_a_lost_process(cluster, backend: str, lose) -> None:
    survivor, doomed = cluster(2, backend=backend, PRESENCE_TIMEOUT_SECONDS=str(PRESENCE_TIMEOUT), **SCRIPTED)
    db_url = database_url(survivor)
    ann = await user("ann", [survivor])
    bob = await user("bob", [survivor])
    cat = await user("cat", [doomed, survivor])
    dan = await user("dan", [doomed, survivor])
    eve = await user("eve", [doomed], reconnect=False)  # her tab goes with the process: a ghost
    talkers = [ann, bob, cat, dan]

    loop = asyncio.get_running_loop()
    chatting = asyncio.gather(*(talk(u, 20, 0.05) for u in talkers))
    await asyncio.sleep(0.5)
    await asyncio.to_thread(lose, doomed)
    lost_at = loop.time()
    await chatting

    rows = await settle(talkers, db_url)
    assert_delivered(talkers, rows, everything=talkers)
    assert len(rows) == 80
    assert cat.connections == dan.connections == 2, "cat and dan should have resumed on the survivor"

    # The ghost leaves within the presence timeout; cat and dan came back as themselves.
    while not any(n["kind"] == "leave" and n["username"] == "eve" for n in ann.notices):
        assert loop.time() - lost_at < PRESENCE_TIMEOUT + 6, "eve's ghost is still there"
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    assert sorted(ann.members) == sorted(cat.members) == ["ann", "bob", "cat", "dan"]
    assert [n["username"] for n in ann.notices if n["kind"] == "leave"] == ["eve"]
    processes = await asyncio.to_thread(query, db_url, "SELECT pid FROM rooms_serverprocess")
    assert processes == [(survivor.process.pid,)], "the lost process is still registered"
    sockets = await asyncio.to_thread(query, db_url, "SELECT count(*) FROM rooms_connection")
    assert sockets == [(4,)], "connections of the lost process are left over"
    await stop_all([*talkers, eve])
