"""The session engine (settings.SESSION_ENGINE): Django's database sessions, read with a prepared statement.

Every socket reads its session before anything else, on the database thread,
and in a reconnect storm that read was the largest part of the thread's work:
40% of its samples (docs/performance.md, issue 20, "Sixth round"), most of it
Django building and compiling `Session.objects.get(...)` again for each socket.
This is `django.contrib.sessions.backends.db` with that one read compiled once
(rooms/prepared.py); the same rows, the same expiry, the same writes.
"""

import datetime

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from rooms.prepared import Prepared

_session = Prepared(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now)[:1],
    key=str,
    now=datetime.datetime,
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        if self.session_key is not None:
            found = _session(key=self.session_key, now=timezone.now())
            if found:
                return found[0]
        self._session_key = None  # unknown or expired, as Django's own store forgets it
        return None
