"""/socket.io/ with real Socket.IO clients against a real daphne: socket.io-client 4.x under Node.js
(default options, so polling then the upgrade, and websocket-only) and python-socketio's AsyncClient,
chatting with a /ws/chat/ user in one room; acks, error codes, resume, moderation, the Origin check,
hostile packets, heartbeats and the session cap.
"""

import asyncio
import json

import aiohttp
import pytest
import socketio
import websockets

from rooms.tests.support.client import LOBBY_NOISE, WSClient
from rooms.tests.support.servers import sqlite_server
from rooms.tests.support.sio import NodeClient, RawEngineSocket, install_node_clients
from rooms.tests.support.tab import session_cookie

# Short heartbeats and connect deadline, so dead sessions go within seconds; small caps to reach.
PING_INTERVAL, PING_TIMEOUT, CONNECT_TIMEOUT, MAX_SESSIONS = 2, 3, 4, 40
SOCKETS_PER_PERSON = 3
EVIL = "http://evil.example"


@pytest.fixture(scope="session")
def node_clients():
    return install_node_clients()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with sqlite_server(
        tmp_path_factory.mktemp("sio-server"),
        SIO_PING_INTERVAL_SECONDS=str(PING_INTERVAL),
        SIO_PING_TIMEOUT_SECONDS=str(PING_TIMEOUT),
        SIO_CONNECT_TIMEOUT_SECONDS=str(CONNECT_TIMEOUT),
        SIO_MAX_SESSIONS=str(MAX_SESSIONS),
        WS_MAX_SOCKETS_PER_PERSON=str(SOCKETS_PER_PERSON),
    ) as chat:
        yield chat


@pytest.fixture
def clean_log(server):
    """Fail the test if the server logs a traceback or an error while it runs."""
    before = len(server.faults())
    yield server
    assert server.faults()[before:] == []


def polling_url(server, **query) -> str:
    return f"{server.url}/socket.io/?" + "&".join(f"{key}={value}" for key, value in {"EIO": 4, **query}.items())


async def handshake(http: aiohttp.ClientSession, server, **headers) -> str:
    async with http.get(polling_url(server, transport="polling"), headers=headers) as answer:
        assert answer.status == 200, await answer.text()
        body = await answer.text()
    assert body.startswith("0")
    opened = json.loads(body[1:])
    assert opened["upgrades"] == ["websocket"]
    assert opened["pingInterval"] == PING_INTERVAL * 1000 and opened["pingTimeout"] == PING_TIMEOUT * 1000
    return opened["sid"]


async def error_of(answer: aiohttp.ClientResponse) -> tuple[int, int]:
    return answer.status, json.loads(await answer.text())["code"]


def members_without(name: str):
    return lambda data: name not in data["members"]


# --- real clients --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["default", "websocket"])
async def test_node_client_chats_with_a_ws_chat_user_and_survives_a_restart(server, node_clients, clean_log, mode):
    room, name = f"node-{mode}", f"node{mode[:3]}"
    ann = await WSClient(server.ws_url, name="ann").open()
    await ann.join(room, "ann", create=True)
    node = await NodeClient.start(server.url, mode, name, room)
    try:
        opened = await node.expect("open")
        if mode == "default":
            assert opened["transport"] == "polling"  # socket.io-client's default start
            await node.expect("upgrade", transport="websocket")
        else:
            assert opened["transport"] == "websocket"
        joined = await node.expect("joined")
        assert joined["error"] is None and sorted(joined["members"]) == sorted(["ann", name])
        notice = await ann.expect("system_message", skip=(*LOBBY_NOISE, "member_list"))
        assert (notice["kind"], notice["username"]) == ("join", name)

        await ann.say("hello node")
        heard = await node.expect("message", text="hello node")
        assert heard["username"] == "ann"
        await node.command(send="hello ann")
        ack = await node.expect("ack")
        assert ack["answer"]["id"] > heard["id"]  # the Socket.IO acknowledgement carries chatsite's ack
        said = await ann.expect("receive_message")
        assert (said["id"], said["username"], said["text"]) == (ack["answer"]["id"], name, "hello ann")

        # The server goes away and comes back: the client reconnects by itself and resumes (since_id).
        await asyncio.to_thread(server.restart)
        await node.expect("disconnect")
        ann = await WSClient(server.ws_url, name="ann").open()
        await ann.join(room, "ann")
        await ann.say("while you were away")
        since = len(node.seen)
        rejoined = await node.expect("joined", wait=30)
        assert rejoined["error"] is None and rejoined["resumed"] is True
        await node.expect("message", since=since, text="while you were away")  # sent before or after the ack
        ids = [report["id"] for report in node.seen if report["what"] == "message"]
        assert len(ids) == len(set(ids)) == 3  # nothing lost, nothing twice

        await node.quit()
        skip = (*LOBBY_NOISE, "member_list", "system_message")  # its join notice, if it came back after ann
        gone = await ann.expect("system_message", skip=skip, wait=10, where=lambda data: data["kind"] == "leave")
        assert gone["username"] == name
    finally:
        node.kill()
        await ann.close()


