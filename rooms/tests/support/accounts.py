"""Accounts for tests: allauth's real pages, posted with Django's test client from async tests."""

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
