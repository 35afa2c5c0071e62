"""Fixtures of the WebSocket tests: one real daphne server per test module that asks for it."""

import pytest

from rooms.tests.support.servers import ChatServer, migrate, server_env


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """chatsite on daphne with the README's limits and the default flood control."""
    workdir = tmp_path_factory.mktemp("security-server")
    env = server_env(DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}")
    migrate(env)
    chat = ChatServer(env, workdir / "daphne.log").start()
    yield chat
    chat.stop()


@pytest.fixture
def clean_log(server):
    """Fail the test if the server logs a traceback or an error while it runs."""
    before = len(server.faults())
    yield server
    faults = server.faults()[before:]
    assert not faults, "the server logged faults:\n" + "\n".join(faults)
