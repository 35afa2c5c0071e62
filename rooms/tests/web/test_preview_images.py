"""A link card's picture over HTTP: served by chatsite (WebP, nosniff, sandboxed) to those who may read its
message's room; an outsider to a private room or a conversation, a guessed URL, a removed card: 404."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from rooms import previews, services
from rooms.identity import Actor
from rooms.models import LinkPreview, Room
from rooms.tests.support import images
from rooms.tests.support.formclient import body
from rooms.tests.support.guests import enter, guest

pytestmark = pytest.mark.django_db

ANN = Actor(guest_key="guest-ann")
URL = "https://example.com/page"


def carded(room: Room, text: str = f"see {URL}") -> tuple[int, str]:
    """A message of ann's in `room` with a card and its picture: (message id, the picture's URL)."""
    message, _ = services.message_post(room=room, actor=ANN, username="ann", text=text)
    card = previews.Card(url=URL, site="Example", title="A page", description="", image_url=URL + ".png")
    picture = previews.draw_picture(images.halves(80, 40))
    stored = services.preview_store(message_id=message.pk, url=URL, preview=previews.Preview(card, picture))
    return message.pk, f"/media/p/{stored.token}/image.webp"


@pytest.fixture
def general():
    return Room.objects.get(key="general")


def test_a_public_rooms_card_picture_is_served_as_webp_nosniff_and_sandboxed(general):
    _, url = carded(general)
    response = Client().get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert body(response)[8:12] == b"WEBP"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_private_rooms_card_picture_is_for_its_members_only(general):
    room = services.room_create_private(actor=ANN)
    enter(room, "ann")
    _, url = carded(room)
    assert Client().get(url).status_code == 404  # no session
    assert guest("eve").get(url).status_code == 404  # a session, not in the room
    assert guest("ann").get(url).status_code == 200
    enter(room, "bob")
    assert guest("bob").get(url).status_code == 200


def test_a_conversations_card_picture_is_for_its_members_only_staff_included(general):
    enter(general, "ann")
    enter(general, "bob")
    room, _ = services.direct_open(actor=ANN, room=general, usernames=["bob"], username="ann")
    _, url = carded(room)
    assert guest("ann").get(url).status_code == 200
    assert guest("bob").get(url).status_code == 200
    assert guest("carol").get(url).status_code == 404
    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("mod", "mod@example.com", "pw-not-used"))
    assert staff.get(url).status_code == 404


def test_a_guessed_url_a_removed_card_and_a_deleted_message_get_404(general):
    assert Client().get(f"/media/p/{'A' * 24}/image.webp").status_code == 404
    message_id, url = carded(general)
    services.preview_remove(message_id=message_id, room=general, actor=ANN)
    assert Client().get(url).status_code == 404
    message_id, url = carded(general, f"again {URL}")
    services.message_delete(message_id=message_id, actor=ANN, room=general)
    assert Client().get(url).status_code == 404
    assert not LinkPreview.objects.filter(message_id=message_id).exists()
