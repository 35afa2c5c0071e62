"""GET /healthz, as a load balancer polls it: a real check of the database and the channel layer.

The failure cases start daphne with a dependency pointed at a loopback port
nobody listens on, so they need neither Redis nor PostgreSQL to be installed.
"""

import http.cookiejar
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from rooms.tests.support.servers import ChatServer, free_port, migrate, server_env
from rooms.web.health import HEALTH_CHECK_TIMEOUT


def get(url: str, *, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET without following redirects: (status, headers, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def server(tmp_path):
    """Start one daphne process with the given environment; stopped after the test."""
    started: list[ChatServer] = []

    def _server(*, migrated: bool = True, **overrides: str) -> ChatServer:
        env = server_env(**{"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **overrides})
        if migrated:
            migrate(env)
        started.append(ChatServer(env, tmp_path / f"daphne-{len(started)}.log").start())
        return started[-1]

    yield _server
    for one in started:
        one.stop()


def create_named_room(base_url: str, name: str) -> str:
    """Create a room with the home page's form, as a visitor would; return where it redirects."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base_url + "/", timeout=15) as response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "ann", "new_room": name}).encode()
    request = urllib.request.Request(base_url + "/", data=form + b"&action=create_named", headers={"Referer": base_url})
    with opener.open(request, timeout=15) as response:
        return urllib.parse.urlsplit(response.url).path


def no_traceback(server: ChatServer) -> None:
    log = server.log()
    assert "Traceback" not in log, log
    assert "Exception inside application" not in log, log


def test_healthy_on_the_embedded_default(chat_server):
    status, headers, body = get(chat_server.url + "/healthz")
    assert status == 200, body
    assert headers["Content-Type"] == "application/json"
    assert "no-cache" in headers["Cache-Control"]
    report = json.loads(body)
    assert report["status"] == "ok"
    assert report["database"]["status"] == "ok"
    assert report["database"]["backend"] == "sqlite"
    assert report["channel_layer"]["status"] == "ok"
    assert report["channel_layer"]["backend"] == "InMemoryChannelLayer"


def test_only_reads_are_allowed(chat_server):
    request = urllib.request.Request(chat_server.url + "/healthz", data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=15)
    assert refused.value.code in (403, 405)  # CSRF or the method check; never a 500


def test_unavailable_when_redis_is_down(server):
    down = server(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    status, headers, body = get(down.url + "/healthz")
    assert status == 503
    assert headers["Content-Type"] == "application/json"
    report = json.loads(body)
    assert report["status"] == "error"
    assert report["database"]["status"] == "ok"
    assert report["channel_layer"]["status"] == "error"
    assert report["channel_layer"]["error"]  # which kind of failure, without internals
    # The rest of the site still works: pages, and actions whose announcement cannot be sent.
    assert get(down.url + "/")[0] == 200
    assert create_named_room(down.url, "while-redis-is-down") == "/r/while-redis-is-down/"
    no_traceback(down)


def test_unavailable_when_postgres_is_down(server):
    down = server(migrated=False, DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/chatsite")
    status, headers, body = get(down.url + "/healthz")
    assert status == 503
    report = json.loads(body)
    assert report["status"] == "error"
    assert report["database"] == {"status": "error", "error": "OperationalError"}
    assert report["channel_layer"]["status"] == "ok"
    no_traceback(down)


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never answers: a hung database or Redis."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # the kernel completes handshakes; nobody ever reads or writes
        yield listener.getsockname()[1]


@pytest.mark.parametrize("dependency", ["postgres", "redis"])
def test_a_hung_dependency_is_reported_within_the_timeout(server, silent_port, dependency):
    if dependency == "postgres":
        hung = server(migrated=False, DATABASE_URL=f"postgres://postgres@127.0.0.1:{silent_port}/chatsite")
    else:
        hung = server(REDIS_URL=f"redis://127.0.0.1:{silent_port}/0")
    started = time.monotonic()
    status, _, body = get(hung.url + "/healthz")
    elapsed = time.monotonic() - started
    report = json.loads(body)
    assert status == 503
    failed = "database" if dependency == "postgres" else "channel_layer"
    assert report[failed] == {"status": "error", "error": "timeout"}
    assert elapsed < HEALTH_CHECK_TIMEOUT + 5, elapsed  # answered, not stuck behind the hung connection
    if dependency == "redis":
        # Rate limits live in the Redis cache: a page that checks them answers anyway, unmetered.
        status, _, body = get(hung.url + "/r/no-such-room/")
        assert status == 404 and b"no-such-room" in body
    no_traceback(hung)


def test_exempt_from_the_https_redirect_in_production(server):
    production = server(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="health-check-test-" + "k" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
    )
    status, headers, _ = get(production.url + "/")
    assert status == 301 and headers["Location"].startswith("https://"), (status, headers)
    status, _, body = get(production.url + "/healthz")
    assert status == 200, body
    assert json.loads(body)["status"] == "ok"
    no_traceback(production)


@pytest.mark.integration
@pytest.mark.parametrize("layer", ["pubsub", "core"])
def test_healthy_on_redis_and_postgres_and_leaves_nothing_behind(cluster, layer):
    """Each check subscribes (pub/sub) or queues (core) on a throwaway channel, and cleans it up."""
    import redis

    (server,) = cluster(1, backend="redis-postgres", REDIS_CHANNEL_LAYER=layer)
    backends = {"pubsub": "RedisPubSubChannelLayer", "core": "RedisChannelLayer"}
    for _ in range(3):
        status, _, body = get(server.url + "/healthz")
        report = json.loads(body)
        assert status == 200, report
        assert report["channel_layer"]["backend"] == backends[layer]
    client = redis.Redis.from_url(server.env["REDIS_URL"])
    assert [name for name in client.pubsub_channels() if b"healthz" in name] == []
    assert list(client.scan_iter(match="*healthz*")) == []
    no_traceback(server)
