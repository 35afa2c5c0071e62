"""Link previews, fetched: the SSRF guard, the pinned HTTP fetch, the page's card and its picture.

Everything here runs on a background thread (rooms/services/previews.py), never
on the chat's. What the server fetches for a link someone typed must not become
a way into the network it sits in, so:

- the host is resolved once, every address it resolves to must be globally
  routable (ipaddress: no loopback, private, link-local, multicast, reserved,
  unspecified, shared, IPv4-mapped/compatible or 6to4/Teredo IPv6), and the
  connection goes to that very address (the Host header and TLS's SNI carry
  the name; the certificate is checked against the name), so a second DNS
  answer cannot point it elsewhere;
- a redirect is checked the same way again, at most LINK_PREVIEW_MAX_REDIRECTS;
- only `text/html` pages (and, for the picture, the four picture types
  chatsite accepts for uploads, drawn again by Pillow through chatsite/pictures.py);
- at most LINK_PREVIEW_MAX_BYTES read, and LINK_PREVIEW_TIMEOUT seconds for the
  whole preview (page, redirects and picture, the name lookups included), an
  overall deadline, not per read;
- no cookies, no credentials (userinfo in a URL is refused), a plain User-Agent.

LINK_PREVIEW_ALLOWED_HOSTS (empty by default) names hosts exempt from the
address check: tests point it at their server on 127.0.0.1; nothing else may.

Why http.client over a socket chatsite opens itself, not urllib3 or httpx: both
take timeouts per socket operation (a server dripping one byte a second keeps
a read alive for ever), and pinning an address under a name takes their pool
internals; here the socket is ours, connected to the checked address, and its
timeout is set to what is left of the deadline before every read (a dozen lines).
"""

import http.client
import io
import ipaddress
import re
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image

from chatsite.pictures import open_picture

USER_AGENT = "chatsite-link-preview/1.0 (+link previews for a chat)"
PAGE_TYPES = {"text/html"}
PICTURE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}  # what rooms/media.py accepts as pictures
PICTURE_BOX = (400, 300)
REDIRECTS = {301, 302, 303, 307, 308}
CHUNK = 16 * 1024
# The first http(s) link in a message's text, cut as the page's linkify cuts it (static/js/richtext.js:
# URL_PATTERN, trimUrl), so the card is for the very link the reader sees.
LINK = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
TRAILING = re.compile(r"[.,;:!?'\"*_~]+$")
TITLE_CHARS, DESCRIPTION_CHARS, SITE_CHARS, URL_CHARS = 200, 300, 100, 2000


class Refused(Exception):
    """This URL may not be fetched, or what came back is not a preview; the reason is for the log only."""


def first_link(text: str) -> str | None:
    """The first http(s) URL in `text`, without the punctuation that ends a sentence; None if there is none."""
    for match in LINK.finditer(text or ""):
        url = TRAILING.sub("", match.group(0))
        while url.endswith(")") and url.count("(") < url.count(")"):  # a ")" stays only if the URL opened one
            url = TRAILING.sub("", url[:-1])
        try:
            if len(url) <= URL_CHARS and urlsplit(url).hostname:
                return url
        except ValueError:  # "http://[::1" and the like: not a link
            continue
    return None


# --- the guard ---------------------------------------------------------------


def address_allowed(address: str) -> bool:
    """May the fetcher connect to this IP address? Only globally routable unicast ones."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:a.b.c.d and ::a.b.c.d reach IPv4 addresses (loopback, private) through IPv6;
        # 6to4 (2002::/16) and Teredo (2001::/32) embed one too.
        if ip.ipv4_mapped is not None or ip.sixtofour is not None or ip.teredo is not None:
            return False
        if ip in ipaddress.IPv6Network("::/96"):
            return False
    blocked = ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
    blocked = blocked or ip.is_unspecified or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
    return ip.is_global and not blocked


@dataclass(frozen=True)
class Target:
    """A URL checked by the guard: where to connect (the one address resolved), and what name to speak to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str
    family: int
    path: str


# getaddrinfo takes no timeout: a resolver that does not answer holds it for as long as resolv.conf's
# timeouts and attempts add up to (tens of seconds). So the lookup runs on a thread of its own and the
# preview waits only what is left of its deadline; at most LOOKUPS lookups are outstanding at once,
# so a dead resolver holds a few threads, never one per link.
LOOKUPS = 4
_lookups = ThreadPoolExecutor(max_workers=LOOKUPS, thread_name_prefix="preview-dns")


