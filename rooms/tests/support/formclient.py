"""A browser's HTTP side without a browser: the lobby's form starts a session, uploads go with its CSRF token;
and the bytes of a streamed file response, as a test client gets them."""

import http.cookiejar
import json
import secrets
import urllib.parse
import urllib.request

from asgiref.sync import async_to_sync


class Browser:
    """Cookies and CSRF as a browser keeps them (one jar: cookies are the host's, whatever the port)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name):
        return next(c.value for c in self.jar if c.name == name)

    def enter(self, base_url, username):
        """The lobby, then its form with a name: the session starts."""
        self.opener.open(base_url + "/", timeout=15).close()
        form = {"csrfmiddlewaretoken": self.cookie("csrftoken"), "username": username, "enter": "general"}
        self.opener.open(base_url + "/", urllib.parse.urlencode(form).encode(), timeout=15).close()
        return f"sessionid={self.cookie('sessionid')}"

    def upload(self, base_url, room, name, content):
        boundary = secrets.token_hex(16)
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            f"{base_url}/r/{room}/attachments/",
            data=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "X-CSRFToken": self.cookie("csrftoken"),
                "Origin": base_url,
                "Referer": base_url + "/",
            },
        )
        with self.opener.open(request, timeout=15) as response:
            assert response.status == 201
            return json.loads(response.read())["attachment"]

    def get(self, url):
        with self.opener.open(url, timeout=15) as response:
            return response.status, response.headers, response.read()


def body(response) -> bytes:
    """A streamed file's bytes (the view reads them off the chat's thread, so its content is asynchronous)."""

    async def read():
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(read)() if response.is_async else b"".join(response.streaming_content)
