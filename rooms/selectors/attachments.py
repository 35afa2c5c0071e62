"""Attachments and link cards' pictures, read: the one a URL names, if the reader may read its room."""

from rooms.identity import Actor
from rooms.models import Attachment, LinkPreview, Room
from rooms.selectors.bans import active_ban
from rooms.selectors.rooms import readable_rooms


def room_readable(*, room: Room, actor: Actor) -> bool:
    """May `actor` read `room`'s messages now, by the one rule search uses too (readable_rooms):
    a public room, anyone not banned from it; a private room, those who belong to it; a direct
    conversation, its members only. Staff, every room but a conversation they are not in (the
    admin shows them every message but those; a reported one is shown in the reports queue).
    """
    if actor.is_staff and room.kind != Room.Kind.DIRECT:
        return True
    if room.closed_at is not None or active_ban(actor=actor, room=room) is not None:
        return False
    return readable_rooms(actor=actor).filter(pk=room.pk).exists()


def attachment_for_reader(*, token: str, actor: Actor) -> Attachment | None:
    """The attachment `token` names, if `actor` may read it; None otherwise (the view's 404, whatever the reason).

    A sent one: if its message is visible and its room readable. An unsent one: its uploader's only.
    """
    attachment = Attachment.objects.select_related("room", "message").filter(token=token).first()
    if attachment is None:
        return None
    if attachment.message_id is None:
        mine = attachment.uploader_key == actor.guest_key
        return attachment if mine and active_ban(actor=actor, room=attachment.room) is None else None
    if attachment.message.deleted_at is not None:
        return None
    return attachment if room_readable(room=attachment.room, actor=actor) else None


def preview_for_reader(*, token: str, actor: Actor) -> LinkPreview | None:
    """The link card whose picture `token` names, if `actor` may read its message; None otherwise (a 404)."""
    preview = LinkPreview.objects.select_related("room", "message").filter(token=token, removed=False).first()
    if preview is None or not preview.image_path or preview.message.deleted_at is not None:
        return None
    return preview if room_readable(room=preview.room, actor=actor) else None
