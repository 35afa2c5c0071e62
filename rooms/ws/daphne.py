"""Daphne's WebSocket engine (autobahn), set up to close broken connections with a status code."""


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
