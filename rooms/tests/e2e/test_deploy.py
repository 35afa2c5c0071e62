"""The deployment of docs/deploy.md, run for real on loopback.

Two daphne processes in production mode (DEBUG off, PostgreSQL, Redis) are
started with the ExecStart line of docs/deploy/chatsite@.service, behind nginx
running docs/deploy/nginx.conf with TLS. Only ports and certificate paths are
substituted; everything a user touches goes through nginx. A second test
checks that several processes sharing Redis and PostgreSQL act as one chat.
"""

import asyncio
import getpass
import json
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import websockets

from rooms.tests.support.client import NOISE, WSClient, updated_rooms
from rooms.tests.support.servers import BASE_DIR, DAPHNE, free_port, query

pytestmark = pytest.mark.integration

DEPLOY = BASE_DIR / "docs" / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


# --- rendering the committed files ----------------------------------------------


def documented_daphne_command(port: int) -> list[str]:
    """The ExecStart of chatsite@.service for instance `port`, with this machine's daphne."""
    unit = (DEPLOY / "chatsite@.service").read_text()
    (line,) = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    argv = shlex.split(line.removeprefix("ExecStart=").replace("%i", str(port)))
    assert Path(argv[0]).name == "daphne" and argv[-1] == "chatsite.asgi:application"
    return [DAPHNE, *argv[1:]]


def render_nginx_site(*, upstreams: list[int], https_port: int, http_port: int, cert: Path, key: Path) -> str:
    """docs/deploy/nginx.conf with our ports and certificate; nothing else changes."""
    site = (DEPLOY / "nginx.conf").read_text()

    def sub(pattern: str, replacement: str, text: str, count: int) -> str:
        text, found = re.subn(pattern, replacement, text, flags=re.MULTILINE)
        assert found == count, f"docs/deploy/nginx.conf no longer has {count} x {pattern!r}"
        return text

    servers = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in upstreams)
    site = sub(r"^    server 127\.0\.0\.1:\d+ .*;\n(?:    server 127\.0\.0\.1:\d+ .*;\n)*", servers + "\n", site, 1)
    site = sub(r"^    listen \[::\]:\d+.*;\n", "", site, 2)  # loopback only
    site = sub(r"^    listen 80;", f"    listen 127.0.0.1:{http_port};", site, 1)
    site = sub(r"^    listen 443 ssl http2;", f"    listen 127.0.0.1:{https_port} ssl http2;", site, 1)
    site = sub(r"^    ssl_certificate .*;", f"    ssl_certificate {cert};", site, 1)
    return sub(r"^    ssl_certificate_key .*;", f"    ssl_certificate_key {key};", site, 1)


def nginx_main_config(workdir: Path, site: Path) -> str:
    """The part /etc/nginx/nginx.conf plays on a server, confined to `workdir`.

    Workers run as the test's user (root in CI would otherwise switch them to
    nobody, who cannot use a private temp directory).
    """
    temp = workdir / "temp"
    temp.mkdir()
    return f"""
user {getpass.getuser()};
worker_processes 1;
daemon off;
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    access_log {workdir / "access.log"};
    client_body_temp_path {temp / "body"};
    proxy_temp_path {temp / "proxy"};
    fastcgi_temp_path {temp / "fastcgi"};
    uwsgi_temp_path {temp / "uwsgi"};
    scgi_temp_path {temp / "scgi"};
    include {site};
}}
"""


def self_signed_certificate(workdir: Path) -> tuple[Path, Path]:
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def wait_for_port(port: int, process: subprocess.Popen, log: Path, within: float = 15) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nginx did not listen on {port}")


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


