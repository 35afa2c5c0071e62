"""The WebSocket handshake's Origin check: same origin (scheme, host and port), or explicitly trusted.

Channels' AllowedHostsOriginValidator compares only the Origin's *host* with
ALLOWED_HOSTS, so `ftp://localhost`, `http://localhost:6666` or
`https://127.0.0.1:1` would all pass for a site served at
`http://127.0.0.1:8000`. Browsers always send the page's full origin, so we can
be exact, the way Django's CSRF check is for forms:

- the request's Host header must be one of ALLOWED_HOSTS (no DNS rebinding);
- the Origin must equal `<scheme>://<Host>`, where the scheme is `https` when
  the connection is secure (wss, or SECURE_PROXY_SSL_HEADER as set by the
  proxy) and `http` otherwise, default ports normalised;
- or the Origin is listed in CSRF_TRUSTED_ORIGINS (exact match), for a proxy
  that rewrites the Host.

Anything else, including `null`, a missing or unparseable Origin and repeated
Origin headers, is refused with HTTP 403 before any chatsite code runs.
A handshake without a Host header (HTTP/1.0; only test harnesses send one)
is held to an allowed host on its scheme's default port.
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _allowed_hosts() -> list[str]:
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]  # Django's own DEBUG default
    return hosts


def normalise_origin(value: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) origin, or None for anything else."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def _header(scope, name: bytes) -> list[str]:
    return [value.decode("latin1") for key, value in scope.get("headers", []) if key.lower() == name]


def _is_secure(scope) -> bool:
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, expected = proxy_header
        wanted = name.lower().removeprefix("http_").replace("_", "-").encode("latin1")
        values = _header(scope, wanted)
        return bool(values) and values[0].split(",")[0].strip() == expected
    return False


def expected_origins(scope) -> set[tuple[str, str, int]]:
    """The origins a browser page on this site would send for this handshake."""
    hosts = _allowed_hosts()
    scheme = "https" if _is_secure(scope) else "http"
    host_headers = _header(scope, b"host")
    if len(host_headers) > 1:
        return set()
    if host_headers:
        host, port = split_domain_port(host_headers[0].lower())
        if not host or not validate_host(host, hosts):
            return set()
        return {(scheme, host.strip("[]"), int(port) if port else DEFAULT_PORTS[scheme])}
    # No Host header: only an allowed host, named literally, on the default port.
    return {(scheme, host.strip("[]"), DEFAULT_PORTS[scheme]) for host in hosts if not host.startswith((".", "*"))}


def origin_allowed(scope) -> bool:
    origins = _header(scope, b"origin")
    if len(origins) != 1:
        return False
    origin = normalise_origin(origins[0])
    if origin is None:
        return False
    if origin in expected_origins(scope):
        return True
    trusted = {normalise_origin(item) for item in settings.CSRF_TRUSTED_ORIGINS}
    return origin in trusted


def sio_origin_allowed(scope) -> bool:
    """The check of /socket.io/, for its polling requests and WebSocket handshakes alike.

    An Origin, when sent, must be this site's, as above. Without one, a request
    passes when it carries no cookie (no browser page sent it, since browsers
    send Origin with every POST and WebSocket handshake, and it has nobody's
    session to act with: a Socket.IO client outside a browser connects as it
    is), or when it is a GET the browser itself marks same-origin or does not
    mark (browsers leave Origin out of same-origin GETs; a cross-site page that
    makes one cannot read the answer, so never learns the session's sid that a
    POST needs). A cross-site POST, the CSRF of polling, never passes.
    """
    if _header(scope, b"origin"):
        return origin_allowed(scope)
    if not _header(scope, b"cookie"):
        return True
    return scope.get("method") == "GET" and _header(scope, b"sec-fetch-site") in ([], ["same-origin"])


class SameOriginValidator:
    """ASGI middleware: refuse a WebSocket handshake whose Origin is not this site's (`allowed` says).

    It hands the connection on (returns the next application's coroutine) rather
    than awaiting it, so it is not a frame on every open socket's stack
    (rooms/ws/routing.py says why).
    """

    _asgi_single_callable = True  # a plain __call__ that returns the awaitable (asgiref's hint)

    def __init__(self, application, allowed=origin_allowed):
        self.application = application
        self.allowed = allowed

    def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not self.allowed(scope):
            return WebsocketDenier()(scope, receive, send)
        return self.application(scope, receive, send)