async def python_client(server, **connect) -> tuple[socketio.AsyncClient, asyncio.Queue]:
    client = socketio.AsyncClient(reconnection=False)
    events: asyncio.Queue = asyncio.Queue()

    @client.on("*")
    async def heard(event, data):
        await events.put((event, data))

    await client.connect(server.url, wait_timeout=10, **connect)
    return client, events


async def next_event(events: asyncio.Queue, name: str, wait: float = 10) -> dict:
    async with asyncio.timeout(wait):
        while True:
            event, data = await events.get()
            if event == name:
                return data


async def test_python_client_acks_errors_and_resume(server, clean_log):
    client, events = await python_client(server)
    try:
        assert client.transport() == "websocket"  # python-socketio upgrades from polling
        joined = await client.call("join_room", {"room_name": "general", "username": "py"}, timeout=10)
        assert "py" in joined["members"] and joined["room"]["name"] == "general"

        # Errors: as the `error` event, with chatsite's codes, and in the acknowledgement of an event.
        refused = await client.call("send_message", {"text": "   "}, timeout=10)
        assert refused["error"]["code"] == "invalid_message"
        assert (await next_event(events, "error"))["code"] == "invalid_message"
        assert (await client.call("send_message", {"text": 5}, timeout=10))["error"]["code"] == "bad_frame"
        assert (await client.call("no_such_event", {}, timeout=10))["error"]["code"] == "unknown_event"
        assert (await client.call("send_message", "hi", timeout=10))["error"]["code"] == "bad_frame"

        # A client_id of its own: the ack event and the acknowledgement both carry it.
        first = await client.call("send_message", {"text": "one", "client_id": "c-1"}, timeout=10)
        assert first["client_id"] == "c-1" and first["id"] > 0
        assert (await next_event(events, "ack")) == first
        await client.emit("send_message", {"text": "two"})  # no callback: no acknowledgement, still sent
        second = await next_event(events, "receive_message")
        while second["text"] != "two":
            second = await next_event(events, "receive_message")

        # Resume: a second client joining with since_id gets what came after, once.
        late, late_events = await python_client(server)
        try:
            resumed = await late.call(
                "join_room", {"room_name": "general", "username": "late", "since_id": first["id"]}, timeout=10
            )
            assert resumed["resumed"] is True and resumed["history"] == []
            assert (await next_event(late_events, "receive_message"))["id"] == second["id"]
            arrived = await next_event(events, "system_message")
            assert (arrived["kind"], arrived["username"]) == ("join", "late")
        finally:
            await late.disconnect()
        assert (await next_event(events, "system_message"))["kind"] == "leave"
    finally:
        await client.disconnect()


async def test_python_client_reconnects_after_the_server_restarts_and_resumes(server, clean_log):
    client = socketio.AsyncClient(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=2)
    connects: asyncio.Queue = asyncio.Queue()
    events: asyncio.Queue = asyncio.Queue()
    client.on("connect", lambda: connects.put_nowait(True))
    client.on("*", lambda event, data: events.put_nowait((event, data)))
    await client.connect(server.url, wait_timeout=10)
    try:
        await asyncio.wait_for(connects.get(), 10)
        await client.call("join_room", {"room_name": "sports", "username": "phoenix"}, timeout=10)
        before = await client.call("send_message", {"text": "before"}, timeout=10)

        await asyncio.to_thread(server.restart)
        ann = await WSClient(server.ws_url, name="ann").open()
        await ann.join("sports", "ann")
        away = await ann.say("while you were away")
        await asyncio.wait_for(connects.get(), 30)  # python-socketio reconnected by itself
        since = {"room_name": "sports", "username": "phoenix", "since_id": before["id"]}
        resumed = await client.call("join_room", since, timeout=10)
        assert resumed["resumed"] is True
        heard = await next_event(events, "receive_message")
        while heard["id"] <= before["id"]:
            heard = await next_event(events, "receive_message")
        assert (heard["id"], heard["text"]) == (away["id"], "while you were away")
        await ann.close()
    finally:
        await client.disconnect()


