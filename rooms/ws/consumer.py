"""ChatConsumer: one browser tab's WebSocket at /ws/chat/.

Thin on purpose: each `on_<event>` method takes a frame validated by
rooms/ws/protocol.py, calls a service or selector, and answers. Frames for
the room arrive from the process hub (rooms/realtime/hub.py) through `offer`,
and its SocketStream (rooms/realtime/ordering.py) keeps chat messages
gap-free and in order.
"""

import logging
import time
from typing import Any

from django.conf import settings

from rooms import identity, policy, rules, selectors, services, throttle
from rooms.availability import DATABASE_OUTAGE, unavailable, watch
from rooms.dbthread import database_sync_to_async
from rooms.errors import ChatError, Close, Code
from rooms.models import Room
from rooms.payloads import author_token, avatar_url, room_data, roster_data
from rooms.realtime.hub import Hub, get_hub
from rooms.realtime.ordering import SocketStream
from rooms.realtime.wire import Wire
from rooms.services.rule import apply
from rooms.ws.flood import FloodGuard, refusal
from rooms.ws.protocol import parse_frame
from rooms.ws.socket import HubSocket

logger = logging.getLogger(__name__)

db = database_sync_to_async


class ChatConsumer(HubSocket):
    room: Room | None = None
    hub: Hub | None = None

    # --- connection lifecycle -----------------------------------------------

    async def connect(self):
        """Called when the browser opens the socket: accept, then send the lobby."""
        self.flood = FloodGuard()
        self.last_typing = 0.0
        try:
            self.actor, self.username = await identity.actor_for_scope(self.scope)
            self.session_key = identity.session_key(self.scope)
            self.stream = SocketStream(self.send_text, self.actor.guest_key, self.actor.label)
            self.hub = await get_hub()
            self.connection_id = self.hub.connection_id()
            await self.accept()
            self.wire = Wire.of(self.base_send)
            if not self.hub.add_socket(self):
                # Accepted first, so the page learns why (a refused handshake is only "1006") and stops retrying.
                logger.info(
                    "refusing a socket of %s: %d open here already", self.actor.label, self.hub.per_person[self.person]
                )
                await self.close_with_reason(Close.TOO_MANY_SOCKETS, "too many open tabs")
                return
            await self.send_event("room_list", await self.hub.lobby_rooms.get())
            # Follow the person's own stream before reading their counts, so no update falls between the two.
            await self.hub.follow_person(self, self.actor.guest_key)
            await self.send_event("inbox", await db(selectors.person_inbox)(person=self.actor.guest_key))
        except DATABASE_OUTAGE as error:
            # Refused (or, once accepted, closed) as "try again later": the page reconnects with backoff.
            watch.failed("connect", error)
            await self.close(code=Close.TRY_AGAIN)

    async def disconnect(self, code):
        """Called when the socket closes, for whatever reason: leave the room."""
        if self.hub is None:
            return
        self.hub.remove_socket(self)
        await self.hub.unfollow_person(self)
        if self.room is not None:
            await self._leave()

    async def receive(self, text_data=None, bytes_data=None):
        """Called with each frame: validate it, run its handler, answer mistakes with `error`."""
        if await self._flooding(text_data, bytes_data):
            return
        event, data = None, {}
        try:
            event, data = parse_frame(text_data, bytes_data)
            await getattr(self, f"on_{event}")(data)
        except ChatError as error:
            payload = error.as_data()
            if event:
                payload.setdefault("event", event)
            await self.send_event("error", payload)
        except DATABASE_OUTAGE as error:
            # Not done (or, cut off in its commit, done unanswered): the same again after retry_after is safe.
            watch.failed(event or "frame", error)
            payload = {**unavailable().as_data(), "event": event}
            if data.get("client_id"):
                payload["client_id"] = data["client_id"]
            await self.send_event("error", payload)
        except Exception:
            logger.exception("%s failed for %s", event or "frame", self.actor.label)
            await self.send_event("error", {**ChatError(Code.INTERNAL_ERROR).as_data(), "event": event})

    async def _flooding(self, text_data: str | None, bytes_data: bytes | None) -> bool:
        """Meter every frame (rooms/ws/flood.py): refuse the excess, disconnect a client far past the limit."""
        if self.flood.closed:
            return True  # already closed for flooding: frames still in flight are dropped unread
        wait = self.flood.frame()
        if wait is None:
            return False
        if wait:
            await self.send_event("error", refusal(wait, text_data, bytes_data))
            return True
        logger.warning("disconnecting %s for flooding", self.actor.label)
        await self.close(code=Close.FLOOD)
        if self.wire is not None:  # under daphne (not the test communicator)
            self.wire.cut_off()
        return True

    # --- client events ------------------------------------------------------

    async def on_join_room(self, data):
        """join_room: enter a room by name or code (creating a named one if asked)."""
        username = await self._take_username(data.get("username"))
        since_id = data.get("since_id")
        room = await db(services.room_for_join)(
            room_name=data["room_name"],
            create=data.get("create", False),
            actor=self.actor,
            username=username,
            since_id=since_id,
        )
        moving = self.room is not None
        if moving:
            await self._leave(staying=True)
        await self._enter(room, username, since_id=since_id, reactions_since=data.get("reactions_since"), moving=moving)

    async def on_leave_room(self, data):
        """leave_room: back to the lobby, socket still open."""
        room = self._require_room()
        await self._leave()
        await self.send_event("leave_confirm", {"room": room.name})

    async def on_create_room(self, data):
        """create_room: a new private room with a random code (join it next)."""
        if data.get("username") is not None:
            await self._take_username(data["username"])
        room = await db(services.room_create_private)(actor=self.actor)
        await self.send_event("room_created", {"room": room_data(room, 0)})

    async def on_find_rooms(self, data):
        """find_rooms: public rooms whose name contains `query`, A to Z, a page after `after`."""
        found = await db(selectors.rooms_find)(query=data.get("query", ""), after=data.get("after"))
        await self.send_event("room_results", found)

    async def on_send_message(self, data):
        """send_message: store, then the room hears it; the sender gets `ack` for a client_id."""
        client_id = data.get("client_id", "")
        try:
            room = self._require_room()
            self.flood.message()
            message, _ = await self.hub.posting.post(
                room=room,
                actor=self.actor,
                username=self.username,
                text=data["text"],
                client_id=client_id,
                reply_to=data.get("reply_to"),
                attachments=tuple(data.get("attachments", ())),
            )
        except ChatError as error:
            if error.code == Code.BUSY:
                self.flood.message_refused()
            if client_id:
                error.extra["client_id"] = client_id
            raise
        if client_id:
            await self.send_event("ack", {"client_id": client_id, "id": message.id})

    async def on_open_direct(self, data):
        """open_direct: the conversation of this person and the people named (the same people, the same one)."""
        username = self.username or self.actor.user_name
        if not username:
            raise ChatError(Code.INVALID_USERNAME, "Pick a display name first.")
        room, _ = await db(services.direct_open)(
            actor=self.actor, usernames=data["usernames"], room=self._current_room(), username=username
        )
        await self.send_event("direct_opened", {"room": room.name})

    async def on_mark_read(self, data):
        """mark_read: read up to `id` in a room this person belongs to; their other devices hear it too."""
        await db(services.membership_read)(actor=self.actor, room_name=data["room"], message_id=data["id"])

    async def on_inbox_more(self, data):
        """inbox_more: the next page of this person's conversations, older than the conversation `before`."""
        page = await db(selectors.inbox_page)(person=self.actor.guest_key, before=data["before"])
        await self.send_event("inbox_page", page)

    async def on_get_conversation(self, data):
        """get_conversation: one conversation of this person's (one not paged in yet that has news), as listed."""
        conversation = await db(selectors.conversation_of)(person=self.actor.guest_key, room_name=data["room"])
        await self.send_event("conversation", conversation)

    async def on_block(self, data):
        """block: stop hearing from a member of this room (by name) or the author of a message shown here."""
        if "username" not in data and "message_id" not in data:
            raise ChatError(Code.BAD_FRAME, "block needs username or message_id.")
        await db(services.block_create)(
            actor=self.actor,
            room=self._current_room(),
            username=data.get("username"),
            message_id=data.get("message_id"),
        )

    async def on_unblock(self, data):
        """unblock: hear from that person (their `author` token) again."""
        await db(services.block_lift)(actor=self.actor, author=data["author"])

    async def on_report_message(self, data):
        """report_message: a message of this room goes to the moderators' queue, with an optional reason."""
        room = self._require_room()
        await db(services.message_report)(
            actor=self.actor, room=room, username=self.username, message_id=data["id"], reason=data.get("reason", "")
        )
        await self.send_event("reported", {"id": data["id"]})

    async def on_history(self, data):
        """history: a page of the current room, oldest first: older than before_id, newer than after_id, or around_id."""
        room = self._require_room()
        answer: dict[str, Any] = {"room": room.name}
        if data.get("around_id") is not None:
            found = await db(selectors.room_history_around)(
                room=room, around_id=data["around_id"], limit=data.get("limit")
            )
            if found is None:
                raise ChatError(Code.MESSAGE_NOT_FOUND)
            answer["around_id"] = data["around_id"]
            answer["messages"], answer["has_more"], answer["has_newer"] = found
        elif data.get("after_id") is not None:
            answer["after_id"] = data["after_id"]
            answer["messages"], answer["has_newer"] = await db(selectors.room_history_after)(
                room=room, after_id=data["after_id"], limit=data.get("limit")
            )
        else:
            answer["messages"], answer["has_more"] = await db(selectors.room_history)(
                room=room, before_id=data.get("before_id"), limit=data.get("limit")
            )
        await self.send_event("history", answer)

    async def on_react(self, data):
        """react: add one's emoji to a message; the room hears `reactions`."""
        room = self._require_room()
        await db(services.reaction_add)(
            room=room, actor=self.actor, username=self.username, message_id=data["id"], emoji=data["emoji"]
        )

    async def on_unreact(self, data):
        """unreact: take one's emoji off a message; the room hears `reactions`."""
        room = self._require_room()
        await db(services.reaction_remove)(room=room, actor=self.actor, message_id=data["id"], emoji=data["emoji"])

    async def on_get_profile(self, data):
        """get_profile: the profile card of a member of this room (`username`) or of a message's author (`message_id`)."""
        room = self._require_room()
        if "username" not in data and "message_id" not in data:
            raise ChatError(Code.BAD_FRAME, "get_profile needs username or message_id.")
        card = await db(selectors.profile_card)(
            room=room, username=data.get("username"), message_id=data.get("message_id")
        )
        await self.send_event("profile", card)

    async def on_search(self, data):
        """search: messages matching a query in every room one may read, newest first (`search_results`)."""
        await db(throttle.search_check)(guest_key=self.actor.guest_key)
        results = await db(selectors.message_search)(actor=self.actor, query=data["query"], before=data.get("before"))
        await self.send_event("search_results", results)

    async def on_edit_message(self, data):
        """edit_message: change one's own message; the room hears `message_updated`."""
        room = self._require_room()
        self.flood.message()
        await db(services.message_edit)(message_id=data["id"], room=room, actor=self.actor, text=data["text"])

    async def on_delete_message(self, data):
        """delete_message: one's own, or any in a room one moderates; the room hears `message_deleted`."""
        room = self._require_room()
        await db(services.message_delete)(message_id=data["id"], room=room, actor=self.actor)

    async def on_preview_remove(self, data):
        """preview_remove: take the link card from one's own message; the room hears `preview` with null."""
        room = self._require_room()
        await db(services.preview_remove)(message_id=data["id"], room=room, actor=self.actor)

    async def on_typing(self, data):
        """typing: tell the others, at most once per TYPING_INTERVAL_SECONDS; never stored."""
        room = self._require_room()
        now = time.monotonic()
        if now - self.last_typing < settings.TYPING_INTERVAL_SECONDS:
            return
        self.last_typing = now
        await db(services.typing_notify)(room=room, actor=self.actor, username=self.username)

    async def on_kick_member(self, data):
        """kick_member: the owner or staff removes someone from the room."""
        room = self._require_room()
        await db(services.member_kick)(room=room, actor=self.actor, username=data["username"])

    async def on_lock_room(self, data):
        """lock_room: the owner or staff makes the room read-only, or opens it again."""
        room = self._require_room()
        self.room = await db(services.room_set_locked)(room=room, actor=self.actor, locked=data["locked"])

    async def on_set_slow_mode(self, data):
        """set_slow_mode: the owner or staff spaces each member's messages by N seconds."""
        room = self._require_room()
        self.room = await db(services.room_set_slow_mode)(room=room, actor=self.actor, seconds=data["seconds"])

    # --- joining and leaving ------------------------------------------------

    async def _take_username(self, requested: str | None) -> str:
        if requested is None:
            if not self.username:
                raise ChatError(Code.INVALID_USERNAME, "Pick a display name first.")
            return self.username
        username = apply(rules.clean_username, requested)
        if username != self.username:
            await identity.remember_username(self.scope, username)
            self.username = username
        return username

    def _current_room(self) -> Room | None:
        """The room this socket shows, if it has finished joining one."""
        return None if self.room is None or self.stream.joining else self.room

    def _require_room(self) -> Room:
        if self.room is None or self.stream.joining:
            raise ChatError(Code.NOT_IN_ROOM)
        return self.room

    async def _enter(
        self,
        room: Room,
        username: str,
        *,
        since_id: int | None,
        reactions_since: int | None = None,
        moving: bool = False,
    ) -> None:
        # Subscribe first and hold live frames, so nothing slips between the
        # snapshot below and the first live frame.
        facts = getattr(room, "joining", None)  # what room_for_join read with the room (presence_enter uses it up)
        self.room = room
        self.stream.hold(room)
        local = await self.hub.enter_room(self, room.pk)
        entered = None
        try:
            entered, snapshot, failed = await db(_enter_and_read)(
                room=room,
                actor=self.actor,
                username=username,
                connection_id=self.connection_id,
                process_id=self.hub.process_id,
                moving=moving,
                since_id=since_id,
                reactions_since=reactions_since,
                since_seq=facts.since_seq if facts is not None else None,
            )
            if failed is not None:
                raise failed
        except BaseException:
            self.room = None
            self.stream.stop()
            await self.hub.leave_room(self, room.pk)
            if entered is not None:
                await self._take_back_presence()
            raise
        if self.room is not room:
            # Removed while joining (room closed, kicked, banned): the client has been
            # told; take back this socket's presence, which the removal may have missed.
            await self._take_back_presence()
            return
        if snapshot.resync:
            await self.send_event("resync_required", {"room": room.name, "latest_id": snapshot.latest_id})
        await self.send_event("join_confirm", self._join_confirm(room, username, entered, snapshot))
        for event, changed in snapshot.changes:  # resuming: edits, removals and reactions made while it was away
            await self.send_event(event, changed)
        await self.stream.start(
            start_seq=snapshot.start_seq,
            version=entered.version,
            latest_seq=max(local.latest_seq, snapshot.last_seq),
        )

    def _join_confirm(self, room: Room, username: str, entered, snapshot) -> dict[str, Any]:
        return {
            "room": room_data(room, entered.users),
            "username": username,
            "author": author_token(self.actor.guest_key),
            "account": self.actor.user_id is not None,
            "avatar": avatar_url(self.actor.avatar),
            "members": entered.members,
            **roster_data(entered.accounts),
            "history": snapshot.history,
            "has_more": snapshot.has_more,
            "resumed": snapshot.resumed,
            "owner": policy.can_moderate(self.actor, room),
            "locked": room.locked,
            "slow_mode": room.slow_mode_seconds,
            "edit_window": settings.EDIT_WINDOW_SECONDS,
            "reactions_seq": snapshot.reactions_seq,
            "last_read": entered.last_read,
        }

    async def _leave(self, *, staying: bool = False) -> None:
        """Out of the room; `staying`: the socket joins another next (its person does not go offline)."""
        room, self.room = self.room, None
        self.stream.stop()
        await self.hub.leave_room(self, room.pk)
        await self._take_back_presence(staying=staying)

    async def _take_back_presence(self, *, staying: bool = False) -> None:
        try:
            await db(services.presence_leave)(connection_id=self.connection_id, staying=staying)
        except DATABASE_OUTAGE as error:
            # This socket is out of the room already; its presence row goes once the
            # database is back (housekeeping), and a next join here uses a fresh id.
            watch.failed("leave", error)
            self.hub.housekeeping.leave_later(self.connection_id)
            self.connection_id = self.hub.connection_id()

    # --- removal ------------------------------------------------------------

    async def evict(self, text: str, *, close_code: int | None) -> None:
        """Called when a moderator or a shutdown removes this socket: tell the client, leave, maybe close."""
        if text:
            await self.send_text(text)
        if self.room is not None:
            await self._leave()
        if close_code is not None:
            await self.close(code=close_code)


def _enter_and_read(*, room, since_id, reactions_since, since_seq, **enter):
    """presence_enter, then the join's history (selectors.join_snapshot), in one trip to the database thread.

    Each trip costs the event loop a hand-off and a wake-up (asgiref's
    executor, its context, its futures: a tenth of a reconnect storm's
    samples, docs/performance.md). The presence is entered (committed) before
    the history is read; should the read fail, what was entered comes back
    with the error, so the socket can take its presence back.
    """
    entered = services.presence_enter(room=room, **enter)
    try:
        snapshot = selectors.join_snapshot(
            room=room,
            since_id=since_id,
            reactions_since=reactions_since,
            positions=(entered.last_seq, entered.reactions_seq),
            since_seq=since_seq,
        )
    except Exception as error:
        return entered, None, error
    return entered, snapshot, None
