"""The committed deployment files of docs/deploy/, rendered for a run on loopback (only
ports and certificate paths are substituted), for e2e/test_deploy_nginx.py."""

import getpass
import re
import shlex
import socket
import subprocess
import time
from pathlib import Path

from rooms.tests.support.servers import BASE_DIR, DAPHNE

DEPLOY = BASE_DIR / "docs" / "deploy"


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
    # The two upstreams: round robin, and sticky for /socket.io/.
    site = sub(r"^    server 127\.0\.0\.1:\d+ .*;\n(?:    server 127\.0\.0\.1:\d+ .*;\n)*", servers + "\n", site, 2)
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
