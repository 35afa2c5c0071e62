"""Your data: the download holds what is yours and nothing of anyone else's; deleting keeps messages as "deleted user"."""

import json

import pytest

from chatsite.accounts.models import User
from rooms.identity import Actor
from rooms.models import AuditEntry, Message, Room
from rooms.services import message_post, reaction_add, room_create_named

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual pass phrase 7"


@pytest.fixture
def ann(client):
    user = User.objects.create_user("ann", email="ann@example.com", password=PASSWORD)
    client.post("/accounts/login/", {"login": "ann", "password": PASSWORD})
    return user


def as_person(user) -> Actor:
    return Actor(guest_key=f"user-{user.pk}", user_id=user.pk, user_name=user.username)


def test_the_download_holds_my_account_rooms_and_messages_and_nothing_of_others(client, ann):
    mine = as_person(ann)
    room, _ = room_create_named(name="book-club", actor=mine)
    own, _ = message_post(room=room, actor=mine, username="ann", text="my own words")
    bob = Actor(guest_key="guest-bob")
    secret, _ = message_post(room=room, actor=bob, username="bob", text="bob's secret")
    reaction_add(room=room, actor=mine, username="ann", message_id=secret.pk, emoji="👀")
    reaction_add(room=room, actor=bob, username="bob", message_id=own.pk, emoji="😂")

    response = client.get("/accounts/data/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["username"] == "ann" and data["account"]["email"] == "ann@example.com"
    assert [r["name"] for r in data["rooms_owned"]] == ["book-club"]
    assert [(m["room"], m["text"]) for m in data["messages"]] == [("book-club", "my own words")]
    assert [(r["room"], r["message_id"], r["emoji"]) for r in data["reactions"]] == [("book-club", secret.pk, "👀")]
    assert "bob" not in response.content.decode()


def test_the_data_pages_are_for_the_logged_in_only(client):
    for path in ("/accounts/data/", "/accounts/data/export/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/accounts/data/delete/", {"password": "x"}).status_code == 302
    assert Message.objects.count() == 0


def test_a_wrong_password_deletes_nothing_and_says_so(client, ann):
    response = client.post("/accounts/data/delete/", {"password": "not it"})
    assert response.status_code == 400
    assert "That is not your password." in response.content.decode()
    assert User.objects.filter(pk=ann.pk).exists()


def test_deleting_the_account_keeps_its_messages_as_deleted_user_and_logs_out(client, ann):
    mine = as_person(ann)
    room, _ = room_create_named(name="book-club", actor=mine)
    message_post(room=room, actor=mine, username="ann", text="still here afterwards")

    response = client.post("/accounts/data/delete/", {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not User.objects.filter(username="ann").exists()
    message = Message.objects.get(text="still here afterwards")
    assert (message.username, message.author_user_id) == ("deleted user", None)
    assert not message.author_key.startswith("user-")  # nobody's: no session can edit it
    assert Room.objects.get(key="book-club").owner_key == ""
    assert AuditEntry.objects.filter(action="account_delete", target="ann").exists()
    assert "Signed in as" not in client.get("/").content.decode()
    # The name is free again: a new account may take it.
    assert (
        client.post("/accounts/signup/", {"username": "ann", "password1": PASSWORD, "password2": PASSWORD}).status_code
        == 302
    )
