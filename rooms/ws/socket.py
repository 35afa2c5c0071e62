"""HubSocket: the plumbing every chatsite WebSocket shares: frames out, frames from the hub.

The process hub (rooms/realtime/hub.py) hands each socket its room's frames
through `offer` and asks `matches` when it evicts; the socket's SocketStream
(rooms/realtime/ordering.py) decides what of it is sent. Frames go straight
to daphne's transport when it serves the socket (rooms/realtime/wire.py).
"""

import contextlib
import dataclasses
import logging
from typing import Any

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from rooms.errors import Close
from rooms.identity import Actor
from rooms.payloads import author_token, avatar_url, encode
from rooms.realtime.bus import IdentifyMessage, RoomMessage
from rooms.realtime.ordering import SocketStream
from rooms.realtime.wire import Wire, text_frame

# Sockets get no channel of their own: the process hub holds the one
# subscription and hands each socket its frames (rooms/realtime/hub.py).
NO_CHANNEL_LAYER = "chatsite.hub-delivers"

logger = logging.getLogger(__name__)


class HubSocket(AsyncWebsocketConsumer):
    channel_layer_alias = NO_CHANNEL_LAYER

    wire: Wire | None = None
    overflowed = False
    room: Any = None  # the room this socket is in (or joining)
    stream: SocketStream  # set by the subclass's connect()
    actor: Actor
    username: str | None = None
    session_key: str | None = None  # the Django session it was opened with, if any
    counted_as: str | None = None  # the person this socket counts for in the hub's cap
    follows: str | None = None  # the person group it hears through the hub (its person's own stream)

    async def __call__(self, scope, receive, send):
        """The ASGI application of one socket: each event from daphne, handled in turn, until StopConsumer.

        Channels' AsyncConsumer.__call__ does the same through
        await_many_dispatch, which runs every `receive()` as a task of its own
        and waits on it with asyncio.wait, so that it can also read a channel
        layer. These sockets have no channel (the hub delivers,
        NO_CHANNEL_LAYER): awaiting `receive()` in place handles the same
        events in the same order and spares each idle socket a task, its
        coroutine and the waiter asyncio.wait leaves on it (bench/idle_memory.py shows what an idle socket holds).
        """
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

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

    async def send_event(self, event: str, data: dict[str, Any]) -> None:
        await self.send_text(encode(event, data))

    async def send_text(self, text: str, frame: bytes | None = None) -> None:
        """Send one text frame; `frame` is the same text already framed (rooms/realtime/wire.py), if at hand."""
        if self.wire is not None:
            if self.overflowed:
                return  # being closed: it will resume from the database when it reconnects
            # The backlog is measured only when a frame had to wait: not on every frame of a reader keeping up.
            if self.wire.send(frame or text_frame(text)) and self.wire.backlog() > settings.WS_SEND_BACKLOG_MAX_BYTES:
                await self._overflow()
            return
        # The client may have left while a frame was on its way; disconnect() follows.
        with contextlib.suppress(Disconnected):
            await self.base_send({"type": "websocket.send", "text": text})

    async def _overflow(self) -> None:
        """The client stopped reading and its backlog passed the cap: close it rather than buffer without bound.

        Without this a socket that never reads holds every frame of its room in
        server memory until daphne's ping timeout, about a minute later. The
        close frame queues behind the backlog, so the connection is also
        dropped after a second (`Wire.cut_off`); the page reconnects and
        resumes with `since_id` (Close.BACKLOG is not a "stay away" code).
        """
        self.overflowed = True
        logger.warning("closing a socket that stopped reading: %d bytes waiting", self.wire.backlog())
        await self.close(code=Close.BACKLOG)
        self.wire.cut_off()

    async def offer(self, message: RoomMessage, frame: bytes | None = None) -> None:
        """Called by the hub with each frame for this socket's room."""
        await self.stream.offer(message, frame)

    def fall_behind(self, seq: int) -> None:
        """Called by housekeeping: the room has messages up to `seq` this socket may have missed."""
        self.stream.fall_behind(seq)

    async def renamed(self, username: str, text: str) -> None:
        """Called by the hub when another tab of this person took a new name in this room: use it too."""
        self.username = username
        await self.send_text(text)

    @property
    def person(self) -> str:
        """Whose socket this is, for the cap on sockets per person: the person key (rooms/identity.py).

        Fixed the first time it is asked (at connect): a guest's socket that
        becomes an account later (`identify`) is uncounted where it was counted.
        """
        if self.counted_as is None:
            self.counted_as = self.actor.guest_key
        return self.counted_as

    async def close_with_reason(self, code: int, reason: str) -> None:
        """Close with a code and a short reason (RFC 6455 allows 123 bytes) that reaches the client."""
        if self.wire is not None:
            self.wire.close(code, reason)
        else:
            await self.close(code=code, reason=reason)

    async def identify(self, message: IdentifyMessage) -> None:
        """Called by the hub when this socket's guest signed up or logged in (another tab): act as the account.

        The services already moved the guest's messages, rooms and presence to
        the account (rooms/services/people.py), so nothing is left or rejoined.
        """
        person = message["person"]
        self.actor = dataclasses.replace(
            self.actor,
            guest_key=person,
            user_id=message["user"],
            is_staff=message["staff"],
            user_name=message["name"],
            avatar=message.get("avatar", ""),
        )
        self.stream.guest_key = person
        self.session_key = message.get("session") or self.session_key
        if self.room is not None and str(self.room.pk) in message["names"]:
            self.username = message["names"][str(self.room.pk)]
        identity = {
            "author": author_token(person),
            "account": True,
            "username": self.username,
            "avatar": avatar_url(self.actor.avatar),
        }
        await self.send_event("identity", identity)

    def matches(
        self, *, room_id: int | None, guest_key: str | None, user_id: int | None, session_key: str | None = None
    ) -> bool:
        """Called by the hub for an eviction: is this socket one of those it removes?"""
        if room_id is not None and (self.room is None or self.room.pk != room_id):
            return False
        if session_key is not None:
            return session_key == self.session_key
        if guest_key is None and user_id is None:
            return True
        return guest_key == self.actor.guest_key or (user_id is not None and user_id == self.actor.user_id)


class RefuseConsumer(HubSocket):
    """Any other WebSocket path: refuse the handshake (HTTP 403), no traceback."""

    async def connect(self):
        await self.close()
