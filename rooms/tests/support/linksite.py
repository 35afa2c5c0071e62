"""A small web site on 127.0.0.1 for the link preview tests: a page with Open Graph tags and a picture,
redirects, a page too large, a slow one, a type that is not HTML. stdlib http.server on a thread."""

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from rooms.tests.support import images

PAGE = """<!doctype html><html><head>
<title>Plain title</title>
<meta property="og:site_name" content="The Test Site">
<meta property="og:title" content="A  page
 about &lt;b&gt;tests&lt;/b&gt;">
<meta property="og:description" content="What the page says about itself.">
<meta property="og:image" content="/picture.png">
</head><body><p>Hello</p></body></html>"""
TITLE_ONLY = "<html><head><title> Only a title </title></head><body></body></html>"
SLOW_SECONDS = 30  # the slow page drips for at most this long, then stops by itself
PICTURE = images.halves(800, 400)


class _Handler(BaseHTTPRequestHandler):
    server: "LinkSite._Server"

    def log_message(self, format, *args):  # quiet: the test's output is the test's
        pass

    def _send(self, status: int, content_type: str, body: bytes, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = urlsplit(self.path)
        self.server.hits[parts.path] += 1
        self.server.requests.append((parts.path, dict(self.headers)))
        query = parse_qs(parts.query)
        if parts.path in ("/page", "/page2"):
            self._send(200, "text/html; charset=utf-8", PAGE.encode())
        elif parts.path == "/gated":  # the page, once the test opens the gate (at most SLOW_SECONDS)
            self.server.gate.wait(SLOW_SECONDS)
            self._send(200, "text/html; charset=utf-8", PAGE.encode())
        elif parts.path == "/title":
            self._send(200, "text/html", TITLE_ONLY.encode())
        elif parts.path == "/picture.png":
            self._send(200, "image/png", PICTURE)
        elif parts.path == "/svg-picture":
            html = PAGE.replace("/picture.png", "/picture.svg")
            self._send(200, "text/html", html.encode())
        elif parts.path == "/picture.svg":
            self._send(200, "image/svg+xml", images.SVG)
        elif parts.path == "/to":  # a redirect to ?url=
            self._send(302, "text/html", b"", Location=query["url"][0])
        elif parts.path == "/hops":  # ?n= redirects before the page
            left = int(query["n"][0])
            self._send(302, "text/html", b"", Location=f"/hops?n={left - 1}" if left else "/page")
        elif parts.path == "/huge":  # no Content-Length: the reader must stop by itself
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(b"<html><head><title>huge</title></head><body>")
                for _ in range(300):  # 3 MB
                    self.wfile.write(b"x" * 10_000)
        elif parts.path == "/slow":  # a byte at a time, each well within any per-read timeout
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            ends = time.monotonic() + SLOW_SECONDS
            with contextlib.suppress(OSError):
                self.wfile.write(b"<html><head><title>slow</title>")
                self.wfile.flush()
                while time.monotonic() < ends:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
        elif parts.path == "/json":
            self._send(200, "application/json", b'{"title": "not a page"}')
        else:
            self._send(404, "text/html", b"<title>nothing here</title>")


class LinkSite:
    class _Server(ThreadingHTTPServer):
        daemon_threads = True
        hits: Counter
        requests: list
        gate: threading.Event

    def __init__(self):
        self.server = self._Server(("127.0.0.1", 0), _Handler)
        self.server.hits = Counter()
        self.server.requests = []
        self.server.gate = threading.Event()  # /gated answers once it is set
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="link-site", daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def open_gate(self) -> None:
        self.server.gate.set()

    @property
    def hits(self) -> Counter:
        return self.server.hits

    @property
    def requests(self) -> list:
        return self.server.requests


@contextlib.contextmanager
def link_site() -> Iterator[LinkSite]:
    site = LinkSite()
    site.thread.start()
    try:
        yield site
    finally:
        site.open_gate()  # nothing left waiting on it
        site.server.shutdown()
        site.server.server_close()
