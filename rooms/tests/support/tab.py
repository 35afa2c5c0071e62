"""A chat tab over a real WebSocket (client.py's WSClient) that reconnects and resumes the
way the page does, and the session cookie a browser gets when it first gives the lobby a name."""

import asyncio
import contextlib
import http.cookiejar
import ssl
import urllib.error
import urllib.parse
import urllib.request

import websockets

from rooms.tests.support.client import WSClient


def session_set_cookie(base_url: str, *, context: ssl.SSLContext | None = None) -> str:
    """A browser's first visit that keeps something: the lobby, then its form with a name.

    A look at the lobby alone sets no session cookie (rooms/identity.py); the
    form's POST does. Returns the session's whole Set-Cookie header.
    """
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), urllib.request.HTTPSHandler(context=context), _NoRedirect
    )
    with opener.open(base_url + "/", timeout=15):
        pass
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "guest", "enter": "general"}).encode()
    request = urllib.request.Request(base_url + "/", data=form, headers={"Origin": base_url, "Referer": base_url + "/"})
    try:
        opener.open(request, timeout=15).close()
    except urllib.error.HTTPError as error:  # the 302 into the room, not followed
        headers = error.headers
    else:
        raise AssertionError(f"{base_url}/ did not redirect the lobby form")
    for header in headers.get_all("Set-Cookie") or []:
        if header.startswith("sessionid="):
            return header
    raise AssertionError(f"{base_url}/ set no session cookie for a kept name")


def session_cookie(base_url: str, *, context: ssl.SSLContext | None = None) -> str:
    """The session cookie (name=value) of a browser that gave the lobby a name."""
    return session_set_cookie(base_url, context=context).split(";", 1)[0]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class ChatUser:
    """One chat tab, reconnecting and resuming the way the page does (static/js/room/, outbox.js).

    It keeps the newest message id it has shown and the messages it sent
    without an `ack` yet. When the socket drops it reconnects (to the next URL
    in `urls`, as a load balancer would send it elsewhere), joins again with
    `since_id`, and resends every unacknowledged message with its `client_id`.
    An `unavailable` answer (the server cannot reach its database) is not a
    refusal: like the page's outbox, it keeps the message, holds new ones for
    `retry_after` seconds, then sends everything unacknowledged again in
    order; a join answered so is sent again after `retry_after` too.
    Everything it is sent is recorded as is, duplicates included, so a test
    can check it against the database.
    """

    def __init__(self, name: str, room: str, urls: list[str], *, cookie: str, reconnect: bool = True):
        self.name = name
        self.room = room
        self.urls = urls
        self.cookie = cookie
        self.reconnect = reconnect
        self.received: list[dict] = []  # receive_message data (and join history), in arrival order
        self.notices: list[dict] = []  # system_message data
        self.members: list[str] = []
        self.errors: list[dict] = []
        self.unavailable: list[dict] = []  # `unavailable` answers (the send or join went again after retry_after)
        self.unacked: dict[str, str] = {}  # client_id -> text, in sending order
        self.acked: dict[str, int] = {}
        self.sent: list[str] = []  # every client_id this user ever generated
        self.texts: dict[str, str] = {}  # client_id -> text, for every message sent
        self.connections = 0  # successful joins
        self.resumed = False  # whether the last join resumed from since_id
        self.ready = asyncio.Event()
        self.ws: WSClient | None = None
        self._task: asyncio.Task | None = None
        self._url_index = 0
        self._stopped = False
        self._paused: asyncio.Task | None = None  # after `unavailable`: sends wait, then all go again

    @property
    def last_id(self) -> int | None:
        return max((m["id"] for m in self.received), default=None)

    async def start(self, *, within: float = 10) -> "ChatUser":
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"user-{self.name}")
        await asyncio.wait_for(self.ready.wait(), within)
        return self

    async def say(self, text: str) -> str:
        client_id = f"{self.name}-{len(self.sent) + 1}"
        self.sent.append(client_id)
        self.texts[client_id] = text
        self.unacked[client_id] = text
        if self.ready.is_set() and self._paused is None:
            with contextlib.suppress(websockets.ConnectionClosed):
                await self.ws.send("send_message", {"text": text, "client_id": client_id})
        return client_id  # if the socket is down, the reconnect resends it; if paused, the resume does

    async def go_offline(self) -> None:
        """Close the tab's socket and stay away until `come_back`."""
        self.reconnect = False
        self.ready.clear()
        await self.ws.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, 10)

    async def come_back(self, urls: list[str] | None = None, *, within: float = 10) -> None:
        self.urls = urls or self.urls
        self.reconnect = True
        await self.start(within=within)

    async def stop(self) -> None:
        self._stopped = True
        self.reconnect = False
        if self.ws is not None:
            await self.ws.close()
        if self._paused is not None:
            self._paused.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _run(self) -> None:
        delay = 0.1
        while not self._stopped:
            try:
                await self._connect()
            except (OSError, TimeoutError, websockets.InvalidHandshake, websockets.ConnectionClosed):
                if not self.reconnect:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            delay = 0.1
            try:
                while True:
                    self._handle(*await self.ws.receive(wait=3600))
            except websockets.ConnectionClosed:
                self.ready.clear()
            if not self.reconnect:
                return

    async def _connect(self) -> None:
        url = self.urls[self._url_index % len(self.urls)]
        self._url_index += 1
        self.ws = WSClient(url, cookie=self.cookie, name=self.name)
        await self.ws.open()
        extra = {} if self.last_id is None else {"since_id": self.last_id}
        await self.ws.send("join_room", {"room_name": self.room, "username": self.name, **extra})
        while True:
            name, data = await self.ws.receive(wait=10)
            if name == "join_confirm":
                break
            if name == "error" and data.get("code") == "unavailable" and data.get("event") == "join_room":
                self.unavailable.append(data)  # as the page does: ask again after retry_after
                await asyncio.sleep(data["retry_after"])
                await self.ws.send("join_room", {"room_name": self.room, "username": self.name, **extra})
                continue
            self._handle(name, data)
        self.members = data["members"]
        self.resumed = data["resumed"]
        self.received.extend(data["history"])
        self.connections += 1
        resent: set[str] = set()
        while pending := [item for item in self.unacked.items() if item[0] not in resent]:
            for client_id, text in pending:  # `say` may add more while these are sent
                await self.ws.send("send_message", {"text": text, "client_id": client_id})
                resent.add(client_id)
        self.ready.set()

    def _handle(self, name: str, data: dict) -> None:
        if name == "receive_message":
            self.received.append(data)
        elif name == "ack":
            self.unacked.pop(data["client_id"], None)
            self.acked[data["client_id"]] = data["id"]
        elif name == "system_message":
            self.notices.append(data)
        elif name == "member_list":
            self.members = data["members"]
        elif name == "error" and data.get("code") == "unavailable":
            self.unavailable.append(data)
            if data.get("client_id") in self.unacked:
                self._pause(data["retry_after"])
        elif name == "error":
            self.errors.append(data)

    def _pause(self, seconds: float) -> None:
        """The page's outbox (static/js/room/sending.js `pause`): hold every send, then resend all, in order."""
        if self._paused is None:
            self._paused = asyncio.get_running_loop().create_task(self._resume_after(seconds))

    async def _resume_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._paused = None
        if not self.ready.is_set():
            return  # the next join resends them
        with contextlib.suppress(websockets.ConnectionClosed):
            for client_id, text in list(self.unacked.items()):
                await self.ws.send("send_message", {"text": text, "client_id": client_id})