def _lookup(host: str, port: int, deadline: "Deadline") -> list:
    answer = _lookups.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    try:
        return answer.result(timeout=deadline.left())
    except FutureTimeout:
        answer.cancel()
        raise Refused(f"out of time looking up {host}") from None


def resolve(url: str, deadline: "Deadline") -> Target:
    """Check `url` and resolve its host once; Refused if it is not an http(s) URL to an allowed address.

    A literal address needs no lookup (getaddrinfo only parses it); every address a name has must pass.
    The lookup gets what is left of `deadline`.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise Refused(f"not a URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused(f"scheme {scheme!r}")
    if parts.username is not None or parts.password is not None:
        raise Refused("credentials in the URL")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise Refused("no host")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")  # the name as DNS and the Host header carry it
        except UnicodeError:
            raise Refused("not a host name") from None
    port = port or (443 if scheme == "https" else 80)
    # On the wire as ASCII: what a person typed (é, a space) percent-encoded, escapes already there kept.
    path = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe="/?&=%:@!$'()*+,;~[]")
    try:
        answers = _lookup(host, port, deadline)
    except (OSError, UnicodeError) as error:
        raise Refused(f"cannot resolve {host}: {error}") from None
    if not answers:
        raise Refused(f"{host} has no address")
    exempt = host in {name.lower() for name in settings.LINK_PREVIEW_ALLOWED_HOSTS}
    if not exempt:
        for *_, sockaddr in answers:
            if not address_allowed(sockaddr[0]):
                raise Refused(f"{host} resolves to {sockaddr[0]}, which is not a public address")
    family, *_, sockaddr = answers[0]
    return Target(url=url, scheme=scheme, host=host, port=port, address=sockaddr[0], family=family, path=path)


# --- the fetch ---------------------------------------------------------------


class Deadline:
    """One preview's time budget: every connect and read gets what is left of it."""

    def __init__(self, seconds: float):
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise Refused("out of time")
        return left


@dataclass
class Fetched:
    url: str  # after redirects
    content_type: str
    charset: str | None
    body: bytes


def _connect(target: Target, deadline: Deadline) -> tuple[http.client.HTTPConnection, socket.socket]:
    sock = socket.socket(target.family, socket.SOCK_STREAM)
    try:
        sock.settimeout(deadline.left())
        sock.connect((target.address, target.port))  # the address checked, never a second lookup
        if target.scheme == "https":
            context = ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=target.host)  # SNI and the certificate: the name
    except BaseException:
        sock.close()
        raise
    connection = http.client.HTTPConnection(target.host, target.port)  # Host: the name (and port, if not 80)
    if target.scheme == "https":
        connection.default_port = 443
    connection.sock = sock  # http.client sends over a socket already set and never opens its own
    return connection, sock  # (http.client forgets its .sock once a response says the connection closes)


def _get(
    target: Target, deadline: Deadline, accept: str
) -> tuple[http.client.HTTPConnection, socket.socket, http.client.HTTPResponse]:
    connection, sock = _connect(target, deadline)
    try:
        connection.putrequest("GET", target.path, skip_accept_encoding=True)
        connection.putheader("User-Agent", USER_AGENT)
        connection.putheader("Accept", accept)
        connection.putheader("Accept-Encoding", "identity")
        connection.endheaders()
        sock.settimeout(deadline.left())
        return connection, sock, connection.getresponse()
    except BaseException:
        sock.close()
        raise


def fetch(url: str, *, types: set[str], accept: str, deadline: Deadline) -> Fetched:
    """GET `url` under the guard, following up to LINK_PREVIEW_MAX_REDIRECTS checked redirects; Refused otherwise.

    Only a 200 of one of `types` is read, at most LINK_PREVIEW_MAX_BYTES of it.
    """
    limit = settings.LINK_PREVIEW_MAX_BYTES
    for _ in range(settings.LINK_PREVIEW_MAX_REDIRECTS + 1):
        target = resolve(url, deadline)
        try:
            connection, sock, response = _get(target, deadline, accept)
        except TimeoutError:
            raise Refused("out of time") from None  # the socket's timeout is what was left of the deadline
        except (OSError, http.client.HTTPException) as error:
            raise Refused(f"{target.host}: {error}") from None
        try:
            if response.status in REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise Refused(f"a {response.status} without a Location")
                url = urljoin(url, location.strip())
                continue
            if response.status != 200:
                raise Refused(f"status {response.status}")
            content_type, _, params = (response.getheader("Content-Type") or "").partition(";")
            content_type = content_type.strip().lower()
            if content_type not in types:
                raise Refused(f"type {content_type!r}")
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise Refused(f"{length} bytes")
            body = bytearray()
            while len(body) <= limit:
                sock.settimeout(deadline.left())
                chunk = response.read1(CHUNK)
                if not chunk:
                    break
                body += chunk
            if len(body) > limit:
                raise Refused(f"more than {limit} bytes")
            charset = re.search(r"charset=\"?([\w.:-]+)", params, re.IGNORECASE)
            return Fetched(url=url, content_type=content_type, charset=charset and charset.group(1), body=bytes(body))
        except TimeoutError:
            raise Refused("out of time") from None  # the socket's timeout is what was left of the deadline
        except (OSError, http.client.HTTPException) as error:
            raise Refused(f"{target.host}: {error}") from None
        finally:
            connection.close()
            sock.close()
    raise Refused("too many redirects")


