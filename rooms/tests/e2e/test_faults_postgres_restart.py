"""Nothing acknowledged is lost or shown twice when PostgreSQL restarts mid-chat.

Real daphne processes on Redis and PostgreSQL, and clients that behave like the
chat page, checked against the database: see fault_steps.py. The test stops the
machine's PostgreSQL (the one at DATABASE_URL) and always starts it again.
"""

import asyncio
import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from rooms.tests.e2e.fault_steps import ROOM, SCRIPTED, assert_delivered, database_url, settle, stop_all, talk, user
from rooms.tests.support.servers import ChatServer
from rooms.tests.support.tab import ChatUser, session_cookie

# --- 7. PostgreSQL restarts -------------------------------------------------------


def postgres_cluster() -> list[str]:
    """`pg_ctlcluster` arguments for the machine's cluster, as .ci/run starts it."""
    (version,) = sorted(path.name for path in Path("/etc/postgresql").iterdir())
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def postgres_up() -> bool:
    parts = urlsplit(os.environ["DATABASE_URL"])
    host, port = parts.hostname or "127.0.0.1", str(parts.port or 5432)
    return subprocess.run(["pg_isready", "-q", "-h", host, "-p", port], timeout=30).returncode == 0


def postgres_wait(*, up: bool) -> None:
    for _ in range(150):
        if postgres_up() is up:
            return
        subprocess.run(["sleep", "0.2"], check=True)
    raise RuntimeError(f"PostgreSQL did not {'come back' if up else 'stop'}")


def postgres_stop() -> None:
    subprocess.run([*postgres_cluster(), "stop"], check=True, capture_output=True, timeout=60)
    postgres_wait(up=False)


def postgres_restart() -> None:
    subprocess.run([*postgres_cluster(), "restart"], check=True, capture_output=True, timeout=60)
    postgres_wait(up=True)


def postgres_start() -> None:
    """Start the machine's PostgreSQL again (if it is down) and wait until it answers."""
    if not postgres_up():
        subprocess.run([*postgres_cluster(), "start"], check=True, capture_output=True, timeout=60)
    postgres_wait(up=True)


@pytest.fixture
def postgres_restartable():
    """Whatever happens in the test, PostgreSQL is running again afterwards (before the databases are dropped)."""
    yield
    postgres_start()


def page(server: ChatServer, path: str) -> tuple[int, str, str]:
    """(status, Retry-After, body) of a page."""
    try:
        with urllib.request.urlopen(server.url + path, timeout=15) as response:
            return response.status, response.headers.get("Retry-After", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After", ""), error.read().decode()


def health(server: ChatServer) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(server.url + "/healthz", timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.integration
async def test_postgres_restart_mid_chat_loses_nothing(cluster, postgres_restartable):
    """PostgreSQL goes away for a few seconds: sends are answered `unavailable` and resent, nothing is lost."""
    one, two = cluster(2, backend="redis-postgres", **SCRIPTED)
    db_url = database_url(one)
    pids = [one.process.pid, two.process.pid]
    ann = await user("ann", [one])
    bob = await user("bob", [one])
    cat = await user("cat", [two])
    dan = await user("dan", [two])
    talkers = [ann, bob, cat, dan]
    eve = await user("eve", [one])  # closes her tab during the outage
    # A newcomer whose page loaded just before the outage; her socket opens during it.
    fay = ChatUser("fay", ROOM, [two.ws_url], cookie=await asyncio.to_thread(session_cookie, two.url))

    chatting = asyncio.gather(*(talk(u, 30, 0.15) for u in talkers))
    try:
        await asyncio.sleep(1)
        await asyncio.to_thread(postgres_stop)
        arriving = asyncio.get_running_loop().create_task(fay.start(within=30))  # in once the database is back
        await eve.go_offline()
        await asyncio.sleep(1)
        during = [await asyncio.to_thread(health, server) for server in (one, two)]
        pages = [await asyncio.to_thread(page, one, path) for path in ("/", "/r/general/")]
        await asyncio.sleep(1.5)
    finally:
        await asyncio.to_thread(postgres_start)
    await arriving
    await fay.say("hello after the outage")
    await chatting

    for status, body in during:
        assert status == 503, "/healthz did not report the outage"
        assert body["status"] == "error" and body["database"]["status"] == "error", body
        assert body["channel_layer"]["status"] == "ok", body
    # The lobby and a room page say the site is briefly away and reload themselves: no 500, no traceback.
    for status, retry_after, text in pages:
        assert (status, retry_after) == (503, "2"), (status, text[:500])
        assert "Back in a moment" in text and 'http-equiv="refresh"' in text
    for server in (one, two):  # fay's handshake on two met the outage at its session read: refused, no traceback
        assert "Traceback" not in server.log() and "Internal Server Error" not in server.log()
    assert page(one, "/")[0] == 200
    everyone = [*talkers, fay]
    rows = await settle(everyone, db_url, late=(fay,))
    assert_delivered(everyone, rows, everything=everyone, late=(fay,))
    assert len(rows) == 121
    answered = [error for u in talkers for error in u.unavailable]
    assert answered, "no send was answered `unavailable` during the outage"
    assert all(error["event"] == "send_message" and error["retry_after"] > 0 for error in answered), answered[:3]
    assert all(u.connections == 1 for u in talkers), "a socket dropped"
    assert [one.process.pid, two.process.pid] == pids and all(s.process.poll() is None for s in (one, two))
    for server in (one, two):
        assert server.log().count("database unavailable") == 1, "the outage was not logged once"
        assert "database available again" in server.log(), "the end of the outage was never logged"
        assert health(server)[0] == 200, "/healthz still reports the outage"
    # The database is back for real: a message is stored and reaches everyone at once.
    await ann.say("after the restart")
    await settle(everyone, db_url, within=3, late=(fay,))

    # eve's leave could not be written while the database was away; once it is back, she is gone for everyone.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while any(sorted(u.members) != ["ann", "bob", "cat", "dan", "fay"] for u in everyone):
        assert loop.time() < deadline, f"stale after the outage: {[(u.name, u.members) for u in everyone]}"
        await asyncio.sleep(0.1)
    await stop_all(everyone)


@pytest.mark.integration
async def test_a_quiet_restart_costs_nobody_a_retry(cluster, postgres_restartable):
    """PostgreSQL restarts while nobody speaks: the next message is stored at once, on a fresh connection.

    The process's kept connection died in the restart; it is checked before reuse
    (CONN_HEALTH_CHECKS) and replaced, rather than failing the first call after it.
    """
    (server,) = cluster(1, backend="redis-postgres", **SCRIPTED)
    ann = await user("ann", [server])
    await ann.say("before the restart")
    await settle([ann], database_url(server))

    def outages() -> int:
        return server.log().count("database unavailable")

    for _ in range(5):
        before = outages()
        await asyncio.to_thread(postgres_restart)
        if outages() == before:
            break  # no housekeeping round fell into the seconds it was down: the restart was quiet
    else:
        pytest.fail("every restart overlapped a housekeeping round")
    await ann.say("after the restart")
    await settle([ann], database_url(server))
    assert ann.unavailable == [], "the first message after the restart was refused"
    assert outages() == before, "a call after the restart failed on the dead connection"
    await stop_all([ann])
