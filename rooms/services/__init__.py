"""The actions of chatsite, one function each, by concern.

The ws consumer, the views, the admin and the management commands all call
these; nothing else writes rooms, messages, presence or bans. Each function
validates (rooms/rules.py, rooms/policy.py), writes inside a transaction, and
announces the change through rooms/events.py, which sends only after the
commit. Everything is re-exported here: `services.room_close(...)`.
"""

from rooms.services.attachments import (
    attachment_keep,
    attachment_store,
    attachment_upload,
    attachment_upload_check,
    attachments_bind,
    attachments_remove,
    attachments_sweep_unsent,
)
from rooms.services.bans import ban_create, ban_lift, banned_error
from rooms.services.direct import (
    block_create,
    block_lift,
    direct_open,
    membership_enter,
    membership_read,
    person_online_announce,
    person_resolve,
    rooms_unread_announce,
)
from rooms.services.messages import message_delete, message_edit, typing_notify
from rooms.services.moderation import audit, member_kick
from rooms.services.people import (
    account_delete,
    account_set_active,
    person_adopt,
    person_password_changed,
    person_signed_out,
)
from rooms.services.posting import Post, PostQueue, message_post, message_post_batch
from rooms.services.presence import (
    Entered,
    presence_enter,
    presence_leave,
    presence_remove,
    presence_sweep,
    process_deregister,
    process_heartbeat,
    process_register,
)
from rooms.services.previews import preview_remove, preview_store, previews_remove
from rooms.services.profiles import account_rename, avatar_remove, avatar_set, profile_clear, profile_set_about
from rooms.services.reactions import reaction_add, reaction_remove, reactions_reannounce
from rooms.services.reports import message_report, report_handle
from rooms.services.rooms import (
    room_clear_history,
    room_close,
    room_create_named,
    room_create_private,
    room_for_join,
    room_reopen,
    room_set_locked,
    room_set_slow_mode,
    room_set_title,
    rooms_purge_empty,
    topic_rooms_ensure,
)

__all__ = [
    "Entered",
    "Post",
    "PostQueue",
    "attachment_keep",
    "attachment_store",
    "attachment_upload",
    "attachment_upload_check",
    "attachments_bind",
    "attachments_remove",
    "attachments_sweep_unsent",
    "account_delete",
    "account_rename",
    "account_set_active",
    "audit",
    "avatar_remove",
    "avatar_set",
    "ban_create",
    "ban_lift",
    "banned_error",
    "block_create",
    "block_lift",
    "direct_open",
    "person_online_announce",
    "rooms_unread_announce",
    "member_kick",
    "membership_enter",
    "membership_read",
    "message_delete",
    "message_edit",
    "message_post",
    "message_post_batch",
    "message_report",
    "person_adopt",
    "person_password_changed",
    "person_resolve",
    "person_signed_out",
    "presence_enter",
    "preview_remove",
    "preview_store",
    "previews_remove",
    "presence_leave",
    "presence_remove",
    "presence_sweep",
    "process_deregister",
    "process_heartbeat",
    "process_register",
    "profile_clear",
    "profile_set_about",
    "reaction_add",
    "reaction_remove",
    "reactions_reannounce",
    "report_handle",
    "room_clear_history",
    "room_close",
    "room_create_named",
    "room_create_private",
    "room_for_join",
    "room_reopen",
    "room_set_locked",
    "room_set_slow_mode",
    "room_set_title",
    "rooms_purge_empty",
    "topic_rooms_ensure",
    "typing_notify",
]
