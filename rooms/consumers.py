"""ChatConsumer: one browser tab's WebSocket at /ws/chat/.

Thin on purpose: each `on_<event>` method takes a frame validated by
rooms/protocol.py, calls a service or selector, and answers. Frames for the
room arrive from the process hub (rooms/hub.py) through `offer`, which keeps
chat messages gap-free and in order: anything missed is read back from the
database before live traffic continues.
"""

import asyncio
import contextlib
import logging
import time
from typing import Any

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError

from rooms import identity, presence, selectors, services, throttle
from rooms.hub import Hub, get_hub
from rooms.models import Room, clean_username
from rooms.protocol import ChatError, Code, encode, parse_frame, room_data
from rooms.wire import Wire, text_frame

logger = logging.getLogger(__name__)

# Sockets get no channel of their own: the process hub holds the one
# subscription and hands each socket its frames (rooms/hub.py).
NO_CHANNEL_LAYER = "chatsite.hub-delivers"
CATCH_UP_BATCH = 200
PENDING_LIMIT = 1000
CLOSE_FLOOD = 4008

db = database_sync_to_async


def refused(text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
    """What a refused frame was, as far as it can be read: its event and client_id."""
    try:
        event, data = parse_frame(text_data, bytes_data)
    except ChatError:
        return {}
    found: dict[str, Any] = {"event": event}
    if data.get("client_id"):
        found["client_id"] = data["client_id"]
    return found


class ChatConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = NO_CHANNEL_LAYER

    room: Room | None = None
    hub: Hub | None = None
    wire: Wire | None = None

    async def dispatch(self, message):
        """Called with each ASGI event: run its handler.

        Channels' AsyncConsumer.dispatch first awaits aclose_old_connections(),
        a hop to the database thread for every frame a client sends. Every
        database call here goes through database_sync_to_async, which already
        closes stale connections around itself, so the hop is skipped
        (docs/performance.md).
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- connection lifecycle -----------------------------------------------

    async def connect(self):
        """Called when the browser opens the socket: accept, then send the lobby."""
        self.joining = False
        self.pending: list[dict[str, Any]] = []
        self.seen_seq = 0
        self.target_seq = 0
        self.versions: dict[str, int] = {}
        self.catch_up_task: asyncio.Task | None = None
        self.messages = throttle.message_bucket()
        self.frames = throttle.frame_bucket()
        self.flood_strikes = 0
        self.flood_closed = False
        self.last_refusal = 0.0
        self.last_typing = 0.0
        self.actor, self.username = await identity.actor_for_scope(self.scope)
        self.hub = await get_hub()
        self.connection_id = self.hub.connection_id()
        await self.accept()
        self.wire = Wire.of(self.base_send)
        self.hub.add_socket(self)
        await self.send_event("room_list", {"rooms": await db(selectors.public_rooms)()})

    async def disconnect(self, code):
        """Called when the socket closes, for whatever reason: leave the room."""
        if self.hub is None:
            return
        self.hub.remove_socket(self)
        if self.room is not None:
            await self._leave()

    async def receive(self, text_data=None, bytes_data=None):
        """Called with each frame: validate it, run its handler, answer mistakes with `error`."""
        if await self._flooding(text_data, bytes_data):
            return
        event = None
        try:
            event, data = parse_frame(text_data, bytes_data)
            await getattr(self, f"on_{event}")(data)
        except ChatError as error:
            payload = error.as_data()
            if event:
                payload.setdefault("event", event)
            await self.send_event("error", payload)
        except Exception:
            logger.exception("%s failed for %s", event or "frame", self.actor.label)
            await self.send_event("error", {**ChatError(Code.INTERNAL_ERROR).as_data(), "event": event})

    async def _flooding(self, text_data: str | None, bytes_data: bytes | None) -> bool:
        """Meter every frame; refuse the excess, and disconnect a client far past the limit.

        Every refused frame is answered (at most FLOOD_DISCONNECT_AFTER of them before
        the close), with its event and client_id when it has them, so a client never
        loses a message without being told.
        """
        if self.flood_closed:
            return True  # already closed for flooding: frames still in flight are dropped unread
        wait = self.frames.take()
        if not wait:
            return False
        now = time.monotonic()
        if now - self.last_refusal > 10:
            self.flood_strikes = 0
        self.flood_strikes += 1
        self.last_refusal = now
        if self.flood_strikes >= settings.FLOOD_DISCONNECT_AFTER:
            self.flood_closed = True
            logger.warning("disconnecting %s for flooding", self.actor.label)
            await self.close(code=CLOSE_FLOOD)
            if self.wire is not None:  # under daphne (not the test communicator)
                self.wire.cut_off()
        else:
            await self.send_event("error", {**throttle.rate_limited(wait).as_data(), **refused(text_data, bytes_data)})
        return True

    # --- client events ------------------------------------------------------

    async def on_join_room(self, data):
        """join_room: enter a room by name or code (creating a named one if asked)."""
        username = await self._take_username(data.get("username"))
        room = await db(services.room_for_join)(
            room_name=data["room_name"], create=data.get("create", False), actor=self.actor
        )
        if self.room is not None:
            await self._leave()
        await self._enter(room, username, since_id=data.get("since_id"))

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

    async def on_send_message(self, data):
        """send_message: store, then the room hears it; the sender gets `ack` for a client_id."""
        client_id = data.get("client_id", "")
        try:
            room = self._require_room()
            self._meter_message()
            message, _ = await self.hub.post_message(
                room=room, actor=self.actor, username=self.username, text=data["text"], client_id=client_id
            )
        except ChatError as error:
            if client_id:
                error.extra["client_id"] = client_id
            raise
        if client_id:
            await self.send_event("ack", {"client_id": client_id, "id": message.id})

    async def on_history(self, data):
        """history: an older page of the current room, oldest first."""
        room = self._require_room()
        messages, has_more = await db(selectors.room_history)(
            room=room, before_id=data.get("before_id"), limit=data.get("limit")
        )
        await self.send_event("history", {"room": room.name, "messages": messages, "has_more": has_more})

    async def on_edit_message(self, data):
        """edit_message: change one's own message; the room hears `message_updated`."""
        room = self._require_room()
        self._meter_message()
        await db(services.message_edit)(message_id=data["id"], room=room, actor=self.actor, text=data["text"])

    async def on_delete_message(self, data):
        """delete_message: one's own, or any in a room one moderates; the room hears `message_deleted`."""
        room = self._require_room()
        await db(services.message_delete)(message_id=data["id"], room=room, actor=self.actor)

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

    def _meter_message(self) -> None:
        wait = self.messages.take()
        if wait:
            raise throttle.rate_limited(wait)

    # --- joining and leaving ------------------------------------------------

    async def _take_username(self, requested: str | None) -> str:
        if requested is None:
            if not self.username:
                raise ChatError(Code.INVALID_USERNAME, "Pick a display name first.")
            return self.username
        try:
            username = clean_username(requested)
        except ValidationError as error:
            raise ChatError(Code.INVALID_USERNAME, error.messages[0]) from None
        if username != self.username:
            await identity.remember_username(self.scope, username)
            self.username = username
        return username

    def _require_room(self) -> Room:
        if self.room is None or self.joining:
            raise ChatError(Code.NOT_IN_ROOM)
        return self.room

    async def _enter(self, room: Room, username: str, *, since_id: int | None) -> None:
        # Subscribe first and hold live frames, so nothing slips between the
        # snapshot below and the first live frame.
        self.room, self.joining, self.pending = room, True, []
        local = await self.hub.enter_room(self, room.pk)
        entered = None
        try:
            entered = await db(presence.presence_enter)(
                room=room,
                actor=self.actor,
                username=username,
                connection_id=self.connection_id,
                process_id=self.hub.process_id,
            )
            snapshot = await db(selectors.join_snapshot)(room=room, since_id=since_id)
        except BaseException:
            self.room, self.joining = None, False
            await self.hub.leave_room(self, room.pk)
            if entered is not None:
                await db(presence.presence_leave)(connection_id=self.connection_id)
            raise
        if self.room is not room:
            # Removed while joining (room closed, kicked, banned): the client has been
            # told; take back this socket's presence, which the removal may have missed.
            await db(presence.presence_leave)(connection_id=self.connection_id)
            return
        self.seen_seq = self.target_seq = snapshot.start_seq
        self.versions = {"members": entered.version, "count": entered.version, "notices": entered.version}
        if snapshot.resync:
            await self.send_event("resync_required", {"room": room.name, "latest_id": snapshot.latest_id})
        await self.send_event(
            "join_confirm",
            {
                "room": room_data(room, entered.users),
                "username": username,
                "members": entered.members,
                "history": snapshot.history,
                "has_more": snapshot.has_more,
                "resumed": snapshot.resumed,
                "owner": services.can_moderate(self.actor, room),
                "locked": room.locked,
                "slow_mode": room.slow_mode_seconds,
                "edit_window": settings.EDIT_WINDOW_SECONDS,
            },
        )
        self.joining = False
        pending, self.pending = self.pending, []
        for message in pending:
            await self.offer(message)
        self.fall_behind(max(local.latest_seq, snapshot.last_seq))

    async def _leave(self) -> None:
        room, self.room = self.room, None
        self.joining = False
        if self.catch_up_task is not None:
            self.catch_up_task.cancel()
            self.catch_up_task = None
        await self.hub.leave_room(self, room.pk)
        await db(presence.presence_leave)(connection_id=self.connection_id)

    # --- frames from the hub ------------------------------------------------

    async def send_event(self, event: str, data: dict[str, Any]) -> None:
        await self.send_text(encode(event, data))

    async def send_text(self, text: str, frame: bytes | None = None) -> None:
        """Send one text frame; `frame` is the same text already framed (rooms/wire.py), if at hand."""
        if self.wire is not None:
            self.wire.send(frame or text_frame(text))
            return
        # The client may have left while a frame was on its way; disconnect() follows.
        with contextlib.suppress(Disconnected):
            await self.base_send({"type": "websocket.send", "text": text})

    async def offer(self, message: dict[str, Any], frame: bytes | None = None) -> None:
        """A room frame from the hub: send it unless it is stale, ours to skip, or out of order."""
        if self.joining:
            if len(self.pending) < PENDING_LIMIT:
                self.pending.append(message)
            return
        seq = message.get("seq")
        if seq is not None:
            if seq <= self.seen_seq:
                return  # already in the history we sent, or already delivered
            if seq != self.seen_seq + 1 or self.catch_up_task is not None:
                self.fall_behind(seq)  # a gap: read it back from the database, in order
                return
            self.seen_seq = self.target_seq = seq
        else:
            exclude = message.get("exclude")
            if exclude is not None and exclude == self.actor.guest_key:
                return
            version = message.get("version")
            if version is not None:
                stream = message["stream"]
                if version <= self.versions.get(stream, -1):
                    return  # older than the state this socket already has
                if stream != "notices":  # each notice stands alone: only those from before the join are stale
                    self.versions[stream] = version
        await self.send_text(message["text"], frame)

    def fall_behind(self, seq: int) -> None:
        """The room has messages up to `seq` this socket has not been sent: fetch them."""
        if self.room is None or self.joining or seq <= self.seen_seq:
            return
        self.target_seq = max(self.target_seq, seq)
        if self.catch_up_task is None:
            self.catch_up_task = asyncio.get_running_loop().create_task(self._catch_up(self.room))

    async def _catch_up(self, room: Room) -> None:
        try:
            while self.room is room and self.seen_seq < self.target_seq:
                target = self.target_seq
                batch = await db(selectors.messages_after)(
                    room=room, after_seq=self.seen_seq, upto_seq=target, limit=CATCH_UP_BATCH
                )
                if self.room is not room:
                    return
                for _, data in batch:
                    await self.send_event("receive_message", data)
                self.seen_seq = batch[-1][0] if len(batch) == CATCH_UP_BATCH else target
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("catch-up failed for %s; the next frame retries", self.actor.label, exc_info=True)
        finally:
            if self.catch_up_task is asyncio.current_task():
                self.catch_up_task = None

    def matches(self, *, room_id: int | None, guest_key: str | None, user_id: int | None) -> bool:
        if room_id is not None and (self.room is None or self.room.pk != room_id):
            return False
        if guest_key is None and user_id is None:
            return True
        return guest_key == self.actor.guest_key or (user_id is not None and user_id == self.actor.user_id)

    async def evict(self, text: str, *, close_code: int | None) -> None:
        """Removed by a moderator or a shutdown: tell the client, leave the room, maybe close."""
        if text:
            await self.send_text(text)
        if self.room is not None:
            await self._leave()
        if close_code is not None:
            await self.close(code=close_code)


class RefuseConsumer(AsyncWebsocketConsumer):
    """Any other WebSocket path: refuse the handshake (HTTP 403), no traceback."""

    channel_layer_alias = NO_CHANNEL_LAYER

    async def connect(self):
        await self.close()
