"""Where the server is and who we are to it: its URLs, TLS, and a session cookie over HTTP.

The socket's identity is the Django session cookie it carries (docs/protocol.md),
so the client gets one the way a browser does: a guest posts the lobby form
with a display name (that starts a guest session, which owns the messages it
sends, across reconnects), an account posts allauth's login form. Both forms
need the CSRF token from the page and an Origin/Referer of the site itself.
Plain urllib: two form posts do not warrant an HTTP library, and it runs in a
thread so the app stays responsive.
"""

import html
import http.cookiejar
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

SESSION_COOKIE = "sessionid"
WS_PATH = "/ws/chat/"
TIMEOUT = 15


class LoginFailed(Exception):
    """The server refused the login form; the message says why, for people."""


@dataclass(frozen=True)
class Server:
    """A chatsite site: `base` is its page origin, e.g. https://chat.example or http://127.0.0.1:8000."""

    base: str
    ssl_context: ssl.SSLContext | None = None

    @classmethod
    def from_url(cls, url: str, *, insecure: bool = False, cafile: str | None = None) -> "Server":
        """Accept http(s)://host[:port][/...] or ws(s)://… (a copied socket address); keep only the origin."""
        text = url.strip()
        if "://" not in text:
            text = "http://" + text
        parts = urllib.parse.urlsplit(text)
        scheme = {"ws": "http", "wss": "https"}.get(parts.scheme.lower(), parts.scheme.lower())
        if scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Not a chatsite address: {url!r} (try http://host:port or https://host).")
        context = None
        if scheme == "https":
            context = ssl.create_default_context(cafile=cafile)
            if insecure:  # a self-signed certificate on a test or home server, by explicit request
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        return cls(base=f"{scheme}://{parts.netloc}", ssl_context=context)

    @property
    def secure(self) -> bool:
        return self.base.startswith("https://")

    @property
    def ws_url(self) -> str:
        return ("wss" if self.secure else "ws") + self.base.removeprefix("https").removeprefix("http") + WS_PATH

    @property
    def origin(self) -> str:
        """What a page of this site sends as Origin; the server refuses any other (docs/protocol.md)."""
        return self.base

    def guest_session(self, username: str) -> str:
        """A guest session cookie (name=value) that keeps `username`, or LoginFailed with the form's reason.

        The lobby form needs a room to go to; the first topic room, general, is
        only where the browser would land: the socket joins whatever room the
        person picks.
        """
        browser = _Browser(self)
        status, page = browser.post_form("/", {"username": username, "enter": "general"})
        cookie = browser.session_cookie()
        if cookie is None:
            raise LoginFailed(_form_error(page) or f"The server refused that name (HTTP {status}).")
        return cookie

    def account_session(self, login: str, password: str) -> str:
        """The session cookie of an account after allauth's login form, or LoginFailed."""
        browser = _Browser(self)
        status, page = browser.post_form("/accounts/login/", {"login": login, "password": password})
        cookie = browser.session_cookie()
        if status in (301, 302, 303) and cookie:
            return cookie
        if status == 429:
            raise LoginFailed("Too many failed logins; wait a few minutes.")
        raise LoginFailed(_form_error(page) or f"The server refused the login (HTTP {status}).")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A form's 302 is its answer (and carries the cookie); where it leads is for browsers."""

    def redirect_request(self, *args, **kwargs):
        return None


class _Browser:
    """A cookie jar and the two requests of a form post: GET it for the CSRF token, POST it."""

    def __init__(self, server: Server):
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect]
        if server.ssl_context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=server.ssl_context))
        self.opener = urllib.request.build_opener(*handlers)

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx: an answer, not a fault
            return error.code, error.read().decode(errors="replace")
        except urllib.error.URLError as error:  # no answer at all: say where and why
            if isinstance(error.reason, ssl.SSLCertVerificationError):
                raise LoginFailed(
                    f"The certificate of {self.server.base} is not trusted ({error.reason.verify_message}): "
                    "start with --cafile FILE (its CA certificate) or --insecure."
                ) from None
            raise LoginFailed(f"Cannot reach {self.server.base}: {error.reason}") from None

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        url = self.server.base + path
        status, page = self._open(url)
        if status != 200:
            raise LoginFailed(f"{url} answered HTTP {status}.")
        token = next((cookie.value for cookie in self.jar if cookie.name == "csrftoken"), None)
        if token is None:
            match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            token = match.group(1) if match else ""
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        # Django's CSRF check wants the site's own Origin (and, over HTTPS, Referer).
        headers = {"Origin": self.server.origin, "Referer": url}
        return self._open(urllib.request.Request(url, data=body, headers=headers))

    def session_cookie(self) -> str | None:
        for cookie in self.jar:
            if cookie.name == SESSION_COOKIE:
                return f"{cookie.name}={cookie.value}"
        return None


def _form_error(page: str) -> str:
    """The first error a form page shows (chatsite's role="alert" lines, or Django's errorlist), as text."""
    match = re.search(r'role="alert"[^>]*>(.*?)</(?:p|div|span)>', page, re.S) or re.search(
        r'class="errorlist[^"]*"[^>]*>\s*<li>(.*?)</li>', page, re.S
    )
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else ""
