"""The lobby and room pages, as a visitor without JavaScript meets them."""

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse

from rooms.identity import GUEST_KEY, USERNAME_KEY, _scope_actor
from rooms.models import Room

pytestmark = pytest.mark.django_db

HOME = "/"


def post_home(client, **data):
    return client.post(HOME, data)


def test_home_lists_topic_rooms_and_the_forms(client):
    response = client.get(HOME)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ["general", "tech", "sports", "music", "gaming"]:
        assert f'value="{name}"' in html
    assert 'name="username"' in html
    assert "csrfmiddlewaretoken" in html


def test_entering_a_topic_room_keeps_the_name_in_the_session(client):
    response = post_home(client, username="  ann ", enter="tech")
    assert response.status_code == 302
    assert response["Location"] == reverse("rooms:room", kwargs={"name": "tech"})
    assert client.session[USERNAME_KEY] == "ann"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'id="chat-config"' in page.content


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "Pick a display name."),
        ("x" * 33, "at most 32 characters"),
        ("a\x07b", "control characters"),
        ("a\x00b", "Null characters"),
    ],
)
def test_a_bad_display_name_shows_next_to_the_field(client, username, message):
    response = post_home(client, username=username, enter="general")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="username-error"' in html
    assert message in html
    assert USERNAME_KEY not in client.session


def test_joining_by_code_in_any_case(client):
    Room.objects.create(kind=Room.Kind.PRIVATE, name="K7QX9MPA", title="Private room K7QX9MPA")
    response = post_home(client, username="ann", room="k7qx9mpa", action="join")
    assert response["Location"] == "/r/K7QX9MPA/"


def test_an_unknown_code_shows_an_error_next_to_the_field(client):
    response = post_home(client, username="ann", room="ZZZZ2222", action="join")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="room-error"' in html
    assert "No room called" in html


def test_join_with_an_empty_code_asks_for_one(client):
    response = post_home(client, username="ann", room="  ", action="join")
    assert response.status_code == 400
    assert "Type a room code or name." in response.content.decode()


def test_creating_a_private_room_redirects_to_its_code(client):
    response = post_home(client, username="ann", action="create_private")
    assert response.status_code == 302
    code = response["Location"].split("/")[2]
    room = Room.objects.get(name=code)
    assert room.kind == "private"
    assert room.owner_key == client.session["chatsite_guest"]


def test_creating_a_named_room(client):
    response = post_home(client, username="ann", new_room="book-club", action="create_named")
    assert response["Location"] == "/r/book-club/"
    assert Room.objects.get(key="book-club").kind == "named"
    # Asking again for the same name joins the existing room.
    again = post_home(client, username="bob", new_room="Book-Club", action="create_named")
    assert again["Location"] == "/r/book-club/"
    assert Room.objects.filter(key="book-club").count() == 1
    # ... and says so on the room page, once.
    page = client.get(again["Location"]).content.decode()
    assert page.count("#book-club already exists — you joined it.") == 1
    assert "already exists" not in client.get("/r/book-club/").content.decode()


@pytest.mark.parametrize("name", ["", "has space", "-dash", "x" * 33, "<script>"])
def test_an_invalid_room_name_shows_next_to_the_field(client, name):
    response = post_home(client, username="ann", new_room=name, action="create_named")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="new-room-error"' in html
    assert "<script>" not in html.split('id="new-room-error"')[1].split("</p>")[0]


