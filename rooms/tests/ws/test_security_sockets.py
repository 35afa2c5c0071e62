"""Sockets per person (docs/security.md): one session may hold at most WS_MAX_SOCKETS_PER_PERSON
open sockets in a server process; the next is accepted and closed with 4014 and a reason."""

import asyncio
import json

import pytest
import websockets
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from chatsite.accounts.models import User
from chatsite.asgi import application
from conftest import ORIGIN, make_session
from rooms.realtime import hub
from rooms.tests.support.client import WSClient
from rooms.tests.support.tab import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

TOO_MANY_SOCKETS = 4014


async def open_socket(session_key: str) -> tuple[WebsocketCommunicator, dict]:
    """A socket with this session cookie, and its first output after the handshake."""
    cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", ORIGIN), (b"cookie", cookie)])
    connected, _ = await communicator.connect(timeout=5)
    assert connected, "the handshake was refused"
    return communicator, await communicator.receive_output(timeout=5)


def room_list(output: dict) -> bool:
    return output["type"] == "websocket.send" and json.loads(output["text"])["event"] == "room_list"


async def test_the_21st_socket_of_a_session_is_closed_with_4014_and_closing_one_frees_a_slot():
    ann = await make_session("ann")
    opened = []
    try:
        for _ in range(20):
            communicator, first = await open_socket(ann)
            opened.append(communicator)
            assert room_list(first)
        extra, first = await open_socket(ann)
        assert first == {"type": "websocket.close", "code": TOO_MANY_SOCKETS, "reason": "too many open tabs"}
        await extra.wait()

        # Someone else is unaffected.
        bob, first = await open_socket(await make_session("bob"))
        opened.append(bob)
        assert room_list(first)

        # Closing one of ann's frees its slot, once.
        await opened.pop(0).disconnect()
        again, first = await open_socket(ann)
        opened.append(again)
        assert room_list(first)
        refused, first = await open_socket(ann)
        assert first["type"] == "websocket.close" and first["code"] == TOO_MANY_SOCKETS
        await refused.wait()
    finally:
        for communicator in opened:
            await communicator.disconnect()
        await hub.reset()


def logged_in_session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def test_a_logged_in_person_is_counted_across_their_sessions(settings):
    """Two browsers of one account are one person: their sockets share the cap."""
    settings.WS_MAX_SOCKETS_PER_PERSON = 2
    user = await database_sync_to_async(User.objects.create_user)("carol", password="a long password 123")
    laptop, phone = [await database_sync_to_async(logged_in_session)(user) for _ in range(2)]
    opened = []
    try:
        for key in (laptop, phone):
            communicator, first = await open_socket(key)
            opened.append(communicator)
            assert room_list(first)
        third, first = await open_socket(laptop)
        assert first["type"] == "websocket.close" and first["code"] == TOO_MANY_SOCKETS
        await third.wait()
    finally:
        for communicator in opened:
            await communicator.disconnect()
        await hub.reset()


async def test_real_daphne_closes_the_socket_past_the_cap_with_the_code_and_its_reason(server, clean_log):
    cookie = await asyncio.to_thread(session_cookie, server.url)
    tabs = [await WSClient(server.ws_url, cookie=cookie, name=f"tab{n}").open() for n in range(20)]
    try:
        async with websockets.connect(server.ws_url, origin=server.url, additional_headers={"Cookie": cookie}) as extra:
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(extra.recv(), 5)
            assert (extra.close_code, extra.close_reason) == (TOO_MANY_SOCKETS, "too many open tabs")

        # Another person on the same server is unaffected; a closed tab frees its slot.
        other = await WSClient(server.ws_url, cookie=await asyncio.to_thread(session_cookie, server.url)).open()
        await other.close()
        await tabs.pop().close()
        for _ in range(50):  # the server hears the close a moment later
            replacement = await WSClient(server.ws_url, cookie=cookie).open()
            try:
                await replacement.join("general", "ann")
                tabs.append(replacement)
                break
            except websockets.ConnectionClosed:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("a closed tab never freed its slot")
    finally:
        for tab in tabs:
            await tab.close()
