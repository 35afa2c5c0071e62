"""Profiles: an account's name, its "about" line and its avatar, changed on the settings page.

An account's username is its display name, reserved site-wide (its look-alike
key is unique, chatsite/accounts/models.py), so changing it is renaming the
account: the rooms it is in under its old name hear "ann is now anna", and its
sockets there speak as the new one. A new avatar reaches the member lists of
those rooms at once, and the messages they send from then on.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from chatsite import names
from chatsite.accounts import avatars
from rooms import events
from rooms.identity import Actor, person_key
from rooms.models import Presence, Room
from rooms.services.moderation import audit
from rooms.services.presence import announce_presence, lock_room, roster

logger = logging.getLogger(__name__)


def account_rename(*, user, actor: Actor, username: str) -> int:
    """Give account `user` the name `username` (already cleaned by the form); returns in how many rooms it was renamed.

    In each room it is in under its old name it takes the new one, announced as
    a rename; where somebody there already goes by the new name (a guest who
    was there before the name became an account's), it keeps the old one in that
    room until it leaves. A name another account took meanwhile raises
    ValidationError (code `taken`).
    """
    before = user.username
    if username == before:
        return 0
    person = person_key(user)
    renamed = 0
    with transaction.atomic():
        user.username = username
        try:
            with transaction.atomic():
                user.save(update_fields=["username"])
        except IntegrityError:
            user.username = before
            raise ValidationError(
                "An account with that name, or one that looks just like it, already exists.", code="taken"
            ) from None
        for presence in Presence.objects.filter(guest_key=person, username=before).select_related("room"):
            renamed += _rename_presence(presence, person=person, before=before, after=username)
        audit(actor=actor, action="account_rename", target=username, detail=f"was {before}")
    logger.info("%s renamed from %s to %s", actor.label, before, username)
    return renamed


def _rename_presence(presence: Presence, *, person: str, before: str, after: str) -> int:
    version = lock_room(presence.room_id)
    if version is None:
        return 0
    try:
        with transaction.atomic():
            Presence.objects.filter(pk=presence.pk).update(username=after, username_key=names.name_key(after))
    except IntegrityError:  # someone in this room goes by that name already
        return 0
    room = presence.room
    events.rename(room.pk, person, after, "renamed", {"room": room.name, "username": after}, source="")
    announce_presence(
        room,
        version=version,
        **roster(room.pk),
        kind="rename",
        username=after,
        guest_key=person,
        text=f"{before} is now {after}",
    )
    return 1


def profile_set_about(*, user, about: str) -> None:
    """The one line others read on the account's profile card (the form limits its length)."""
    user.about = about.strip()
    user.save(update_fields=["about"])


def avatar_set(*, user, actor: Actor, upload) -> str:
    """Make `upload` the account's avatar: decoded and drawn again (chatsite/accounts/avatars.py); returns its stem.

    Raises ValidationError for a file that is not a picture chatsite takes.
    The old avatar's files go from storage once the change is committed.
    """
    stem = avatars.store(avatars.make_avatar(upload), user_id=user.pk)
    try:
        _change_avatar(user=user, actor=actor, stem=stem)
    except BaseException:
        avatars.discard(stem)
        raise
    return stem


def avatar_remove(*, user, actor: Actor) -> None:
    """The account goes back to the drawn initials (its own choice, or a moderator's)."""
    if user.avatar:
        _change_avatar(user=user, actor=actor, stem="")


def profile_clear(*, user, actor: Actor) -> None:
    """A moderator takes an account's avatar and about line away (an offensive picture, say); audited.

    Its rooms' member lists lose the picture at once, as after avatar_remove.
    """
    with transaction.atomic():
        if user.about:
            user.about = ""
            user.save(update_fields=["about"])
            audit(actor=actor, action="about_remove", target=user.username)
        avatar_remove(user=user, actor=actor)


def _change_avatar(*, user, actor: Actor, stem: str) -> None:
    before = user.avatar
    person = person_key(user)
    with transaction.atomic():
        user.avatar = stem
        user.save(update_fields=["avatar"])
        if actor.user_id != user.pk:
            audit(actor=actor, action="avatar_remove", target=user.username)
        for room in Room.objects.filter(presences__guest_key=person, closed_at__isnull=True):
            version = lock_room(room.pk)
            if version is not None:  # the member lists show the new one
                announce_presence(room, version=version, **roster(room.pk))
        # Its sockets post with the new one from now on.
        events.identify(
            person,
            person_key=person,
            user_id=user.pk,
            is_staff=user.is_staff,
            user_name=user.get_username(),
            names={},
            session_key=None,
            avatar=stem,
        )
        transaction.on_commit(lambda: avatars.discard(before))
