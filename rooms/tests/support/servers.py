"""Real chatsite servers for browser and integration tests: daphne subprocesses on loopback."""

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[3]
DAPHNE = str(Path(sys.executable).with_name("daphne"))
# Lines that mean the server hit an unhandled fault.
FAULT_MARKERS = ("Traceback (most recent call last)", "Exception inside application", " ERROR ")
# The WebSocket limits of the README's daphne command (settings.DAPHNE_WEBSOCKET_MAX_*_SIZE).
DAPHNE_LIMITS = ["--websocket-max-message-size", "262144", "--websocket-max-frame-size", "262144"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="chatsite.settings",
        DJANGO_DEBUG="1",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
        # Links the tests post are never fetched (loopback-only network); preview tests turn it on.
        DJANGO_LINK_PREVIEWS="0",
    )
    env.update(overrides)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=120,
    )


class ChatServer:
    """One daphne process serving chatsite; start, kill -9, restart, read its log."""

    def __init__(self, env: dict[str, str], log_path: Path, port: int | None = None):
        self.env = env
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        # The full daphne command line, when a test runs a documented one (docs/deploy/).
        self.command: list[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat/"

    def start(self, timeout: float = 30) -> "ChatServer":
        command = self.command or [
            DAPHNE,
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            *DAPHNE_LIMITS,
            "chatsite.asgi:application",
        ]
        with self.log_path.open("a") as log:  # the child writes to its own copy
            self.process = subprocess.Popen(command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited early:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"daphne did not listen on {self.port} within {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def shell(self, code: str) -> None:
        """Run Python in `manage.py shell` against this server's database (test set-up a user could not do)."""
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=BASE_DIR,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def kill(self) -> None:
        """SIGKILL: no disconnect handlers, no cleanup, like a crash."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> "ChatServer":
        self.stop()
        return self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def faults(self) -> list[str]:
        return [line for line in self.log().splitlines() if any(marker in line for marker in FAULT_MARKERS)]


@contextlib.contextmanager
def sqlite_server(workdir: Path, **overrides: str) -> Iterator[ChatServer]:
    """chatsite on daphne with its own SQLite file in `workdir`; fails if the server logged a fault."""
    env = server_env(
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}", DJANGO_MEDIA_ROOT=str(workdir / "media"), **overrides
    )
    migrate(env)
    server = ChatServer(env, workdir / "daphne.log").start()
    try:
        yield server
    finally:
        server.stop()
    faults = server.faults()
    assert not faults, "the server logged faults:\n" + "\n".join(faults)


@contextlib.contextmanager
def database_write_lock(database_url: str):
    """Hold SQLite's write lock from outside, as a long commit would: the server's next batch waits for it."""
    conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=20, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("COMMIT")
    finally:
        conn.close()


def create_postgres_database(database_url: str) -> str:
    """A fresh, empty database beside the one in `database_url`; returns its URL."""
    import secrets
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"chatsite_it_{secrets.token_hex(4)}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def drop_postgres_database(database_url: str, url: str) -> None:
    from urllib.parse import urlsplit

    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(database_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the servers' database directly (SQLite file or PostgreSQL), as a test's ground truth.

    Write `sql` with %s placeholders; they are adapted for SQLite.
    """
    if database_url.startswith("sqlite"):
        import sqlite3

        path = database_url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(path, timeout=20)) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def room_messages(database_url: str, room: str) -> list[tuple[int, str, str, str]]:
    """(id, username, text, client_id) of every visible message in `room`, in seq order."""
    return query(
        database_url,
        "SELECT m.id, m.username, m.text, m.client_id FROM rooms_message m JOIN rooms_room r ON r.id = m.room_id "
        "WHERE r.key = %s AND m.deleted_at IS NULL ORDER BY m.seq",
        (room,),
    )