async def test_the_session_cookie_is_the_same_person_on_both_endpoints(server, clean_log):
    cookie = await asyncio.to_thread(session_cookie, server.url)
    tab = await WSClient(server.ws_url, cookie=cookie, name="tab").open()
    confirm = await tab.join("gaming", "same")
    client, events = await python_client(server, headers={"Cookie": cookie, "Origin": server.url})
    try:
        joined = await client.call("join_room", {"room_name": "gaming"}, timeout=10)  # the session's name
        assert (joined["username"], joined["author"]) == ("same", confirm["author"])
        assert joined["members"] == ["same"]  # one person, two sockets
        sent = await client.call("send_message", {"text": "from socket.io"}, timeout=10)
        await tab.send("edit_message", {"id": sent["id"], "text": "edited in the tab"})  # it is the tab's own
        edited = await next_event(events, "message_updated")
        assert (edited["id"], edited["text"]) == (sent["id"], "edited in the tab")
    finally:
        await client.disconnect()
        await tab.close()


async def test_a_socket_past_the_per_person_cap_is_refused_with_connect_error(server, clean_log):
    cookie = await asyncio.to_thread(session_cookie, server.url)
    tabs = [await WSClient(server.ws_url, cookie=cookie).open() for _ in range(SOCKETS_PER_PERSON)]
    client = socketio.AsyncClient(reconnection=False)
    refusals: asyncio.Queue = asyncio.Queue()
    client.on("connect_error", lambda data: refusals.put_nowait(data))
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(server.url, headers={"Cookie": cookie, "Origin": server.url}, wait_timeout=10)
        refusal = await asyncio.wait_for(refusals.get(), 5)
        assert refusal == {"message": "too many open tabs", "data": {"code": 4014}}
    finally:
        await client.disconnect()
        for tab in tabs:
            await tab.close()


async def test_moderation_reaches_a_socketio_member(server, clean_log):
    owner = await WSClient(server.ws_url, name="owner").open()
    await owner.send("create_room", {"username": "owner"})
    code = (await owner.expect("room_created"))["room"]["name"]
    assert (await owner.join(code))["owner"] is True
    client, events = await python_client(server, transports=["websocket"])
    try:
        joined = await client.call("join_room", {"room_name": code, "username": "guest"}, timeout=10)
        assert joined["owner"] is False
        await owner.send("kick_member", {"username": "guest"})
        kicked = await next_event(events, "kicked")
        assert kicked["room"] == code and kicked["until"]
        again = await client.call("join_room", {"room_name": code}, timeout=10)
        assert again["error"]["code"] == "banned"
        assert client.connected  # a kick is not a disconnect
    finally:
        await client.disconnect()
        await owner.close()


# --- the Origin check --------------------------------------------------------------------------


async def test_cross_site_pages_cannot_drive_a_session(server, clean_log):
    async with aiohttp.ClientSession() as http:
        async with http.get(polling_url(server, transport="polling"), headers={"Origin": EVIL}) as answer:
            assert await error_of(answer) == (403, 4)
        cookie = {"Cookie": "sessionid=whatever"}
        cross_site = {**cookie, "Sec-Fetch-Site": "cross-site"}
        async with http.get(polling_url(server, transport="polling"), headers=cross_site) as answer:
            assert await error_of(answer) == (403, 4)
        sid = await handshake(http, server, Origin=server.url)
        for headers in ({"Origin": EVIL}, cookie):  # a forged POST: another site's, or a cookie and no Origin
            async with http.post(
                polling_url(server, transport="polling", sid=sid), data="40", headers=headers
            ) as answer:
                assert await error_of(answer) == (403, 4)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await RawEngineSocket.open(server.url, origin=EVIL)
    assert refused.value.response.status_code == 403


# --- hostile packets ---------------------------------------------------------------------------


async def test_bad_requests_get_engineio_errors(server, clean_log):
    async with aiohttp.ClientSession() as http:
        for query, expected in [
            ({"EIO": 3, "transport": "polling"}, (400, 5)),
            ({"transport": "carrier-pigeon"}, (400, 0)),
            ({"transport": "polling", "sid": "nope"}, (400, 1)),
        ]:
            async with http.get(polling_url(server, **query)) as answer:
                assert await error_of(answer) == expected, query
        async with http.post(polling_url(server, transport="polling"), data="40") as answer:
            assert await error_of(answer) == (400, 2)
        sid = await handshake(http, server)
        session = polling_url(server, transport="polling", sid=sid)
        for garbage in ["x", "bA", "9hello", "4" + "[" * 100_000]:
            async with http.post(session, data=garbage) as answer:
                assert await error_of(answer) == (400, 3), garbage
        async with http.post(session, data="4" + "x" * (300 * 1024)) as answer:
            assert answer.status == 413
        async with http.post(session, data="40") as answer:  # the session is still there
            assert answer.status == 200 and await answer.text() == "ok"
        async with http.get(session) as answer:
            assert (await answer.text()).startswith("40{")
    # A WebSocket for an unknown session is refused at its handshake (daphne's refusal is a 403).
    with pytest.raises(websockets.InvalidStatus) as refused:
        await RawEngineSocket.open(server.url, sid="nope")
    assert refused.value.response.status_code == 403