async def test_documented_deploy_behind_nginx(cluster, nginx, tmp_path):
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
    https_port, http_port, tls = nginx([server.port for server in servers])
    site = f"https://127.0.0.1:{https_port}"

    # Plain HTTP is sent to HTTPS.
    status, headers, _, _ = fetch(f"http://127.0.0.1:{http_port}/r/general/")
    assert status == 301 and headers["Location"] == "https://127.0.0.1/r/general/"

    # The home page, over TLS, knows it is served securely (X-Forwarded-Proto).
    status, headers, body, cookies = fetch(site + "/", tls)
    assert status == 200
    assert "max-age=" in headers["Strict-Transport-Security"]
    session = next(c for c in cookies if c.startswith("sessionid="))
    assert "Secure" in session and "HttpOnly" in session
    cookie = session.split(";", 1)[0]

    # Static files: collected, hashed names, cached for long.
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', body.decode())
    assert stylesheet, "no stylesheet on the home page"
    assert re.search(r"\.[0-9a-f]{12}\.css$", stylesheet.group(1)), stylesheet.group(1)
    status, headers, css, _ = fetch(site + stylesheet.group(1), tls)
    assert status == 200 and headers["Content-Type"].startswith("text/css") and css
    assert "immutable" in headers["Cache-Control"] or "max-age=315360000" in headers["Cache-Control"]

    # /healthz through the proxy: PostgreSQL and Redis both answer. The client's own
    # X-Forwarded-For is replaced, so daphne (which trusts the first address) is not fooled.
    status, _, body, _ = fetch(site + "/healthz", tls, headers={"X-Forwarded-For": "203.0.113.9"})
    report = json.loads(body)
    assert status == 200, report
    assert report["database"]["backend"] == "postgresql"
    assert report["channel_layer"]["backend"] == "RedisPubSubChannelLayer"
    access = [line for server in servers for line in server.log().splitlines() if '"GET /healthz"' in line]
    assert access and all(line.startswith("127.0.0.1:") for line in access), access

    # Two sockets in a row land on different processes (round robin) and chat.
    ws_url = f"wss://127.0.0.1:{https_port}/ws/chat/"
    bob_cookie = next(c for c in fetch(site + "/", tls)[3] if c.startswith("sessionid=")).split(";", 1)[0]
    ann = await WSClient(ws_url, cookie=cookie, name="ann", ssl=tls).open()
    bob = await WSClient(ws_url, cookie=bob_cookie, name="bob", ssl=tls).open()
    await ann.join("general", "ann")
    confirm = await bob.join("general", "bob")
    assert sorted(confirm["members"]) == ["ann", "bob"]
    db_url = env["DATABASE_URL"]
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


def member_state(frames: list[tuple[str, dict]]) -> tuple[list[str] | None, int | None, list[str]]:
    """The latest member list, the latest lobby count for general, and the notices, from a client's frames."""
    members, count, notices = None, None, []
    for name, data in frames:
        if name == "member_list":
            members = data["members"]
        elif name == "system_message":
            notices.append(data["text"])
        for room in updated_rooms(name, data):
            if room["name"] == "general":
                count = room["users"]
    return members, count, notices


async def test_processes_sharing_redis_and_postgres_are_one_chat(cluster):
    """Three processes: joins, leaves, messages, member lists and counts agree everywhere."""
    servers = cluster(3, backend="redis-postgres")
    ann, bob, cat = [
        await WSClient(server.ws_url, name=name).open()
        for server, name in zip(servers, ["ann", "bob", "cat"], strict=True)
    ]
    lobby = await WSClient(servers[2].ws_url, name="lobby").open()  # on the home page: counts only
    await lobby.receive()  # room_list

    await ann.join("general", "ann")
    await bob.join("general", "bob")
    confirm = await cat.join("general", "cat")
    assert confirm["members"] == ["ann", "bob", "cat"]

    for number, client in enumerate((ann, bob, cat)):
        await client.send("send_message", {"text": f"{client.name} {number}"})
        await asyncio.sleep(0.05)
    frames = {client.name: await client.drain(1.0) for client in (ann, bob, cat, lobby)}
    texts = {name: [d["text"] for n, d in got if n == "receive_message"] for name, got in frames.items()}
    assert texts["ann"] == texts["bob"] == texts["cat"] == ["ann 0", "bob 1", "cat 2"]
    assert member_state(frames["ann"])[0] == member_state(frames["bob"])[0] == ["ann", "bob", "cat"]
    assert member_state(frames["ann"])[2] == ["bob joined", "cat joined"]
    assert member_state(frames["bob"])[2] == ["cat joined"]
    assert member_state(frames["lobby"])[1] == 3

    await bob.close()  # bob's process tells the others
    frames = {client.name: await client.drain(1.0) for client in (ann, cat, lobby)}
    for name in ("ann", "cat"):
        members, count, notices = member_state(frames[name])
        assert (members, count, notices) == (["ann", "cat"], 2, ["bob left"]), name
    assert member_state(frames["lobby"])[1] == 2
    for client in (ann, cat, lobby):
        await client.close()


async def test_sites_sharing_a_redis_do_not_hear_each_other(cluster):
    """Two chatsites (two databases) on one Redis: neither sees the other's rooms or messages."""
    (here,) = cluster(1, backend="redis-postgres")
    (there,) = cluster(1, backend="redis-postgres")
    ann = await WSClient(here.ws_url, name="ann").open()
    await ann.join("general", "ann")
    await ann.drain(0.5)  # the count update for her own arrival
    bob = await WSClient(there.ws_url, name="bob").open()
    await bob.join("general", "bob")  # the same room id, 1, in the other database
    await bob.send("send_message", {"text": "only for the other site"})
    await bob.send("join_room", {"room_name": "elsewhere", "username": "bob", "create": True})
    await bob.expect("join_confirm", skip=(*NOISE, "receive_message"))
    frames = await ann.drain(1.5)
    assert frames == [], f"heard the other site: {frames}"
    for client in (ann, bob):
        await client.close()
