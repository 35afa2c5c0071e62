"""Cross-site WebSocket hijacking and DNS rebinding (docs/security.md): the handshake's
Origin and Host, through the real ASGI application and against real daphne."""

import asyncio
import json

import pytest
import websockets
from channels.testing import WebsocketCommunicator

from chatsite.asgi import application
from rooms.realtime import hub
from rooms.ws.consumer import ChatConsumer

pytestmark = pytest.mark.django_db(transaction=True)


# --- 1. Origin ----------------------------------------------------------------------------


async def handshake(headers: list[tuple[bytes, bytes]]) -> tuple[bool, WebsocketCommunicator]:
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    return connected, communicator


REFUSED_ORIGINS = [
    pytest.param(None, id="no-origin"),
    pytest.param(b"null", id="null"),
    pytest.param(b"http://evil.example", id="foreign"),
    pytest.param(b"http://evil.localhost", id="sibling-subdomain"),
    pytest.param(b"http://localhost.evil.com", id="suffixed-host"),
    pytest.param(b"http://evil.com#localhost", id="fragment-trick"),
    pytest.param(b"http://localhost@evil.com", id="userinfo-trick"),
    pytest.param(b"ftp://localhost", id="ftp-scheme"),
    pytest.param(b"ws://localhost", id="ws-scheme"),
    pytest.param(b"file://localhost", id="file-scheme"),
    pytest.param(b"https://localhost", id="https-on-plain-http"),
    pytest.param(b"http://localhost:8001", id="other-port"),
    pytest.param(b"http://localhost:99999", id="impossible-port"),
    pytest.param(b"http://[bad", id="unparseable"),
    pytest.param(b"localhost", id="bare-host"),
]


@pytest.mark.parametrize("origin", REFUSED_ORIGINS)
async def test_foreign_origins_are_refused_before_the_consumer_runs(origin, monkeypatch):
    ran = []

    async def spy(consumer):
        ran.append(consumer)

    monkeypatch.setattr(ChatConsumer, "connect", spy)
    headers = [(b"host", b"localhost")]
    if origin is not None:
        headers.append((b"origin", origin))
    connected, communicator = await handshake(headers)
    assert not connected
    assert ran == []
    await communicator.wait()


@pytest.mark.parametrize(
    "host, origin",
    [
        (b"localhost:8000", b"http://localhost"),  # the port is part of the origin
        (b"localhost:8000", b"http://localhost:8001"),
        (b"localhost:8000", b"https://localhost:8000"),
        (b"evil.com:8000", b"http://evil.com:8000"),  # DNS rebinding: same origin, foreign Host
        (b"localhost:8000", b"http://LOCALHOST:8000, http://evil.com"),
    ],
)
async def test_origin_must_match_the_host_exactly(host, origin):
    connected, communicator = await handshake([(b"host", host), (b"origin", origin)])
    assert not connected
    await communicator.wait()


async def test_two_origin_headers_are_refused():
    connected, communicator = await handshake(
        [(b"host", b"localhost"), (b"origin", b"http://localhost"), (b"origin", b"http://evil.com")]
    )
    assert not connected
    await communicator.wait()


@pytest.mark.parametrize(
    "host, origin",
    [
        (b"localhost:8000", b"http://localhost:8000"),
        (b"LocalHost:8000", b"http://localhost:8000/"),
        (b"127.0.0.1", b"http://127.0.0.1:80"),
        (b"[::1]:8000", b"http://[::1]:8000"),
        (None, b"http://localhost"),  # no Host (test harnesses): an allowed host on port 80
    ],
)
async def test_the_sites_own_origin_is_accepted(host, origin):
    headers = [(b"origin", origin)] + ([(b"host", host)] if host else [])
    connected, communicator = await handshake(headers)
    assert connected
    assert json.loads(await communicator.receive_from())["event"] == "room_list"
    await communicator.disconnect()
    await hub.reset()


async def test_behind_a_tls_proxy_the_origin_must_be_https(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["chat.example.com"]
    proxied = [(b"host", b"chat.example.com"), (b"x-forwarded-proto", b"https")]
    refused, communicator = await handshake([*proxied, (b"origin", b"http://chat.example.com")])
    assert not refused
    await communicator.wait()
    accepted, communicator = await handshake([*proxied, (b"origin", b"https://chat.example.com")])
    assert accepted
    await communicator.disconnect()
    await hub.reset()


async def test_trusted_origins_are_accepted_exactly(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example.com"]
    host = (b"host", b"internal:8000")  # a proxy that rewrites Host
    ok, communicator = await handshake([host, (b"origin", b"https://chat.example.com")])
    assert ok
    await communicator.disconnect()
    await hub.reset()
    for origin in (b"https://evil.chat.example.com", b"http://chat.example.com", b"https://chat.example.com:444"):
        refused, communicator = await handshake([host, (b"origin", origin)])
        assert not refused, origin
        await communicator.wait()


REAL_REFUSED = ["http://evil.example", "null", "http://evil.localhost", "http://localhost.evil.com", "ftp://127.0.0.1"]


async def test_real_daphne_refuses_foreign_origins_with_403(clean_log):
    port = clean_log.port
    origins = [*REAL_REFUSED, f"http://127.0.0.1:{port + 1}", f"https://127.0.0.1:{port}", None]
    for origin in origins:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(clean_log.ws_url, origin=origin, open_timeout=5)
        assert refused.value.response.status_code == 403, origin
    async with websockets.connect(clean_log.ws_url, origin=f"http://127.0.0.1:{port}", open_timeout=5) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["event"] == "room_list"
