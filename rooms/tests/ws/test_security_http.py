"""The HTTP side of docs/security.md: CSRF on every form, the Content Security Policy,
production settings (check --deploy, the secret key, cookies) and NUL on PostgreSQL."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from rooms import models
from rooms.tests.support.servers import BASE_DIR, migrate, server_env

pytestmark = pytest.mark.django_db(transaction=True)


# --- 6. HTTP: CSRF, CSP, production settings ----------------------------------------------


@pytest.fixture
def strict_client():
    return Client(enforce_csrf_checks=True)


def test_every_form_refuses_a_post_without_a_csrf_token(strict_client):
    # The lobby form (all four actions), the display-name form of a room page, the admin login.
    for action in ("enter", "join", "create_private", "create_named"):
        response = strict_client.post("/", {"username": "ann", "action": action, "room": "general", "new_room": "x1"})
        assert response.status_code == 403, action
    assert strict_client.post("/r/general/", {"username": "ann"}).status_code == 403
    assert strict_client.post("/admin/login/", {"username": "a", "password": "b"}).status_code == 403
    assert models.Room.objects.filter(kind="private").count() == 0


def test_forms_accept_a_post_with_the_token(strict_client):
    strict_client.get("/")
    token = strict_client.cookies[django_settings.CSRF_COOKIE_NAME].value
    response = strict_client.post("/", {"username": "ann", "enter": "general", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize(
    "path", ["/", "/r/general/", "/r/no-such-room/", "/admin/login/", "/accounts/login/", "/accounts/signup/"]
)
def test_pages_carry_the_content_security_policy(client, path):
    session = client.session
    session["chatsite_username"] = "ann"
    session.save()
    csp = csp_directives(client.get(path))
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no hosts
    assert csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]


def test_pages_have_no_inline_script_or_style(client):
    session = client.session
    session["chatsite_username"] = "ann"
    session.save()
    for path in ("/", "/r/general/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        html = client.get(path).content.decode()
        # Every script has a src, except JSON data blocks, which never run.
        assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>\s*\S", html), path
        assert " style=" not in html and " onclick=" not in html and "javascript:" not in html


PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x7Qe9-production-like-secret-" + "k3Zr8Vw2Lp5Nq1Ty6Hs4Jd0Fb7Gc9Xm",
    "DJANGO_ALLOWED_HOSTS": "chat.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://chat.example.com",
}


def production_env(tmp_path: Path) -> dict[str, str]:
    return server_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **PRODUCTION_ENV)


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


COOKIE_PROBE = """
import django, json
django.setup()
from django.test import Client, override_settings
# Static files are collected at deploy time; their storage has no bearing on cookies.
with override_settings(STORAGES={"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}):
    client = Client()
    response = client.get("/", secure=True, headers={"host": "chat.example.com"})
    # The session cookie comes with the first thing to keep (a name), not with a look at the lobby.
    kept = client.post("/", {"username": "ann", "enter": "general"}, secure=True, headers={"host": "chat.example.com"})
cookies = {name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]), "samesite": c["samesite"]}
           for name, c in [*response.cookies.items(), *kept.cookies.items()]}
print(json.dumps({"status": response.status_code, "cookies": cookies,
                  "hsts": response.get("Strict-Transport-Security", ""), "csp": response.get("Content-Security-Policy", "")}))
"""


def test_production_cookies_are_secure_httponly_and_samesite(tmp_path):
    env = production_env(tmp_path)
    migrate(env)
    result = subprocess.run(
        [sys.executable, "-c", COOKIE_PROBE], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["status"] == 200
    session = probe["cookies"][django_settings.SESSION_COOKIE_NAME]
    assert session == {"secure": True, "httponly": True, "samesite": "Lax"}
    csrf = probe["cookies"][django_settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] is True and csrf["samesite"] == "Lax"
    assert "max-age=" in probe["hsts"]
    assert "frame-ancestors 'none'" in probe["csp"]


@pytest.mark.integration
def test_nul_characters_get_clear_answers_on_postgresql(client):
    """PostgreSQL refuses NUL even in a query; SQLite does not, so this runs on the integration line."""
    if connection.vendor != "postgresql":
        pytest.fail("run with a postgres:// DATABASE_URL (the README's integration line)")
    client.raise_request_exception = False
    assert client.get("/r/a%00b/").status_code == 404
    assert client.get("/?q=a%00b").status_code == 200  # the room search: nothing found
    assert client.get("/?q=&after=a%00").status_code == 200
    assert client.post("/", {"username": "ann", "room": "a\x00b", "action": "join"}).status_code == 400
    assert client.post("/", {"username": "a\x00", "enter": "general"}).status_code == 400
    assert client.post("/", {"username": "ann", "new_room": "a\x00", "action": "create_named"}).status_code == 400
