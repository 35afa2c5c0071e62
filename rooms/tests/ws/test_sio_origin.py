"""The Origin check of /socket.io/ (docs/security.md, section 1): the rule, and the real ASGI application."""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator

from chatsite.asgi import application
from rooms.ws.origin import sio_origin_allowed

OWN = b"http://localhost"
EVIL = b"http://evil.example"
COOKIE = b"sessionid=abc"


def scope(kind: str, method: str | None = None, **headers: bytes) -> dict:
    found = {"type": kind, "headers": [(b"host", b"localhost")]}
    found["headers"] += [(name.replace("_", "-").encode(), value) for name, value in headers.items()]
    if method:
        found["method"] = method
    return found


@pytest.mark.parametrize(
    ("request_scope", "allowed"),
    [
        pytest.param(scope("websocket"), True, id="ws-no-origin-no-cookie"),
        pytest.param(scope("websocket", cookie=COOKIE), False, id="ws-cookie-no-origin"),
        pytest.param(scope("websocket", origin=EVIL), False, id="ws-foreign-origin"),
        pytest.param(scope("websocket", origin=OWN, cookie=COOKIE), True, id="ws-own-origin"),
        pytest.param(scope("http", "GET", cookie=COOKIE), True, id="get-cookie-unmarked"),
        pytest.param(scope("http", "GET", cookie=COOKIE, sec_fetch_site=b"same-origin"), True, id="get-same-origin"),
        pytest.param(scope("http", "GET", cookie=COOKIE, sec_fetch_site=b"cross-site"), False, id="get-cross-site"),
        pytest.param(scope("http", "GET", cookie=COOKIE, sec_fetch_site=b"same-site"), False, id="get-same-site"),
        pytest.param(scope("http", "GET", origin=EVIL), False, id="get-foreign-origin"),
        pytest.param(scope("http", "POST", cookie=COOKIE), False, id="post-cookie-no-origin"),
        pytest.param(scope("http", "POST"), True, id="post-no-cookie-no-origin"),
        pytest.param(scope("http", "POST", origin=OWN, cookie=COOKIE), True, id="post-own-origin"),
        pytest.param(scope("http", "POST", origin=EVIL), False, id="post-foreign-origin"),
        pytest.param(scope("http", "POST", origin=b"null", cookie=COOKIE), False, id="post-null-origin"),
    ],
)
def test_the_origin_rule(request_scope, allowed):
    assert sio_origin_allowed(request_scope) is allowed


@pytest.mark.django_db(transaction=True)
async def test_the_websocket_transport_refuses_a_foreign_origin_and_opens_a_session_otherwise():
    refused = WebsocketCommunicator(
        application, "/socket.io/?EIO=4&transport=websocket", headers=[(b"host", b"localhost"), (b"origin", EVIL)]
    )
    assert (await refused.connect(timeout=5))[0] is False

    client = WebsocketCommunicator(
        application, "/socket.io/?EIO=4&transport=websocket", headers=[(b"host", b"localhost")]
    )
    assert (await client.connect(timeout=5))[0] is True
    opened = await client.receive_from(timeout=5)
    assert opened.startswith("0")
    assert set(json.loads(opened[1:])) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
    await client.disconnect()
    await asyncio.sleep(0.1)  # the session's cleanup runs in a task of its own
