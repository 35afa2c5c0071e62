"""Attachments through the real ASGI application: uploaded over HTTP with the socket's session, sent by id,
heard by the room with their sizes, refused with the message kept, and taken away live with their message."""

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rooms import services
from rooms.errors import Code
from rooms.identity import Actor
from rooms.models import Attachment, Room
from rooms.tests.support import images
from rooms.tests.support.client import NOISE

pytestmark = pytest.mark.django_db(transaction=True)

SKIP = (*NOISE, "ack", "typing")


@database_sync_to_async
def upload(client, content, name="pic.png", room="general"):
    """POST a file as the page does, with the socket's session cookie."""
    http = Client()
    http.cookies[settings.SESSION_COOKIE_NAME] = client.session_key
    response = http.post(f"/r/{room}/attachments/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 201, response.content
    return response.json()["attachment"]


async def test_a_picture_and_a_pdf_reach_the_room_with_what_to_draw(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    picture = await upload(ann, images.halves(200, 100))
    pdf = await upload(ann, images.PDF, "minutes.pdf")
    await ann.send("send_message", {"text": "", "attachments": [picture["id"], pdf["id"]], "client_id": "c1"})
    for client in (ann, bob):
        message = await client.expect("receive_message", skip=SKIP)
        assert message["text"] == ""
        first, second = message["attachments"]
        assert (first["kind"], first["width"], first["height"]) == ("image", 200, 100)
        assert first["thumb"]["width"] == 200 and first["thumb"]["height"] == 100
        assert (second["kind"], second["name"], second["size"]) == ("file", "minutes.pdf", len(images.PDF))
    assert (await ann.expect("ack", skip=SKIP))["client_id"] == "c1"


async def test_history_carries_the_attachments(joined, connect):
    ann = await joined("general", "ann")
    picture = await upload(ann, images.halves(20, 20))
    await ann.send("send_message", {"text": "look", "attachments": [picture["id"]]})
    sent = await ann.expect("receive_message", skip=SKIP)
    carol = await connect(username="carol")
    confirm = await carol.join("general", "carol")
    [shown] = [m for m in confirm["history"] if m["id"] == sent["id"]]
    assert shown["attachments"] == sent["attachments"]


async def test_someone_elses_upload_is_refused_and_the_message_kept(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    bobs = await upload(bob, images.PDF, "b.pdf")
    await ann.send("send_message", {"text": "mine", "attachments": [bobs["id"]], "client_id": "c2"})
    error = await ann.expect("error", skip=SKIP)
    assert error["code"] == Code.ATTACHMENT_NOT_FOUND and error["client_id"] == "c2"
    await ann.say("after")
    assert (await bob.expect("receive_message", skip=SKIP))["text"] == "after"  # nobody heard of the refused one


@pytest.mark.parametrize("attachments", ["1", [0], ["1"], [True], list(range(1, 102))])
async def test_attachments_must_be_a_short_list_of_ids(joined, attachments):
    ann = await joined("general", "ann")
    await ann.send("send_message", {"text": "x", "attachments": attachments})
    assert (await ann.expect("error", skip=SKIP))["code"] == Code.BAD_FRAME


@database_sync_to_async
def moderator_removes(message_id):
    services.message_delete(message_id=message_id, actor=Actor(guest_key="staff", user_id=1, is_staff=True))
    return Room.objects.get(key="general")


@database_sync_to_async
def stored_files():
    return [p for a in Attachment.objects.all() for p in (a.path, a.thumb_path) if p]


async def test_a_moderators_removal_takes_the_files_away_live(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    picture = await upload(ann, images.halves(20, 20))
    await ann.send("send_message", {"text": "oops", "attachments": [picture["id"]]})
    message = await bob.expect("receive_message", skip=SKIP)
    paths = await stored_files()
    assert paths and all(default_storage.exists(p) for p in paths)
    await moderator_removes(message["id"])
    deleted = await bob.expect("message_deleted", skip=SKIP)
    assert deleted["id"] == message["id"] and deleted["by"] == "moderator"
    assert not any(default_storage.exists(p) for p in paths)
