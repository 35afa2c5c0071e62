"""Daphne set up for chatsite: its WebSocket engine (autobahn) closes broken connections with a status code,
and its HTTP engine (Twisted) leaves request bodies to Django; an idle socket keeps less of daphne's
bookkeeping (its input queue, its opening handshake), and a new connection costs no debug text nobody logs."""

import asyncio
import logging
import pprint
import socket
import time
from collections import deque
from functools import partial

logger = logging.getLogger(__name__)


def close_cleanly_on_protocol_errors() -> None:
    """Make daphne answer broken frames with a Close frame and an RFC 6455 status code.

    Autobahn, daphne's WebSocket engine, by default *drops* the TCP connection
    (a reset, no Close frame) on invalid UTF-8, an oversized message or a
    protocol violation. RFC 6455 §7.1.7 says an endpoint SHOULD send a Close
    frame first, and clients deserve to learn why: 1007 (invalid payload), 1009
    (too big) or 1002 (protocol error). Daphne exposes no option for it, so we
    set autobahn's `failByDrop` off when daphne configures its factory; the
    closing handshake is still bounded by autobahn's closeHandshakeTimeout.
    Called from chatsite/asgi.py, which daphne imports before it builds the factory.
    """
    try:
        from daphne.ws_protocol import WebSocketFactory
    except ImportError:  # served by something other than daphne
        return
    if getattr(WebSocketFactory, "_chatsite_clean_close", False):
        return
    configure = WebSocketFactory.setProtocolOptions

    def setProtocolOptions(self, *args, **options):
        options.setdefault("failByDrop", False)
        return configure(self, *args, **options)

    WebSocketFactory.setProtocolOptions = setProtocolOptions
    WebSocketFactory._chatsite_clean_close = True


def leave_request_bodies_to_django() -> None:
    """Stop Twisted parsing every multipart POST body on the event loop; Django parses it (once) anyway.

    Twisted's `Request.requestReceived`, which daphne's WebRequest inherits, decodes a
    `multipart/form-data` body into `request.args` with the standard library's `email`
    parser, in pure Python, on the one thread that runs every socket, before daphne
    hands the raw body to Django. Daphne never reads `request.args`. For a 10 MB photo
    that is seconds of the event loop: profiled with py-spy while 20 photos uploaded
    beside workload ii (docs/performance.md), 55% of the samples holding the GIL were
    this parse, and the chat's p99 rose from seconds to ~30 s. Twisted's own switch for
    it is the `parsePOSTFormSubmission` argument of `Request` (Twisted >= 24.7);
    daphne passes its arguments through, so the default is turned off here.
    """
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # served by something other than daphne
        return
    if getattr(WebRequest, "_chatsite_unparsed_bodies", False):
        return
    create = WebRequest.__init__

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parsePOSTFormSubmission", False)
        create(self, *args, **kwargs)

    WebRequest.__init__ = __init__
    WebRequest._chatsite_unparsed_bodies = True


class Mailbox:
    """An application instance's input queue: what daphne's `asyncio.Queue` does for it, in a few bytes.

    Daphne makes one `asyncio.Queue` per connection and uses two of its methods,
    `put_nowait` (the protocol, for every frame and the disconnect) and `get` (the
    application's `receive`). Its four deques (items, getters, putters and the
    `join` event's waiters) cost 3 KiB per socket that an idle socket never uses
    (bench/idle_memory.py). Here the items live in a deque made only while one
    waits, and the one waiting `receive` is a future; as in asyncio.Queue the
    item stays queued until the receiver has run, so a `receive` cancelled at
    the moment it was woken loses nothing. Unbounded, as daphne's queue is.
    """

    __slots__ = ("_items", "_waiter")

    def __init__(self):
        self._items = None
        self._waiter = None

    def put_nowait(self, item) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self):
        while not self._items:
            if self._waiter is not None and not self._waiter.done():
                raise RuntimeError("Mailbox.get is already being awaited")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item

    def qsize(self) -> int:
        return len(self._items) if self._items else 0


def light_application_queues() -> None:
    """Give each of daphne's application instances a Mailbox (above) for its input queue.

    Daphne's `Server.create_application` makes the queue inline, so it is
    replaced here by the same steps with a Mailbox (daphne 4.2's code).
    """
    try:
        from daphne.server import Server
    except ImportError:  # served by something other than daphne
        return
    if getattr(Server, "_chatsite_mailboxes", False):
        return

    def create_application(self, protocol, scope):
        assert "application_instance" not in self.connections[protocol]
        input_queue = Mailbox()
        scope.setdefault("asgi", {"version": "3.0"})
        application_instance = self.application(
            scope=scope, receive=input_queue.get, send=partial(self.handle_reply, protocol)
        )
        if protocol not in self.connections:
            return None
        self.connections[protocol]["application_instance"] = asyncio.ensure_future(
            application_instance, loop=asyncio.get_event_loop()
        )
        return input_queue

    Server.create_application = create_application
    Server._chatsite_mailboxes = True


