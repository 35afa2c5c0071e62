"""Who may do what: the moderator rule and the author rule, each written once.

Services ask these before they write; the ws layer asks `can_moderate` to
tell a joining page whether to show owner controls.
"""

from rooms.errors import ChatError, Code
from rooms.identity import Actor


def moderates(actor: Actor, owner_key: str) -> bool:
    """Staff moderate every room; a guest moderates the room their session created (`owner_key`)."""
    return actor.is_staff or (bool(owner_key) and owner_key == actor.guest_key)


def can_moderate(actor: Actor, room) -> bool:
    return moderates(actor, room.owner_key)


def require_moderator(actor: Actor, room) -> None:
    if not can_moderate(actor, room):
        raise ChatError(Code.FORBIDDEN, "Only the room's owner or a moderator can do that.")


def require_staff(actor: Actor, message: str) -> None:
    """Site-wide actions (close, reopen, rename, clear, ban) are for staff only."""
    if not actor.is_staff:
        raise ChatError(Code.FORBIDDEN, message)


def is_author(actor: Actor, message) -> bool:
    """The message is this actor's: written by their session, or by their account."""
    return message.author_key == actor.guest_key or (
        actor.user_id is not None and message.author_user_id == actor.user_id
    )