def test_room_page_for_an_unknown_room_is_a_404_with_the_form(client):
    response = client.get("/r/NOSUCH99/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "No room called" in html
    assert 'name="username"' in html


def test_room_page_without_a_name_asks_for_one_then_shows_the_room(client):
    response = client.get("/r/general/")
    assert response.status_code == 200
    assert b'id="id_username"' in response.content
    assert b"chat-config" not in response.content
    bad = client.post("/r/general/", {"username": "   "})
    assert bad.status_code == 400
    good = client.post("/r/general/", {"username": "cat"})
    assert good["Location"] == "/r/general/"
    assert b"chat-config" in client.get("/r/general/").content


def test_room_page_redirects_to_the_canonical_name(client):
    session = client.session
    session[USERNAME_KEY] = "ann"
    session.save()
    assert client.get("/r/GENERAL/")["Location"] == "/r/general/"


def test_forms_need_a_csrf_token():
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(HOME, {"username": "ann", "enter": "general"}).status_code == 403


def test_a_hostile_display_name_is_escaped_in_the_page(client):
    post_home(client, username="<img src=x onerror=alert(1)>", enter="general")
    html = client.get("/r/general/").content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html or "\\u003Cimg" in html


def test_a_guessing_address_still_reaches_public_rooms_but_no_private_code(client, settings):
    """The guess limit is for guessing: a school behind one address keeps its ordinary room pages."""
    settings.JOIN_MISS_LIMIT = 3
    session = client.session
    session[USERNAME_KEY] = "ann"
    session.save()
    code = Room.objects.create(kind=Room.Kind.PRIVATE, name="K7QX9MPA", title="Private room K7QX9MPA").name
    assert [client.get(f"/r/ZZZZZZZ{i}/").status_code for i in range(2, 5)] == [404] * 3
    assert client.get("/r/ZZZZZZZ6/").status_code == 429
    assert client.get(f"/r/{code}/").status_code == 429  # a hit answers like a miss: no oracle
    # Someone else behind the same address, on public rooms: served as usual.
    neighbour = type(client)()
    page = neighbour.get("/r/general/")
    assert page.status_code == 200
    assert neighbour.post("/r/general/", {"username": "bob"})["Location"] == "/r/general/"
    assert b"chat-config" in neighbour.get("/r/general/").content


def test_creating_a_room_named_like_a_code_answers_the_same_whether_the_code_exists(client):
    code = Room.objects.create(kind=Room.Kind.PRIVATE, name="K7QX9MPA", title="Private room K7QX9MPA").name
    answers = []
    for name in [code, code.lower(), "ZZZZZZ22"]:
        response = post_home(client, username="eve", new_room=name, action="create_named")
        assert response.status_code == 400  # not a redirect into the private room
        html = response.content.decode()
        assert 'id="new-room-error"' in html
        answers.append(html.split('id="new-room-error"', 1)[1].split("</p>", 1)[0])
    assert len(set(answers)) == 1 and "private room codes" in answers[0]
    assert not Room.objects.filter(kind=Room.Kind.NAMED).exists()


def test_creating_rooms_past_the_limit_is_a_form_error_next_to_the_field(client, settings):
    settings.ROOM_CREATE_LIMIT = 2
    for name in ["form-one", "form-two"]:
        assert post_home(client, username="ann", new_room=name, action="create_named").status_code == 302
    response = post_home(client, username="ann", new_room="form-three", action="create_named")
    assert response.status_code == 429
    html = response.content.decode()
    error = html.split('id="new-room-error"', 1)[1].split("</p>", 1)[0]
    assert "Too many new rooms" in error
    assert 'value="form-three"' in html  # what was typed stays in the field
    assert not Room.objects.filter(key="form-three").exists()
    # Joining an existing room, by name or through "create", still works.
    assert post_home(client, username="ann", new_room="form-one", action="create_named")["Location"] == "/r/form-one/"
    assert post_home(client, username="ann", room="form-two", action="join")["Location"] == "/r/form-two/"
    private = post_home(client, username="ann", action="create_private")
    assert private.status_code == 429
    assert "Too many new rooms" in private.content.decode()


def test_the_lobby_shows_a_bounded_set_and_finds_the_rest_without_javascript(client, settings):
    settings.LOBBY_ROOMS_MAX = 12
    Room.objects.bulk_create(
        Room(kind=Room.Kind.NAMED, name=f"club-{i:03}", key=f"club-{i:03}", title=f"club-{i:03}") for i in range(300)
    )
    html = client.get(HOME).content.decode()
    first_screen = html.split('id="room-list"', 1)[1].split("</ul>", 1)[0]
    assert first_screen.count("<li ") == 12
    assert 'value="general"' in first_screen
    assert "and 293 more rooms" in html
    assert 'href="?q="' in html  # every room, A to Z

    found = client.get(HOME, {"q": "CLUB-04"}).content.decode()
    results = found.split('id="room-results"', 1)[1].split("</ul>", 1)[0]
    assert [f'value="club-{i:03}"' in results for i in (40, 49, 50)] == [True, True, False]
    assert 'value="CLUB-04"' in found  # the search box keeps what was typed
    page = client.get(HOME, {"q": "club"}).content.decode()
    assert 'href="?q=club&amp;after=club-011"' in page
    second = client.get(HOME, {"q": "club", "after": "club-011"}).content.decode()
    assert 'value="club-012"' in second.split('id="room-results"', 1)[1].split("</ul>", 1)[0]
    assert "No room has “nothing-like-it” in its name." in client.get(HOME, {"q": "nothing-like-it"}).content.decode()


# --- Session rows only when there is something to keep ---------------------------------------

LOOKS = ["/", "/?room=tech", "/r/general/", "/r/NOSUCH99/", "/no/such/page/", "/favicon.ico", "/static/js/lobby.js"]


@pytest.mark.parametrize("path", LOOKS)
def test_looking_without_a_cookie_creates_no_session_row(client, path):
    """Each cookieless GET of the lobby used to write a session row: a crawler filled the table."""
    for _ in range(5):
        client.cookies.clear()
        assert client.get(path).status_code in (200, 301, 404)
    assert Session.objects.count() == 0
    assert settings.SESSION_COOKIE_NAME not in client.cookies


def test_the_lobby_form_still_works_without_a_session_and_makes_one_when_it_keeps_a_name(client):
    page = client.get(HOME)
    assert settings.CSRF_COOKIE_NAME in page.cookies  # the forms need the CSRF cookie, not a session
    assert Session.objects.count() == 0
    strict = type(client)(enforce_csrf_checks=True)
    token = strict.get(HOME).cookies[settings.CSRF_COOKIE_NAME].value
    response = strict.post(HOME, {"username": "ann", "enter": "general", "csrfmiddlewaretoken": token})
    assert response["Location"] == "/r/general/"
    assert Session.objects.count() == 1
    assert strict.session[USERNAME_KEY] == "ann" and strict.session[GUEST_KEY]


def test_a_form_that_keeps_nothing_creates_no_session_row(client):
    assert post_home(client, username="", enter="general").status_code == 400
    assert Session.objects.count() == 0


def test_the_room_page_gives_its_socket_an_identity(client):
    client.post("/r/general/", {"username": "cat"})
    page = client.get("/r/general/")
    assert b"chat-config" in page.content
    guest = client.session[GUEST_KEY]
    # The cookie the page's socket will carry names that guest (rooms/identity.py, _scope_actor).
    actor, username = _scope_actor(
        {"session": SessionStore(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)}
    )
    assert (actor.guest_key, username) == (guest, "cat")


def test_an_existing_guest_keeps_their_identity_on_every_page(client):
    session = client.session
    session[GUEST_KEY], session[USERNAME_KEY] = "guest-ann", "ann"
    session.save()
    for path in ["/", "/r/general/", "/r/NOSUCH99/", "/favicon.ico"]:
        client.get(path)
    assert post_home(client, username="ann", action="create_private").status_code == 302
    assert client.session[GUEST_KEY] == "guest-ann"
    assert Room.objects.get(kind=Room.Kind.PRIVATE).owner_key == "guest-ann"
    assert Session.objects.count() == 1
