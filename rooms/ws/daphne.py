"""Daphne set up for chatsite: its WebSocket engine (autobahn) closes broken connections with a status code,
and its HTTP engine (Twisted) leaves request bodies to Django."""


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
