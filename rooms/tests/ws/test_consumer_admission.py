"""Admission control over a real socket (docs/protocol.md, "When the server is busy"): past
POST_QUEUE_MAX waiting posts a send_message is answered `busy {retry_after}` at once, and the
same message sent again after retry_after is stored once and heard by everyone; a `busy` refusal
does not count against the sender's flood limit."""

import asyncio

import pytest

from rooms.tests.support.client import NOISE, WSClient
from rooms.tests.support.servers import database_write_lock, room_messages, sqlite_server

QUEUE_MAX = 2
RETRY_AFTER = 0.5
SENDERS = 8


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory):
    """chatsite on daphne that lets only QUEUE_MAX posts wait for the next batch.

    Each sender may post once, then once in 10 s: the resend after `busy` must not need a second token."""
    with sqlite_server(
        tmp_path_factory.mktemp("admission"),
        POST_QUEUE_MAX=str(QUEUE_MAX),
        POST_BUSY_RETRY_SECONDS=str(RETRY_AFTER),
        RATE_LIMIT_BURST="1",
        RATE_LIMIT_PER_SECOND="0.1",
    ) as server:
        yield server


async def first_answer(client: WSClient, client_id: str) -> tuple[str, dict]:
    """The ack or the error that answers the send_message with `client_id`."""
    while True:
        event, data = await client.receive(wait=30)
        if event in ("ack", "error") and data.get("client_id") == client_id:
            return event, data
        assert event in (*NOISE, "receive_message", "inbox"), (event, data)


async def test_past_the_queue_limit_a_send_is_busy_and_its_resend_is_stored_once(busy_server):
    database_url = busy_server.env["DATABASE_URL"]
    observer = await WSClient(busy_server.ws_url, name="observer").open()
    senders = [await WSClient(busy_server.ws_url, name=f"s{n}").open() for n in range(SENDERS)]
    try:
        await observer.join("general", "observer")
        for n, client in enumerate(senders):
            await client.join("general", f"sender{n}")
        ids = [f"msg-{n}" for n in range(SENDERS)]

        with database_write_lock(database_url):
            for client, client_id in zip(senders, ids, strict=True):
                await client.send("send_message", {"text": f"hello from {client.name}", "client_id": client_id})
            answers = [asyncio.ensure_future(first_answer(c, i)) for c, i in zip(senders, ids, strict=True)]
            # With the database held, at most QUEUE_MAX posts wait and at most QUEUE_MAX more were taken
            # into the stuck batch: every other sender is refused at once, before anything is stored.
            refused_at_least = SENDERS - 2 * QUEUE_MAX
            while sum(a.done() for a in answers) < refused_at_least:
                await asyncio.wait([a for a in answers if not a.done()], return_when=asyncio.FIRST_COMPLETED)
            early = [a.result() for a in answers if a.done()]
            assert all(event == "error" and data["code"] == "busy" for event, data in early), early
            assert room_messages(database_url, "general") == []

        results = await asyncio.gather(*answers)
        busy = [n for n, (event, _) in enumerate(results) if event == "error"]
        stored_first = [n for n, (event, _) in enumerate(results) if event == "ack"]
        assert len(busy) >= refused_at_least and len(stored_first) >= 1
        for n in busy:
            event, data = results[n]
            assert data["code"] == "busy" and data["event"] == "send_message"
            assert data["client_id"] == ids[n] and data["retry_after"] == RETRY_AFTER
            assert data["message"]

        # As the page does: keep the message, wait retry_after, send the same again with its client_id.
        # The refusal gave the sender's token back: the server was busy, the sender did not flood.
        await asyncio.sleep(RETRY_AFTER)
        for n in busy:
            await senders[n].send("send_message", {"text": f"hello from s{n}", "client_id": ids[n]})
            event, data = await first_answer(senders[n], ids[n])
            assert event == "ack", data

        stored = room_messages(database_url, "general")
        assert sorted(client_id for _, _, _, client_id in stored) == sorted(ids)  # each once, none lost
        heard = []
        while len(heard) < SENDERS:
            heard.append(await observer.expect("receive_message", skip=(*NOISE, "typing")))
        assert [m["client_id"] for m in heard] == [client_id for _, _, _, client_id in stored]  # in order, once
        assert await observer.quiet(0.3)
    finally:
        for client in (observer, *senders):
            await client.close()
