"""chatsite/sessions.py: Django's database sessions, the read every socket makes compiled once."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from chatsite.sessions import SessionStore

pytestmark = pytest.mark.django_db(transaction=True)


def saved(**data) -> str:
    session = SessionStore()
    session.update(data)
    session.save()
    return session.session_key


def test_the_site_reads_its_sessions_with_this_store():
    assert settings.SESSION_ENGINE == "chatsite.sessions"


def test_a_saved_session_reads_back_and_an_expired_or_unknown_one_reads_as_none():
    key = saved(guest="g-1", username="ann")
    session = SessionStore(session_key=key)
    assert session["username"] == "ann" and session["guest"] == "g-1"
    assert session.session_key == key

    gone = saved(username="old")
    Session.objects.filter(session_key=gone).update(expire_date=timezone.now() - timedelta(seconds=1))
    for unknown in (gone, "x" * 32, "short"):
        session = SessionStore(session_key=unknown)
        assert session.get("username") is None
        assert session.session_key is None  # a new one is made on save, never the stale key again


def test_reading_sessions_compiles_the_query_once(monkeypatch):
    keys = [saved(n=n) for n in range(3)]
    compiled = []
    as_sql = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        if self.query.model is Session:
            compiled.append(1)
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    assert [SessionStore(session_key=key)["n"] for key in keys] == [0, 1, 2]
    assert len(compiled) <= 1
