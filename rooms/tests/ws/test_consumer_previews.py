"""Link previews through the real ASGI application: the room hears the card after the message, history carries
it, only the author may take it away (`preview_remove`), and the room hears it go."""

import pytest

from rooms.errors import Code
from rooms.tests.support.client import NOISE

pytestmark = pytest.mark.django_db(transaction=True)

SKIP = (*NOISE, "ack", "typing", "receive_message")


@pytest.fixture
def site(preview_site):
    return preview_site


async def test_the_card_reaches_the_room_after_the_message_and_only_its_author_removes_it(site, joined, connect):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    await ann.send("send_message", {"text": f"see {site.url('/page')}", "client_id": "c1"})
    sent = await bob.expect("receive_message", skip=NOISE)
    assert "preview" not in sent  # the message does not wait for its card
    for client in (ann, bob):
        card = await client.expect("preview", skip=SKIP)
        assert card["id"] == sent["id"] and card["room"] == "general"
        assert card["preview"]["title"] == "A page about <b>tests</b>"
        assert card["preview"]["image"]["width"] == 400

    carol = await connect(username="carol")
    confirm = await carol.join("general", "carol")
    [shown] = [m for m in confirm["history"] if m["id"] == sent["id"]]
    assert shown["preview"] == card["preview"]

    await bob.send("preview_remove", {"id": sent["id"]})
    refused = await bob.expect("error", skip=SKIP)
    assert refused["code"] == Code.FORBIDDEN
    await ann.send("preview_remove", {"id": sent["id"]})
    for client in (ann, bob, carol):
        gone = await client.expect("preview", skip=SKIP)
        assert gone == {"id": sent["id"], "room": "general", "preview": None}
    history = (await carol.join("general", "carol"))["history"]
    assert "preview" not in [m for m in history if m["id"] == sent["id"]][0]


async def test_preview_remove_needs_a_message_id_of_this_room(site, joined):
    ann = await joined("general", "ann")
    await ann.send("preview_remove", {})
    assert (await ann.expect("error", skip=SKIP))["code"] == Code.BAD_FRAME
    await ann.send("preview_remove", {"id": 999_999})
    assert (await ann.expect("error", skip=SKIP))["code"] == Code.MESSAGE_NOT_FOUND


async def test_a_card_that_arrived_while_a_page_was_away_comes_when_it_resumes(site, joined, connect):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    await ann.send("send_message", {"text": f"see {site.url('/gated')}", "client_id": "c1"})
    sent = await bob.expect("receive_message", skip=NOISE)
    await bob.send("join_room", {"room_name": "tech"})  # bob's page leaves, remembering what it knew
    await bob.expect("join_confirm", skip=SKIP)
    await bob.send("join_room", {"room_name": "general"})
    known = (await bob.expect("join_confirm", skip=SKIP))["reactions_seq"]
    await bob.close()

    site.open_gate()  # the card arrives while bob is away
    card = await ann.expect("preview", skip=SKIP)
    assert card["preview"]["title"] == "A page about <b>tests</b>"

    back = await connect(username="bob")
    await back.send("join_room", {"room_name": "general", "since_id": sent["id"], "reactions_since": known})
    assert (await back.expect("join_confirm", skip=NOISE))["resumed"] is True
    [resumed] = [d for n, d in await back.collect() if n == "preview"]
    assert resumed == card
