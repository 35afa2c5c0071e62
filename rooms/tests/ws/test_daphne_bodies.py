"""rooms/ws/daphne.py: daphne's HTTP requests leave a multipart body to Django, unparsed by Twisted.

Twisted's parse ran on the event loop that carries every socket and held up the chat for seconds per
uploaded photo (docs/performance.md); Django still gets the body whole and parses it itself.
"""

from types import SimpleNamespace

from daphne.http_protocol import WebRequest
from twisted.web.test.requesthelper import DummyChannel

import chatsite.asgi  # noqa: F401  (applies chatsite's daphne settings, as daphne's import of it does)

BOUNDARY = "chatsiteboundary"
BODY = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
    "Content-Type: application/pdf\r\n\r\n%PDF-1.4 not parsed here\r\n"
    f"--{BOUNDARY}--\r\n"
).encode()


def received(request_class=WebRequest) -> WebRequest:
    """One multipart POST as daphne's HTTP channel hands it over once the body is in; process() noted, not run."""
    channel = DummyChannel()
    channel.factory = SimpleNamespace(server=SimpleNamespace(protocol_connected=lambda request: None))
    request = request_class(channel)
    request.requestHeaders.setRawHeaders(b"Content-Type", [f"multipart/form-data; boundary={BOUNDARY}".encode()])
    request.gotLength(len(BODY))
    request.content.write(BODY)
    request.processed = False

    def process():
        request.processed = True

    request.process = process
    request.requestReceived(b"POST", b"/r/general/attachments/", b"HTTP/1.1")
    return request


def test_a_multipart_body_reaches_the_application_whole_and_unparsed():
    request = received()
    assert request.processed
    assert request.args == {}  # Twisted's parse into args did not run
    assert request.content.read() == BODY  # and the body is there for daphne to pass to Django as it came


def test_twisted_alone_would_have_parsed_it_on_the_event_loop():
    """The other side of the switch: the same request through Twisted's own default parses the body into args."""

    class Parsing(WebRequest):
        def __init__(self, channel):
            super().__init__(channel, parsePOSTFormSubmission=True)

    request = received(Parsing)
    assert request.processed and request.args[b"file"] == [b"%PDF-1.4 not parsed here"]