# --- what the page says ------------------------------------------------------


class _Head(HTMLParser):
    """<title> and the <meta> tags of a page: the stdlib parser is enough for these, and reads broken HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: list[str] = []
        self.in_title = False
        self.done = False

    def handle_starttag(self, tag, attrs):
        if tag == "meta":
            values = {name.lower(): value or "" for name, value in attrs}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values:
                self.meta.setdefault(key, values["content"])
        elif tag == "title":
            self.in_title = True
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data):
        if self.in_title and not self.done:
            self.title.append(data)


def _plain(text: str | None, limit: int) -> str:
    """One line of text: whitespace collapsed, control characters gone, at most `limit` characters."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text or "")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Card:
    url: str
    site: str
    title: str
    description: str
    image_url: str | None


def read_card(page: Fetched) -> Card:
    """The card a page describes (Open Graph first, then <title> and the description); Refused if it says nothing."""
    try:
        text = page.body.decode(page.charset or "utf-8", errors="replace")
    except LookupError:
        text = page.body.decode("utf-8", errors="replace")
    head = _Head()
    try:
        head.feed(text)
        head.close()
    except Exception as error:  # html.parser raises little, but a page is anyone's
        raise Refused(f"unreadable HTML: {error}") from None
    meta = head.meta
    title = _plain(meta.get("og:title") or meta.get("twitter:title") or "".join(head.title), TITLE_CHARS)
    description = _plain(
        meta.get("og:description") or meta.get("twitter:description") or meta.get("description"), DESCRIPTION_CHARS
    )
    site = _plain(meta.get("og:site_name") or urlsplit(page.url).hostname, SITE_CHARS)
    if not title and not description:
        raise Refused("the page has no title or description")
    image = (meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image") or "").strip()
    image_url = urljoin(page.url, image) if image else None
    if image_url and urlsplit(image_url).scheme.lower() not in ("http", "https"):
        image_url = None
    return Card(url=page.url, site=site, title=title, description=description, image_url=image_url)


@dataclass
class Picture:
    data: bytes  # WebP, drawn again by Pillow
    width: int
    height: int


def draw_picture(data: bytes) -> Picture:
    """A preview's picture drawn again (pixels only, through chatsite/pictures.py), fit in PICTURE_BOX, as WebP."""
    try:
        with open_picture(io.BytesIO(data), max_pixels=settings.UPLOAD_MAX_PIXELS) as picture:
            small = picture.convert("RGBA") if picture.mode in ("P", "LA", "PA") else picture
            small.thumbnail(PICTURE_BOX, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            small.save(out, format="WEBP", quality=80, method=4)
    except ValidationError as error:
        raise Refused(error.messages[0]) from None
    return Picture(data=out.getvalue(), width=small.width, height=small.height)


@dataclass
class Preview:
    card: Card
    picture: Picture | None


def build(url: str) -> Preview:
    """Fetch `url` and its picture under the guard, within one LINK_PREVIEW_TIMEOUT; Refused if there is no card."""
    deadline = Deadline(settings.LINK_PREVIEW_TIMEOUT)
    page = fetch(url, types=PAGE_TYPES, accept="text/html", deadline=deadline)
    card = read_card(page)
    picture = None
    if card.image_url:
        try:
            image = fetch(
                card.image_url, types=PICTURE_TYPES, accept=", ".join(sorted(PICTURE_TYPES)), deadline=deadline
            )
            picture = draw_picture(image.body)
        except (Refused, ValueError):
            picture = None  # a card without its picture is still a card
    return Preview(card=card, picture=picture)
