"""Sessions and identity (docs/security.md): impersonation by name, id or forged cookie,
private room codes drawn with `secrets`, and code guessing throttled per address."""

import json
import secrets

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache

from chatsite.asgi import application
from conftest import make_session
from rooms import rules
from rooms.models import Message
from rooms.realtime import hub
from rooms.tests.support.client import owned_room
from rooms.tests.ws.security_steps import NOISE

pytestmark = pytest.mark.django_db(transaction=True)


# --- 7. Sessions and identity ---------------------------------------------------------------


async def test_naming_yourself_after_the_owner_does_not_make_you_the_owner(connect):
    ann, code = await owned_room(connect, "ann")
    await ann.send("leave_room")
    await ann.expect("leave_confirm", skip=NOISE)
    eve = await connect(username="eve")
    confirm = await eve.join(code, "ann")  # the owner's display name, free now
    assert confirm["owner"] is False
    for event, data in [
        ("lock_room", {"locked": True, "username": "ann"}),
        ("set_slow_mode", {"seconds": 60, "owner": True}),
        ("kick_member", {"username": "ann"}),
    ]:
        await eve.send(event, data)
        assert (await eve.expect("error", skip=NOISE))["code"] in ("forbidden", "member_not_found")


async def test_sending_an_id_or_a_name_does_not_let_one_session_edit_or_delete_anothers(joined):
    ann = await joined("general", "ann")
    eve = await joined("general", "eve")
    sent = await ann.say("mine")
    await eve.expect("receive_message", skip=NOISE)
    impersonation = {"username": "ann", "guest_key": "x", "user_id": 1, "actor": "ann", "session": "x"}
    await eve.send("edit_message", {"id": sent["id"], "text": "yours now", **impersonation})
    assert (await eve.expect("error", skip=NOISE))["code"] == "forbidden"
    await eve.send("delete_message", {"id": sent["id"], **impersonation})
    assert (await eve.expect("error", skip=NOISE))["code"] == "forbidden"
    await eve.send("kick_member", {"username": "ann", **impersonation})
    assert (await eve.expect("error", skip=NOISE))["code"] == "forbidden"
    row = await database_sync_to_async(Message.objects.get)(pk=sent["id"])
    assert row.text == "mine" and row.deleted_at is None


async def test_a_forged_session_cookie_is_a_fresh_guest(connect, joined):
    ann = await joined("general", "ann")
    sent = await ann.say("mine")
    eve = await connect(session="not-a-real-session-key-at-all")  # unknown key: no session
    await eve.join("general", "eve")
    await eve.send("delete_message", {"id": sent["id"]})
    assert (await eve.expect("error", skip=NOISE))["code"] == "forbidden"


def test_private_codes_are_drawn_with_secrets(monkeypatch):
    draws = []

    def choice(alphabet):
        draws.append(alphabet)
        return alphabet[len(draws) % len(alphabet)]

    monkeypatch.setattr(secrets, "choice", choice)
    code = rules.new_room_code()
    assert draws == [rules.CODE_ALPHABET] * rules.CODE_LENGTH
    assert code == "".join(rules.CODE_ALPHABET[i % len(rules.CODE_ALPHABET)] for i in range(1, 9))


async def connect_from(ip: str, username: str) -> WebsocketCommunicator:
    key = await make_session(username)
    communicator = WebsocketCommunicator(
        application,
        "/ws/chat/",
        headers=[(b"origin", b"http://localhost"), (b"cookie", f"sessionid={key}".encode())],
    )
    communicator.scope["client"] = (ip, 40000)  # read when the consumer starts, after this line
    assert (await communicator.connect(timeout=5))[0]
    assert json.loads(await communicator.receive_from())["event"] == "room_list"
    return communicator


async def guess(communicator: WebsocketCommunicator, code: str) -> str:
    await communicator.send_json_to({"event": "join_room", "data": {"room_name": code}})
    while True:
        frame = await communicator.receive_json_from(timeout=3)
        if frame["event"] in ("error", "join_confirm"):
            return frame["data"].get("code", frame["event"])


async def test_guessing_codes_is_throttled_per_ip_across_sessions(settings):
    settings.JOIN_MISS_LIMIT = 4
    await database_sync_to_async(cache.clear)()
    first = await connect_from("198.51.100.7", "eve")
    second = await connect_from("198.51.100.7", "eve2")
    other = await connect_from("203.0.113.9", "bob")
    try:
        assert [await guess(first, f"ZZZZZZ{i}2") for i in range(2, 4)] == ["room_not_found"] * 2
        assert [await guess(second, f"ZZZZZZ{i}3") for i in range(4, 6)] == ["room_not_found"] * 2
        # Four misses from this address, two per session: a fresh session from it is refused too.
        assert await guess(second, "ZZZZZZZ7") == "rate_limited"
        third = await connect_from("198.51.100.7", "eve3")
        assert await guess(third, "ZZZZZZZ8") == "rate_limited"
        await third.disconnect()
        # Another address is unaffected.
        assert await guess(other, "ZZZZZZZ9") == "room_not_found"
    finally:
        for communicator in (first, second, other):
            await communicator.disconnect()
        await hub.reset()
