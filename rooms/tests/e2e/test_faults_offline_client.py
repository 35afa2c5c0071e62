"""Nothing is lost or shown twice for a client that is offline while others chat.

Real daphne processes and clients that behave like the chat page, checked against the
database: see fault_steps.py. `integration` variants run on Redis and PostgreSQL.
"""

import asyncio

import pytest

from rooms.tests.e2e.fault_steps import SCRIPTED, assert_delivered, database_url, settle, stop_all, talk, user

# --- 4. a client offline while others chat ----------------------------------------


@pytest.mark.parametrize(
    ("backend", "offline"),
    [("sqlite", 3.0), pytest.param("redis-postgres", 30.0, marks=pytest.mark.integration)],
)
async def test_offline_client_comes_back_with_everything_in_order(cluster, backend, offline):
    """A tab loses its connection for `offline` seconds and resumes with since_id."""
    servers = cluster(2 if backend == "redis-postgres" else 1, backend=backend, **SCRIPTED)
    db_url = database_url(servers[0])
    ann = await user("ann", [servers[0]])
    bob = await user("bob", [servers[-1]])
    liz = await user("liz", [servers[0]])
    await talk(ann, 3, 0.05)
    await settle([ann, bob, liz], db_url)

    await liz.go_offline()
    loop = asyncio.get_running_loop()
    gone_at = loop.time()
    turn = 0
    while loop.time() - gone_at < offline:
        await (ann if turn % 2 else bob).say(f"while liz is away {turn}")
        turn += 1
        await asyncio.sleep(0.25)
    assert turn >= 10

    await liz.come_back([servers[-1].ws_url])  # the load balancer may send her anywhere
    assert liz.resumed and liz.connections == 2
    rows = await settle([ann, bob, liz], db_url)
    assert len(rows) == 3 + turn
    assert_delivered([ann, bob, liz], rows, everything=[ann, bob, liz])
    await stop_all([ann, bob, liz])
