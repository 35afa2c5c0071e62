"""The deployment of docs/deploy.md, run for real on loopback.

Two daphne processes in production mode (DEBUG off, PostgreSQL, Redis) are
started with the ExecStart line of docs/deploy/chatsite@.service, behind nginx
running docs/deploy/nginx.conf with TLS. Only ports and certificate paths are
substituted; everything a user touches goes through nginx.
"""

import asyncio
import json
import posixpath
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import socketio
import websockets

from rooms.tests.e2e.deploy_steps import (
    documented_daphne_command,
    nginx_main_config,
    render_nginx_site,
    self_signed_certificate,
    wait_for_port,
)
from rooms.tests.support.client import NOISE, WSClient
from rooms.tests.support.servers import BASE_DIR, free_port, query
from rooms.tests.support.tab import session_cookie, session_set_cookie

pytestmark = pytest.mark.integration

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def nginx(tmp_path):
    """Run the documented site config in front of the given daphne ports; stopped after the test."""
    if not Path(NGINX).exists():
        pytest.fail("the deploy test needs nginx (apt-get install nginx-light; .ci/run installs it)")
    running: list[subprocess.Popen] = []

    def _start(upstreams: list[int]) -> tuple[int, int, ssl.SSLContext]:
        workdir = tmp_path / "nginx"
        workdir.mkdir()
        cert, key = self_signed_certificate(workdir)
        https_port, http_port = free_port(), free_port()
        site = workdir / "chatsite.conf"
        site.write_text(
            render_nginx_site(upstreams=upstreams, https_port=https_port, http_port=http_port, cert=cert, key=key)
        )
        main = workdir / "nginx.conf"
        main.write_text(nginx_main_config(workdir, site))
        command = [NGINX, "-p", str(workdir), "-e", str(workdir / "error.log"), "-c", str(main)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        running.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        wait_for_port(https_port, running[-1], workdir / "error.log")
        return https_port, http_port, ssl.create_default_context(cafile=str(cert))

    yield _start
    for process in running:
        process.send_signal(signal.SIGQUIT)  # graceful shutdown
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    log = tmp_path / "nginx" / "error.log"
    lines = log.read_text().splitlines() if log.exists() else []
    problems = [line for line in lines if re.search(r"\[(error|crit|alert|emerg)\]", line)]
    assert not problems, "nginx logged errors:\n" + "\n".join(problems)


def fetch(
    url: str, context: ssl.SSLContext | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes, list[str]]:
    """GET without following redirects: (status, headers, body, Set-Cookie values)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=15) as response:
            return (
                response.status,
                dict(response.headers),
                response.read(),
                response.headers.get_all("Set-Cookie") or [],
            )
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read(), error.headers.get_all("Set-Cookie") or []


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def process_of(db_url: str, username: str) -> int:
    """The pid of the daphne process holding `username`'s socket."""
    rows = query(
        db_url,
        "SELECT s.pid FROM rooms_connection c JOIN rooms_presence p ON p.id = c.presence_id "
        "JOIN rooms_serverprocess s ON s.id = c.process_id WHERE p.username = %s",
        (username,),
    )
    assert len(rows) == 1, rows
    return rows[0][0]


# --- the tests ----------------------------------------------------------------------


def start_documented_deploy(cluster, tmp_path: Path) -> list:
    """Two processes in production mode, released as docs/deploy.md says, run the way systemd would."""
    static_root = tmp_path / "static"
    static_root.mkdir()  # as the release steps leave it before the processes start
    servers = cluster(
        2,
        backend="redis-postgres",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_STATIC_ROOT=str(static_root),
    )
    env = servers[0].env
    manage(env, "collectstatic", "--noinput", "-v", "0")
    assert "no issues" in manage(env, "check", "--deploy", "--fail-level", "WARNING")
    for server in servers:  # run them the way systemd would
        server.command = documented_daphne_command(server.port)
        server.restart()
    return servers


def assert_plain_http_is_sent_to_https(http_port: int) -> None:
    status, headers, _, _ = fetch(f"http://127.0.0.1:{http_port}/r/general/")
    assert status == 301 and headers["Location"] == "https://127.0.0.1/r/general/"


def assert_home_page_is_served_securely(site: str, tls: ssl.SSLContext) -> tuple[str, bytes]:
    """The home page's checks; returns the session cookie (name=value) its form gives, and its body."""
    status, headers, body, _ = fetch(site + "/", tls)
    assert status == 200
    assert "max-age=" in headers["Strict-Transport-Security"]
    session = session_set_cookie(site, context=tls)
    assert "Secure" in session and "HttpOnly" in session
    return session.split(";", 1)[0], body


def assert_static_files_are_collected_and_cached(site: str, tls: ssl.SSLContext, home_page: bytes, cookie: str) -> None:
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', home_page.decode())
    assert stylesheet, "no stylesheet on the home page"
    assert re.search(r"\.[0-9a-f]{12}\.css$", stylesheet.group(1)), stylesheet.group(1)
    status, headers, css, _ = fetch(site + stylesheet.group(1), tls)
    assert status == 200 and headers["Content-Type"].startswith("text/css") and css
    assert "immutable" in headers["Cache-Control"] or "max-age=315360000" in headers["Cache-Control"]
    # Every ES module a room page reaches, import by import, is named by its content and cached for good:
    # after a deploy a browser never runs an old module next to a new one.
    _, _, room_page, _ = fetch(site + "/r/general/", tls, {"Cookie": cookie})
    pending = re.findall(r'<script type="module" src="(/static/[^"]+\.js)"', room_page.decode())
    assert any("/room/main." in url for url in pending), pending
    seen = set()
    while pending:
        url = pending.pop()
        if url in seen:
            continue
        seen.add(url)
        assert re.search(r"\.[0-9a-f]{12}\.js$", url), f"{url} is not a hashed name"
        status, headers, source, _ = fetch(site + url, tls)
        assert status == 200 and "max-age=315360000" in headers["Cache-Control"], (url, status, headers)
        base = url.rsplit("/", 1)[0]
        for target in re.findall(r'(?:from|import)\s*\(?\s*"(\.{1,2}/[^"]+)"', source.decode()):
            pending.append(posixpath.normpath(f"{base}/{target}"))
    assert len(seen) > 10, seen


def assert_healthz_through_the_proxy(site: str, tls: ssl.SSLContext, servers: list) -> None:
    status, _, body, _ = fetch(site + "/healthz", tls, headers={"X-Forwarded-For": "203.0.113.9"})
    report = json.loads(body)
    assert status == 200, report
    assert report["database"]["backend"] == "postgresql"
    assert report["channel_layer"]["backend"] == "RedisPubSubChannelLayer"
    access = [line for server in servers for line in server.log().splitlines() if '"GET /healthz"' in line]
    assert access and all(line.startswith("127.0.0.1:") for line in access), access


async def assert_sockets_spread_over_the_processes_and_chat(
    site: str, https_port: int, tls: ssl.SSLContext, cookie: str, servers: list
) -> None:
    # Two sockets in a row land on different processes (round robin) and chat.
    ws_url = f"wss://127.0.0.1:{https_port}/ws/chat/"
    bob_cookie = session_cookie(site, context=tls)
    ann = await WSClient(ws_url, cookie=cookie, name="ann", ssl=tls).open()
    bob = await WSClient(ws_url, cookie=bob_cookie, name="bob", ssl=tls).open()
    await ann.join("general", "ann")
    confirm = await bob.join("general", "bob")
    assert sorted(confirm["members"]) == ["ann", "bob"]
    db_url = servers[0].env["DATABASE_URL"]
    pids = {await asyncio.to_thread(process_of, db_url, name) for name in ("ann", "bob")}
    assert pids == {server.process.pid for server in servers}, "both sockets went to the same process"

    # The same-origin check still holds behind the proxy: another site's page is refused.
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(ws_url, origin="https://chat.example.net", ssl=tls, open_timeout=10)
    assert refused.value.response.status_code == 403

    await ann.send("send_message", {"text": "hello from ann", "client_id": "a1"})
    assert (await bob.expect("receive_message"))["text"] == "hello from ann"
    await bob.send("send_message", {"text": "hi ann", "client_id": "b1"})
    assert (await bob.expect("ack", skip=(*NOISE, "receive_message")))["client_id"] == "b1"
    frames = await ann.drain(1.0)
    assert [data["text"] for name, data in frames if name == "receive_message"] == ["hello from ann", "hi ann"]
    assert [data["client_id"] for name, data in frames if name == "ack"] == ["a1"]
    for client in (ann, bob):
        await client.close()


async def assert_socketio_clients_stay_on_their_process_and_chat(site: str, https_port: int, tls, cookie: str) -> None:
    # A polling session lives in one process: every request of it must reach that process
    # (round robin would send every other one elsewhere: "Session ID unknown").
    ann = await WSClient(f"wss://127.0.0.1:{https_port}/ws/chat/", cookie=cookie, name="ann", ssl=tls).open()
    await ann.join("tech", "ann")
    for number, transports in enumerate([["polling"], ["polling", "websocket"], ["websocket"]]):
        client = socketio.AsyncClient(reconnection=False, ssl_verify=False)
        await client.connect(site, transports=transports, wait_timeout=10)
        try:
            joined = await client.call("join_room", {"room_name": "tech", "username": f"sio{number}"}, timeout=10)
            assert "ann" in joined["members"], joined
            for text in ("one", "two", "three"):
                ack = await client.call("send_message", {"text": f"{text} over {transports}"}, timeout=10)
                heard = await ann.expect("receive_message")
                assert (heard["id"], heard["text"]) == (ack["id"], f"{text} over {transports}")
        finally:
            await client.disconnect()
    await ann.close()


async def test_documented_deploy_behind_nginx(cluster, nginx, tmp_path):
    servers = start_documented_deploy(cluster, tmp_path)
    https_port, http_port, tls = nginx([server.port for server in servers])
    site = f"https://127.0.0.1:{https_port}"

    # Plain HTTP is sent to HTTPS.
    assert_plain_http_is_sent_to_https(http_port)

    # The home page, over TLS, knows it is served securely (X-Forwarded-Proto).
    cookie, body = assert_home_page_is_served_securely(site, tls)

    # Static files: collected, hashed names, cached for long.
    assert_static_files_are_collected_and_cached(site, tls, body, cookie)

    # /healthz through the proxy: PostgreSQL and Redis both answer. The client's own
    # X-Forwarded-For is replaced, so daphne (which trusts the first address) is not fooled.
    assert_healthz_through_the_proxy(site, tls, servers)

    # Two sockets in a row land on different processes (round robin) and chat, and the
    # same-origin check still holds behind the proxy.
    await assert_sockets_spread_over_the_processes_and_chat(site, https_port, tls, cookie, servers)

    # Socket.IO clients (polling, polling then WebSocket, WebSocket) through the sticky upstream.
    await assert_socketio_clients_stay_on_their_process_and_chat(site, https_port, tls, cookie)
