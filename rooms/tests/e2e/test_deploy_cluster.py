"""Several daphne processes sharing Redis and PostgreSQL act as one chat, and two sites
sharing one Redis do not hear each other."""

import asyncio

import pytest

from rooms.tests.support.client import NOISE, WSClient, updated_rooms

pytestmark = pytest.mark.integration


# --- the tests ----------------------------------------------------------------------


def member_state(frames: list[tuple[str, dict]]) -> tuple[list[str] | None, int | None, list[str]]:
    """The latest member list, the latest lobby count for general, and the notices, from a client's frames."""
    members, count, notices = None, None, []
    for name, data in frames:
        if name == "member_list":
            members = data["members"]
        elif name == "system_message":
            notices.append(data["text"])
        for room in updated_rooms(name, data):
            if room["name"] == "general":
                count = room["users"]
    return members, count, notices


async def test_processes_sharing_redis_and_postgres_are_one_chat(cluster):
    """Three processes: joins, leaves, messages, member lists and counts agree everywhere."""
    servers = cluster(3, backend="redis-postgres")
    ann, bob, cat = [
        await WSClient(server.ws_url, name=name).open()
        for server, name in zip(servers, ["ann", "bob", "cat"], strict=True)
    ]
    lobby = await WSClient(servers[2].ws_url, name="lobby").open()  # on the home page: counts only
    await lobby.receive()  # room_list

    await ann.join("general", "ann")
    await bob.join("general", "bob")
    confirm = await cat.join("general", "cat")
    assert confirm["members"] == ["ann", "bob", "cat"]

    for number, client in enumerate((ann, bob, cat)):
        await client.send("send_message", {"text": f"{client.name} {number}"})
        await asyncio.sleep(0.05)
    frames = {client.name: await client.drain(1.0) for client in (ann, bob, cat, lobby)}
    texts = {name: [d["text"] for n, d in got if n == "receive_message"] for name, got in frames.items()}
    assert texts["ann"] == texts["bob"] == texts["cat"] == ["ann 0", "bob 1", "cat 2"]
    assert member_state(frames["ann"])[0] == member_state(frames["bob"])[0] == ["ann", "bob", "cat"]
    assert member_state(frames["ann"])[2] == ["bob joined", "cat joined"]
    assert member_state(frames["bob"])[2] == ["cat joined"]
    assert member_state(frames["lobby"])[1] == 3

    await bob.close()  # bob's process tells the others
    frames = {client.name: await client.drain(1.0) for client in (ann, cat, lobby)}
    for name in ("ann", "cat"):
        members, count, notices = member_state(frames[name])
        assert (members, count, notices) == (["ann", "cat"], 2, ["bob left"]), name
    assert member_state(frames["lobby"])[1] == 2
    for client in (ann, cat, lobby):
        await client.close()


async def test_sites_sharing_a_redis_do_not_hear_each_other(cluster):
    """Two chatsites (two databases) on one Redis: neither sees the other's rooms or messages."""
    (here,) = cluster(1, backend="redis-postgres")
    (there,) = cluster(1, backend="redis-postgres")
    ann = await WSClient(here.ws_url, name="ann").open()
    await ann.join("general", "ann")
    await ann.drain(0.5)  # the count update for her own arrival
    bob = await WSClient(there.ws_url, name="bob").open()
    await bob.join("general", "bob")  # the same room id, 1, in the other database
    await bob.send("send_message", {"text": "only for the other site"})
    await bob.send("join_room", {"room_name": "elsewhere", "username": "bob", "create": True})
    await bob.expect("join_confirm", skip=(*NOISE, "receive_message"))
    frames = await ann.drain(1.5)
    assert frames == [], f"heard the other site: {frames}"
    for client in (ann, bob):
        await client.close()
