"""What logging in and out means for chatsite's people: Django's auth signals, wired to the services.

Django sends these for every login and logout, allauth's pages and the
admin's alike. Login cycles the session key but keeps its data, so the guest
key of this browser is still there to hand over (rooms/services/people.py).
"""

from allauth.account.signals import password_changed, password_reset
from django.contrib.auth.signals import user_logged_in, user_logged_out

from rooms import services
from rooms.identity import GUEST_KEY, USERNAME_KEY, actor_for_request


def on_login(sender, request, user, **kwargs) -> None:
    """Called after a login: the browser's guest becomes the account, under the name it used as a guest."""
    session = request.session
    guest_key = session.pop(GUEST_KEY, None)
    session.setdefault(USERNAME_KEY, user.get_username())
    if guest_key:
        session.save()  # the new key exists before the sockets are told it
        services.person_adopt(guest_key=guest_key, actor=actor_for_request(request), session_key=session.session_key)


def on_logout(sender, request, user, **kwargs) -> None:
    """Called before a logout ends the session: that browser's sockets go with it."""
    if request.session.session_key:
        services.person_signed_out(session_key=request.session.session_key)


def on_password_changed(sender, request, user, **kwargs) -> None:
    """Called after allauth changed or reset a password: the account's open sockets end with its old sessions."""
    services.person_password_changed(user=user)


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="chatsite.login")
    user_logged_out.connect(on_logout, dispatch_uid="chatsite.logout")
    password_changed.connect(on_password_changed, dispatch_uid="chatsite.password_changed")
    password_reset.connect(on_password_changed, dispatch_uid="chatsite.password_reset")