class _OpenedRequest:
    """What daphne reads of the opening handshake's request once a socket is open: its path, for the log."""

    __slots__ = ("path",)

    def __init__(self, path):
        self.path = path


def forget_opening_handshakes() -> None:
    """Let an open WebSocket drop its opening handshake: the HTTP request, its headers and raw bytes.

    Once a socket is open nothing reads them again, yet each stays for the
    socket's life (bench/idle_memory.py, about 3 KiB per idle socket):
    Twisted's HTTP channel, still the transport's producer (it pauses reading
    while the send buffer is full), keeps the upgrade request in its
    `requests` list with its headers and the bytes it read; autobahn keeps the
    parsed headers and both handshakes' raw text; daphne its cleaned header
    list and autobahn's request object, of which it reads the path to log.
    The application's scope keeps its own reference to the headers.
    """
    try:
        from daphne.http_protocol import WebRequest
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:  # served by something other than daphne
        return
    if getattr(WebSocketProtocol, "_chatsite_forgets_handshakes", False):
        return
    process = WebRequest.process

    def upgraded_process(self):
        result = process(self)
        channel = self.channel
        if self.transport is None and channel is not None and self in channel.requests:
            # daphne handed the connection to a WebSocket protocol (`transport, self.transport = ...`)
            channel.requests.remove(self)
            channel._buffer = b""
        return result

    opened = WebSocketProtocol.onOpen

    def onOpen(self):
        opened(self)
        self.request = _OpenedRequest(self.request.path)
        self.clean_headers = None
        self.http_headers = None
        self.http_request_data = None
        self.http_response_data = None
        self.http_status_line = None

    WebRequest.process = upgraded_process
    WebSocketProtocol.onOpen = onOpen
    WebSocketProtocol._chatsite_forgets_handshakes = True