async def test_bad_socketio_packets_get_defined_answers(server, clean_log):
    raw = await RawEngineSocket.open(server.url)
    opened = await raw.receive()
    assert opened.startswith("0") and json.loads(opened[1:])["upgrades"] == []
    await raw.send('42["join_room",{}]')  # before CONNECT
    assert json.loads((await raw.receive())[2:]) == {"message": "Not connected to this namespace."}
    await raw.send("40/admin,")
    assert await raw.receive() == '44/admin,{"message":"Invalid namespace"}'
    await raw.send("40")
    assert (await raw.receive()).startswith('40{"sid":')
    deep = '42["send_message",' + "[" * 5000 + "]" * 5000 + "]"
    for packet in ['42["join_room"', '42"text"', "42[]", "43[]", '42["send_message",{"text":NaN}]', "4{}", deep]:
        await raw.send(packet)
        name, data = await raw.event()
        assert (name, data["code"]) == ("error", "bad_frame"), packet
    await raw.send('42["nope",{}]')
    assert (await raw.event())[1]["code"] == "unknown_event"
    await raw.send('451-["send_message",{"_placeholder":true,"num":0}]')
    await raw.send(b"\x00\x01")  # its attachment: swallowed with the refused packet
    assert (await raw.event())[1]["code"] == "bad_frame"
    await raw.send('42/admin,["join_room",{}]')
    assert (await raw.receive()).startswith("44/admin,")
    await raw.send('42["find_rooms",{}]')  # still usable after all that
    assert (await raw.event())[0] == "room_results"
    await raw.send("9nonsense")  # no Engine.IO packet type: the protocol's answer is a close
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await raw.receive()
    assert closed.value.rcvd.code == 4002


# --- the session's lifetime --------------------------------------------------------------------


async def test_a_client_that_stops_answering_pings_is_dropped(server, clean_log):
    ann = await WSClient(server.ws_url, name="ann").open()
    await ann.join("music", "ann")
    async with aiohttp.ClientSession() as http:
        sid = await handshake(http, server)
        session = polling_url(server, transport="polling", sid=sid)
        async with http.post(session, data='40\x1e42["join_room",{"room_name":"music","username":"ghost"}]') as answer:
            assert answer.status == 200
        joined = await ann.expect("system_message", skip=(*LOBBY_NOISE, "member_list"))
        assert (joined["kind"], joined["username"]) == ("join", "ghost")
        # ... and then it never polls again, so never answers a ping.
        left = await ann.expect("system_message", skip=(*LOBBY_NOISE, "member_list"), wait=PING_INTERVAL * 4 + 10)
        assert (left["kind"], left["username"]) == ("leave", "ghost")
        async with http.get(session) as answer:
            assert await error_of(answer) == (400, 1)
    await ann.close()


async def test_sessions_are_capped_and_unused_ones_expire(server, clean_log):
    async with aiohttp.ClientSession() as http:
        opened = 0
        while True:
            async with http.get(polling_url(server, transport="polling")) as answer:
                if answer.status != 200:
                    assert await error_of(answer) == (503, 3)
                    break
            opened += 1
            assert opened <= MAX_SESSIONS
        # None of them sent its CONNECT: after SIO_CONNECT_TIMEOUT_SECONDS they are gone.
        await asyncio.sleep(CONNECT_TIMEOUT + 1)
        await handshake(http, server)


async def test_a_flooder_is_told_why_and_disconnected_for_good(server, clean_log):
    raw = await RawEngineSocket.open(server.url)
    await raw.receive()
    await raw.send("40")
    assert (await raw.receive()).startswith("40{")
    for _ in range(400):  # far past flood control's frame burst (60) and FLOOD_DISCONNECT_AFTER (200)
        await raw.send('42["find_rooms",{}]')
    packets = []
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            packets.append(await raw.receive())
    assert closed.value.rcvd.code == 4008
    assert any(packet.startswith('42["error",{"code":"rate_limited"') for packet in packets)
    # Why, then Socket.IO's DISCONNECT, after which clients do not reconnect.
    assert packets[-2:] == ['42["close",{"code":4008,"reason":""}]', "41"]
