"""Who is acting: a guest's session, or a logged-in user, never a display name.

A guest gets a random id in their Django session the first time there is
something to keep: a lobby form that sets their name or makes a room, or a room
page, whose socket needs it. Looking around (the lobby, a 404, a name form)
writes no session row, so a crawler or a load balancer cannot fill the table.
A logged-in person is their account, on every device: their key is
`user-<pk>` (`person_key`), and what their session owned as a guest moves to
it when they sign up or log in (rooms/services/people.py). Every service
knows a person by that one key, `Actor.guest_key`. A socket that arrives with
no session cookie at all gets an id for that connection only.
"""

import secrets
from dataclasses import dataclass

from rooms.dbthread import database_sync_to_async

GUEST_KEY = "chatsite_guest"
USERNAME_KEY = "chatsite_username"
OWNED_ROOMS_KEY = "chatsite_owned_rooms"


@dataclass(frozen=True)
class Actor:
    """The party behind an action, as every service sees it."""

    guest_key: str
    user_id: int | None = None
    is_staff: bool = False
    ip: str = ""
    user_name: str = ""
    avatar: str = ""  # an account's avatar (its stem in storage, chatsite/accounts/avatars.py), "" for none

    @property
    def label(self) -> str:
        """How the audit log names this actor."""
        if self.user_id:
            return f"{'staff' if self.is_staff else 'user'} {self.user_name or self.user_id}"
        return f"guest {self.guest_key[:8]}"


ACCOUNT_PREFIX = "user-"


def person_key(user) -> str:
    """The key an account acts under, whichever device or session it uses."""
    return f"{ACCOUNT_PREFIX}{user.pk}"


def is_account_key(key: str) -> bool:
    return key.startswith(ACCOUNT_PREFIX)


def _new_guest_key() -> str:
    while is_account_key(key := secrets.token_urlsafe(18)):
        pass  # about one draw in 10⁹: a guest's key never reads as an account's
    return key


def ensure_guest(session) -> str:
    """Return the session's guest id, creating (and saving) it if needed."""
    key = session.get(GUEST_KEY)
    if not key:
        key = session[GUEST_KEY] = _new_guest_key()
        session.save()
    return key


def actor_for_request(request, *, keep: bool = True) -> Actor:
    """The actor behind a request; `keep=False` for a look that keeps nothing.

    Such a look saves no session: a visitor without a guest id yet is a
    stranger for this request only (guess limits still count their address).
    """
    user, session = request.user, request.session
    if user.is_authenticated:
        guest_key = person_key(user)
    else:
        guest_key = ensure_guest(session) if keep else session.get(GUEST_KEY) or "anon-" + _new_guest_key()
    return Actor(
        guest_key=guest_key,
        user_id=user.pk if user.is_authenticated else None,
        is_staff=bool(user.is_authenticated and user.is_staff),
        ip=request.META.get("REMOTE_ADDR", ""),
        user_name=user.get_username() if user.is_authenticated else "",
        avatar=user.avatar if user.is_authenticated else "",
    )


def _live_session(scope):
    """The socket's Django session, or None when it has no valid cookie."""
    session = scope.get("session")
    if session is None:
        return None
    session.get(GUEST_KEY)  # loads it; an unknown or expired key leaves session_key None
    return session if session.session_key else None


def session_key(scope) -> str | None:
    """The key of the session a socket was opened with (after actor_for_scope loaded it), if any."""
    session = scope.get("session")
    return getattr(session, "session_key", None) if session is not None else None


def _scope_actor(scope) -> tuple[Actor, str | None]:
    session = _live_session(scope)
    user = scope.get("user")
    authenticated = bool(user is not None and user.is_authenticated)
    if authenticated:
        guest_key = person_key(user)
        username = (session.get(USERNAME_KEY) if session is not None else None) or user.get_username()
    elif session is not None:
        guest_key, username = ensure_guest(session), session.get(USERNAME_KEY)
    else:
        guest_key, username = "anon-" + _new_guest_key(), None
    client = scope.get("client") or ("", 0)
    actor = Actor(
        guest_key=guest_key,
        user_id=user.pk if authenticated else None,
        is_staff=bool(authenticated and user.is_staff),
        ip=str(client[0]),
        user_name=user.get_username() if authenticated else "",
        avatar=user.avatar if authenticated else "",
    )
    return actor, username


@database_sync_to_async
def actor_for_scope(scope) -> tuple[Actor, str | None]:
    """The actor behind a WebSocket and the display name their session holds."""
    return _scope_actor(scope)


@database_sync_to_async
def remember_username(scope, username: str) -> None:
    """Keep the display name in the session, so the next page load knows it."""
    session = _live_session(scope)
    if session is not None and session.get(USERNAME_KEY) != username:
        session[USERNAME_KEY] = username
        session.save()
