"""People: a guest who signs up or logs in becomes their account, keeping what the session owned.

A person is one key everywhere (`Actor.guest_key`): a guest's random session
id, or `user-<pk>` for an account (rooms/identity.py). Signing up or logging in
in a browser moves what that browser's guest key owned to the account's key:
their messages (so edit and delete still work, now from any device), their
reactions, the rooms they own, their bans (a ban does not wash off by signing up),
their memberships and conversations, their blocks, and their place in the rooms
they are in, without a leave or a join. Their open sockets then act
as the account (`events.identify`).
"""

import logging
import secrets

from django.db import IntegrityError, transaction

from chatsite.accounts import avatars
from rooms import events
from rooms.errors import Close
from rooms.identity import Actor, person_key
from rooms.models import Attachment, Ban, Connection, Message, Presence, Reaction, Room
from rooms.services.attachments import attachments_remove
from rooms.services.direct import memberships_adopt, memberships_forget
from rooms.services.moderation import audit
from rooms.services.presence import announce_presence, lock_room, presence_remove, roster
from rooms.services.reactions import reactions_reannounce

logger = logging.getLogger(__name__)


def person_adopt(*, guest_key: str, actor: Actor, session_key: str | None = None) -> int:
    """What guest `guest_key` owned becomes `actor`'s (an account); returns how many messages moved.

    Where the account is already present in a room (another device), the
    guest's sockets join that presence and the guest's name leaves the member
    list; elsewhere the presence simply changes hands, with no notice.
    `session_key`: the browser's session after login (Django cycles the key),
    which its sockets carry from now on.
    """
    person = actor.guest_key
    if not guest_key or guest_key == person or actor.user_id is None:
        return 0
    with transaction.atomic():
        moved = 0
        for message_id in Message.objects.filter(author_key=guest_key).values_list("pk", flat=True).iterator():
            try:
                with transaction.atomic():
                    moved += Message.objects.filter(pk=message_id).update(
                        author_key=person, author_user_id=actor.user_id
                    )
            except IntegrityError:  # the same client_id used by both: keep ownership through author_user
                Message.objects.filter(pk=message_id).update(author_user_id=actor.user_id)
        Room.objects.filter(owner_key=guest_key).update(owner_key=person)
        Ban.objects.filter(guest_key=guest_key).update(guest_key=person)
        _adopt_reactions(guest_key, person)
        memberships_adopt(guest_key=guest_key, person=person)
        names = {}
        for presence in Presence.objects.filter(guest_key=guest_key).select_related("room"):
            names.update(_adopt_presence(presence, person))
        events.identify(
            guest_key,
            person_key=person,
            user_id=actor.user_id,
            is_staff=actor.is_staff,
            user_name=actor.user_name,
            names=names,
            session_key=session_key,
            avatar=actor.avatar,
        )
    logger.info("guest %s became %s: %d messages", guest_key[:8], actor.label, moved)
    return moved


def _adopt_reactions(guest_key: str, person: str) -> None:
    """The guest's reactions become the account's; where both reacted alike, one stays. Rooms hear the new sets."""
    guest = Reaction.objects.filter(person_key=guest_key)
    reacted = set(guest.values_list("message_id", flat=True))
    if not reacted:
        return
    both = Reaction.objects.filter(person_key=person, message_id__in=reacted).values_list("message_id", "emoji")
    for message_id, emoji in both:
        guest.filter(message_id=message_id, emoji=emoji).delete()
    guest.update(person_key=person)
    reactions_reannounce(message_ids=reacted)  # their author tokens changed: the pages mark them anew


def _adopt_presence(presence: Presence, person: str) -> dict[str, str]:
    """Hand one room's presence to the account; {room id: name} where the sockets must take the account's name."""
    version = lock_room(presence.room_id)
    existing = Presence.objects.filter(room_id=presence.room_id, guest_key=person).first()
    if existing is None:
        Presence.objects.filter(pk=presence.pk).update(guest_key=person)
        if version is not None:  # the same members; one of them is an account now (the page marks it)
            announce_presence(presence.room, version=version, **roster(presence.room_id))
        return {}
    # The account is here already from another device: one member, under the name it has here.
    Connection.objects.filter(presence=presence).update(presence=existing)
    presence.delete()
    if version is not None:
        announce_presence(
            presence.room,
            version=version,
            **roster(presence.room_id),
            kind="leave",
            username=presence.username,
            guest_key=person,
        )
    return {str(presence.room_id): existing.username}


