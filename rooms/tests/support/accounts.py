"""Accounts for tests: allauth's real pages, posted with Django's test client from async tests."""

import http.cookiejar
import re
import urllib.parse
import urllib.request

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

PASSWORD = "a long and unusual pass phrase 7"


@database_sync_to_async
def sign_up(session_key: str | None, username: str) -> Client:
    """The sign-up page, posted from the browser whose session is `session_key` (None: a new browser)."""
    client = Client()
    if session_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    response = client.post("/accounts/signup/", {"username": username, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


@database_sync_to_async
def log_in(username: str, session_key: str | None = None) -> Client:
    client = Client()
    if session_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    response = client.post("/accounts/login/", {"login": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


@database_sync_to_async
def log_out(client: Client) -> None:
    assert client.post("/accounts/logout/").status_code == 302


def session_of(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@database_sync_to_async
def user_pk(username: str) -> int:
    return get_user_model().objects.get(username=username).pk


class WebBrowser:
    """Forms over real HTTP with a cookie jar, as a browser posts them (CSRF token included), to a running server."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base_url + path, timeout=15) as response:
            return response.read().decode()

    def post_form(self, path: str, fields: dict[str, str]) -> str:
        """GET the form for its CSRF token, POST it; the page reached after redirects."""
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.get(path)).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        request = urllib.request.Request(self.base_url + path, data=data, headers={"Referer": self.base_url + path})
        with self.opener.open(request, timeout=15) as response:
            return response.read().decode()

    def sign_up(self, username: str) -> None:
        page = self.post_form("/accounts/signup/", {"username": username, "password1": PASSWORD, "password2": PASSWORD})
        assert f"Signed in as <strong>{username}</strong>" in page, page[:3000]

    def log_out(self) -> None:
        page = self.post_form("/accounts/logout/", {})
        assert "Signed in as" not in page

    def cookie(self) -> str:
        """The Cookie header a WebSocket from this browser sends (one host: every port shares it)."""
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)
