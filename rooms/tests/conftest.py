"""Fixtures for browser tests: one real daphne server and one headless Chromium per session; and the link
preview tests' own web site on loopback."""

import os
import shutil
import time

import pytest

from rooms.tests.support.pages import admin_login, make_staff
from rooms.tests.support.servers import (
    ChatServer,
    create_postgres_database,
    drop_postgres_database,
    migrate,
    server_env,
    sqlite_server,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "test_browser" in item.nodeid.split("::")[0]:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chat_server(tmp_path_factory):
    """chatsite on daphne with its own SQLite file and the in-memory channel layer."""
    with sqlite_server(
        tmp_path_factory.mktemp("chat-server"),
        ROOM_EMPTY_GRACE_SECONDS="2",
        RATE_LIMIT_BURST="1000",  # the tests type faster than people; flood control has its own tests
        # Every browser test creates its rooms from 127.0.0.1; the creation limit has its own tests.
        ROOM_CREATE_LIMIT="1000",
        ROOM_CREATE_ADDRESS_LIMIT="100000",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for one test module.

    Module scope on purpose: Playwright's sync API keeps an event loop running
    in this thread while it is open, which async tests cannot share.
    """
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, chat_server):
    """A fresh browser profile (its own cookies, so its own session) per call."""
    contexts = []

    def _open(path: str = "/", **context_options):
        context = browser.new_context(base_url=chat_server.url, **context_options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: problems.append(f"{page.url}: uncaught {error}"))
        page.on(
            "console",
            lambda msg: "Content Security Policy" in msg.text and problems.append(f"{page.url}: {msg.text}"),
        )
        page.goto(path)
        return page

    problems: list[str] = []
    yield _open
    for context in contexts:
        context.close()
    assert not problems, "the page had script errors or CSP violations:\n" + "\n".join(problems)


@pytest.fixture
def cluster(tmp_path):
    """Start N daphne processes sharing one database (and Redis, for backend "redis-postgres")."""
    started: list[ChatServer] = []
    databases: list[str] = []

    def _cluster(count: int, *, backend: str = "sqlite", **overrides: str) -> list[ChatServer]:
        if backend == "sqlite":
            env = server_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **overrides)
        else:
            redis_url, database_url = os.environ.get("REDIS_URL"), os.environ.get("DATABASE_URL", "")
            if not redis_url or not database_url.startswith("postgres"):
                pytest.fail("integration tests need REDIS_URL and a postgres:// DATABASE_URL (see README)")
            databases.append(create_postgres_database(database_url))
            env = server_env(DATABASE_URL=databases[-1], REDIS_URL=redis_url, **overrides)
        migrate(env)
        servers = [ChatServer(env, tmp_path / f"daphne-{len(started) + i}.log").start() for i in range(count)]
        started.extend(servers)
        return servers

    yield _cluster
    for server in started:
        server.stop()
    for url in databases:
        drop_postgres_database(os.environ["DATABASE_URL"], url)
    faults = [line for server in started for line in server.faults()]
    assert not faults, "a server logged faults:\n" + "\n".join(faults)


@pytest.fixture
def moderator(open_page, chat_server):
    """A staff member's page, logged in to the Django admin."""
    name, password = "mod", f"pw-{time.time_ns()}-Aa1!"
    make_staff(chat_server, name, password)
    page = open_page("/")
    admin_login(page, name, password)
    return page


@pytest.fixture
def preview_site(settings):
    """Link previews on, for the tests' own site on 127.0.0.1 only (support/linksite.py); every fetch done after."""
    from rooms.services.previews import fetcher
    from rooms.tests.support.linksite import link_site

    settings.LINK_PREVIEWS = True
    settings.LINK_PREVIEW_ALLOWED_HOSTS = ["127.0.0.1"]
    fetcher.forget()
    with link_site() as site:
        yield site
        fetcher.drain()