def person_signed_out(*, session_key: str) -> None:
    """A browser's session logged out: its sockets close with Close.SIGNED_OUT, and the page reloads as a guest.

    Only that session's sockets: the account's other devices stay as they are.
    Their rooms hear a leave as after any disconnect.
    """
    events.evict(
        "signed_out",
        {"reason": "You logged out in another tab."},
        session_key=session_key,
        close_code=Close.SIGNED_OUT,
    )


def person_password_changed(*, user) -> None:
    """An account's password changed (or was reset): every socket of it closes with Close.SIGNED_OUT.

    Django already refuses the account's other sessions on their next request
    (the session auth hash); their open sockets would otherwise go on as the
    account. The browser that changed it reloads still logged in; the others
    reload as guests. (Which socket belongs to that browser cannot be told:
    Django gave its session a new key.)
    """
    events.evict(
        "signed_out",
        {"reason": "The account's password was changed."},
        user_id=user.pk,
        close_code=Close.SIGNED_OUT,
    )


def account_set_active(*, user, actor: Actor, active: bool) -> None:
    """A moderator deactivates (or reactivates) an account. Deactivated, it is logged out everywhere at once.

    Django refuses an inactive user's sessions on their next request (the
    authentication backends check `is_active`); their open sockets hear
    `signed_out` and close with Close.SIGNED_OUT, so their pages reload as
    guests. Their messages stay, under their name. Audited.
    """
    if user.is_active == active:
        return
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit(actor=actor, action="account_reactivate" if active else "account_deactivate", target=user.username)
        if not active:
            events.evict(
                "signed_out",
                {"reason": "Your account was deactivated by a moderator."},
                user_id=user.pk,
                close_code=Close.SIGNED_OUT,
            )


DELETED_NAME = "deleted user"


def account_delete(*, user, actor: Actor) -> int:
    """An account deletes itself: its messages stay, as "deleted user", owned by nobody; returns how many.

    Chosen over removing the messages so the conversations others had with it
    keep their sense (docs/security.md). The rooms it owned are nobody's (staff
    still moderate them), it leaves every room it is in (announced) and belongs
    to none (its memberships and blocks go; its conversations stay for the
    other members), its open
    sockets close with Close.SIGNED_OUT, and the user row goes (its sessions
    with it: they name a user that no longer exists). Audited.
    """
    person = person_key(user)
    orphan = "deleted-" + secrets.token_urlsafe(12)  # nobody's key: no session can ever act as it
    with transaction.atomic():
        kept = Message.objects.filter(author_key=person).update(
            author_key=orphan, author_user=None, username=DELETED_NAME
        )
        Room.objects.filter(owner_key=person).update(owner_key="")
        Ban.objects.filter(guest_key=person).delete()
        # Its reactions go (unlike messages, they say nothing on their own); their rooms hear the new sets.
        reacted = set(Reaction.objects.filter(person_key=person).values_list("message_id", flat=True))
        Reaction.objects.filter(person_key=person).delete()
        # Its files go, from storage too: pictures of a person outlive no account (docs/security.md).
        attachments_remove(queryset=Attachment.objects.filter(uploader_key=person))
        reactions_reannounce(message_ids=reacted)
        memberships_forget(person=person)
        for room in Room.objects.filter(presences__guest_key=person):
            presence_remove(room=room, guest_key=person, text="{username} left")
        events.evict(
            "signed_out", {"reason": "Your account was deleted."}, user_id=user.pk, close_code=Close.SIGNED_OUT
        )
        audit(actor=actor, action="account_delete", target=user.username, detail=f"{kept} messages kept")
        stem = user.avatar
        user.delete()
        transaction.on_commit(lambda: avatars.discard(stem))
    return kept