class _Deferred:
    """pprint.pformat(value), worked out only if something turns it into text (a log line that is written)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return pprint.pformat(self.value)

    __repr__ = __str__


def defer_connection_dumps() -> None:
    """Stop autobahn pretty-printing its settings for every new TCP connection, for a debug line not written.

    Autobahn's `WebSocketProtocol._connectionMade` calls
    `self.log.debug("\\n{attrs}", attrs=pformat(configAttrLog))`: the argument, a
    pretty-printed table of some forty options, is built before the logger
    knows that debug lines are off. In a reconnect storm, where every attempt
    (let in or refused "try again") is a new connection, that was 5.6% of the
    process's samples (py-spy, bench/storm.py, docs/performance.md). The module's
    `pformat` becomes `_Deferred`, formatted when a written line asks for the
    text; its one caller that returns the text itself (`Timings.__str__`) keeps
    pprint's own.
    """
    try:
        from autobahn.websocket import protocol
    except ImportError:  # served by something other than daphne
        return
    if getattr(protocol, "_chatsite_deferred_dumps", False):
        return
    protocol.pformat = _Deferred
    protocol.Timings.__str__ = lambda self: pprint.pformat(self._timings)
    protocol._chatsite_deferred_dumps = True


def pace_upgrades() -> None:
    """Pace WebSocket upgrade requests to the database thread: let one in, hold it for its turn, or answer 503.

    In a reconnect storm most attempts met a process behind on its database
    (rooms/ws/admission.py): 21,000 of 26,000 in bench/storm.py's 5,000
    sockets. Refused inside the application, each one still cost all of a
    socket's opening: autobahn's protocol and its handshake, daphne's
    application instance and the ASGI stack, then daphne's 403. So the upgrade
    request is dealt with as soon as Twisted has parsed it, before any of that
    is built. Refused there (503 "Try again later", Retry-After 1), each page
    still backed off, up to 15 s, and the process sat partly idle while the
    pages waited out their backoff: the storm's tail (docs/performance.md,
    "Sixth round"). Now every upgrade is paced: let in at once while the
    database thread has room for its opening (`admission.room()`) and nobody
    is held, otherwise held (`_Waiting`), the oldest let in as the thread
    catches up, so the process works through a storm at its own pace and no
    page waits longer than its turn. Counting every upgrade, not only those
    met while the process is already behind, matters at a storm's start: an
    idle process took 4,584 handshakes in one go, before any of them had made
    a database call, and fell so far behind that daphne killed 4,947
    application instances. A request held WS_HANDSHAKE_WAIT_SECONDS,
    or one past WS_HANDSHAKE_WAIT_MAX held at once, is answered 503 as before;
    a client that gave up while held is dropped without any work. The
    application's own check stays for servers other than daphne and, with no
    wait (WS_HANDSHAKE_WAIT_SECONDS=0), for a process that falls behind in
    between.
    """
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # served by something other than daphne
        return
    if getattr(WebRequest, "_chatsite_paced", False):
        return
    from django.conf import settings

    from rooms.ws.admission import LET_IN_HEADER, admission

    process = WebRequest.process
    waiting = _Waiting(process)

    def pacing_process(self):
        upgrade = self.requestHeaders.getRawHeaders(b"upgrade") or [b""]
        if upgrade[0].lower() == b"websocket":
            self.requestHeaders.removeHeader(LET_IN_HEADER)  # only this process marks a handshake it let in
            if settings.WS_HANDSHAKE_WAIT_SECONDS <= 0:  # holding turned off: refused while behind, as before
                if admission.behind():
                    _refuse(self)
                    return None
                return process(self)
            # Every upgrade is counted against the database thread's room, not only those met while the process
            # is behind: a storm's first burst, thousands in one tick of an idle process, would otherwise all be
            # let in at once, before any of them has made a database call.
            if not waiting and admission.room() > 0:
                self.requestHeaders.setRawHeaders(LET_IN_HEADER, [admission.let_in()])
                return process(self)
            if len(waiting) < settings.WS_HANDSHAKE_WAIT_MAX:
                admission.note(held=True)
                waiting.hold(self)  # behind the ones held before it
            else:
                admission.note(held=False)
                _refuse(self)
            return None
        return process(self)

    WebRequest.process = pacing_process
    WebRequest._chatsite_paced = True


def _refuse(request) -> None:
    """Answer an upgrade request 503 "Try again later" (the page retries with its backoff)."""
    request.request_start = time.time()  # for daphne's access log of the answer, as process() sets it
    if hasattr(request.client, "host") and hasattr(request.client, "port"):
        request.client_addr = [str(request.client.host), request.client.port]
    request.handle_reply(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [(b"Content-Type", b"text/plain; charset=utf-8"), (b"Retry-After", b"1")],
        }
    )
    request.handle_reply({"type": "http.response.body", "body": b"Try again later.\n"})


def _gone(request) -> bool:
    """The client of a held request hung up: as Twisted marks the request when it reads the end of the
    connection, or, should it not have read it yet, as a peek at the socket shows (b"" once closed)."""
    if getattr(request, "_disconnected", False) or request.channel is None or request.transport is None:
        return True  # Twisted saw the connection end (and closed the request's content)
    if getattr(request.content, "closed", False):
        return True
    sock = getattr(request.transport, "socket", None)  # a TLS transport has none: assumed still there
    if sock is None:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class _Waiting:
    """Upgrade requests held until the database thread has room for their openings, oldest first.

    Checked every PUMP_SECONDS while any wait: the oldest are let in (daphne's
    own processing of the request) while the database thread has room for
    their openings (`admission.room()`: each opening has one call out at a
    time), those held too long are refused, those whose client left dropped.
    """

    PUMP_SECONDS = 0.01

    def __init__(self, process):
        self.process = process
        self.requests: deque = deque()
        self.timer = None

    def __len__(self) -> int:
        return len(self.requests)

    def hold(self, request) -> None:
        self.requests.append((time.monotonic(), request))
        if self.timer is None:
            from twisted.internet import reactor

            self.timer = reactor.callLater(self.PUMP_SECONDS, self.pump)

    def pump(self) -> None:
        from django.conf import settings
        from twisted.internet import reactor

        from rooms.ws.admission import LET_IN_HEADER, admission

        self.timer = None
        now, room = time.monotonic(), admission.room()
        while self.requests:
            since, request = self.requests[0]
            if _gone(request):
                self.requests.popleft()
                continue
            expired = now - since > settings.WS_HANDSHAKE_WAIT_SECONDS
            if not expired and room <= 0:
                break
            self.requests.popleft()
            try:
                if expired:
                    _refuse(request)
                else:
                    room -= 1
                    request.requestHeaders.setRawHeaders(LET_IN_HEADER, [admission.let_in()])
                    self.process(request)
            except Exception:  # one broken request must not keep the others waiting
                logger.warning("could not let a held WebSocket handshake in", exc_info=True)
        if self.requests:
            self.timer = reactor.callLater(self.PUMP_SECONDS, self.pump)
