"""Link previews in the services: a committed message gets its card in the background, published to its room and
carried by history; an edit to another link fetches again; removal by its author; cleanup from storage; off."""

import json

import pytest
from django.core.files.storage import default_storage
from django.db import connections, transaction

from rooms import services
from rooms.errors import ChatError, Code
from rooms.identity import Actor
from rooms.models import LinkPreview, Room
from rooms.realtime import bus
from rooms.selectors import room_history
from rooms.services.previews import fetcher

# The fetch runs on other threads, which see only what is committed.
pytestmark = pytest.mark.django_db(transaction=True)

ANN, BOB = Actor(guest_key="guest-ann"), Actor(guest_key="guest-bob")


@pytest.fixture
def site(preview_site):
    return preview_site


@pytest.fixture
def published(monkeypatch):
    """The `preview` frames the services publish, at the bus (the seam every frame goes through)."""
    frames: list[dict] = []

    def publish(group, message):
        frame = json.loads(message.get("text", "{}"))
        if frame.get("event") == "preview":
            frames.append(frame["data"])

    monkeypatch.setattr(bus, "publish", publish)
    return frames


@pytest.fixture
def room():
    return Room.objects.get(key="general")


def post(room, text, actor=ANN):
    message, _ = services.message_post(room=room, actor=actor, username="ann", text=text)
    fetcher.drain()
    return message


def test_a_committed_message_gets_its_card_published_and_in_history(site, room, published):
    message = post(room, f"look at {site.url('/page')} please")
    card = LinkPreview.objects.get(message=message)
    assert default_storage.exists(card.image_path)
    assert published == [
        {
            "id": message.pk,
            "room": "general",
            "preview": {
                "url": site.url("/page"),
                "site": "The Test Site",
                "title": "A page about <b>tests</b>",
                "description": "What the page says about itself.",
                "image": {"url": f"/media/p/{card.token}/image.webp", "width": 400, "height": 200},
            },
        }
    ]
    history, _ = room_history(room=room)
    assert history[-1]["preview"] == published[0]["preview"]


def test_fifty_messages_with_one_link_fetch_it_once(site, room):
    # In one transaction, so this thread is done writing before the fetches store (the test database is
    # an in-memory SQLite shared between threads, which refuses concurrent writers instead of queueing them).
    with transaction.atomic():
        for number in range(50):
            services.message_post(room=room, actor=ANN, username="ann", text=f"{number} {site.url('/page')}")
    fetcher.drain()
    assert site.hits["/page"] == 1 and site.hits["/picture.png"] == 1
    assert LinkPreview.objects.filter(room=room, removed=False).count() == 50
    paths = set(LinkPreview.objects.values_list("image_path", flat=True))
    assert len(paths) == 50 and all(default_storage.exists(p) for p in paths)  # each message's own picture


def test_a_refused_link_gets_no_card(site, room, published, settings):
    settings.LINK_PREVIEW_ALLOWED_HOSTS = []
    post(room, site.url("/page"))
    assert not LinkPreview.objects.exists() and published == [] and site.hits == {}


def test_with_the_setting_off_nothing_is_fetched(site, room, published, settings):
    settings.LINK_PREVIEWS = False
    message = post(room, site.url("/page"))
    services.message_edit(message_id=message.pk, room=room, actor=ANN, text=site.url("/page2"))
    fetcher.drain()
    assert site.hits == {} and not LinkPreview.objects.exists() and published == []


def test_an_edit_to_another_link_takes_the_old_card_and_fetches_the_new(site, room, published):
    message = post(room, site.url("/page"))
    old = LinkPreview.objects.get(message=message)
    services.message_edit(message_id=message.pk, room=room, actor=ANN, text=f"{site.url('/page')} again")
    fetcher.drain()
    assert site.hits["/page"] == 1 and len(published) == 1  # the same first link: nothing new
    services.message_edit(message_id=message.pk, room=room, actor=ANN, text=f"rather {site.url('/title')}")
    fetcher.drain()
    new = LinkPreview.objects.get(message=message)
    assert new.title == "Only a title" and new.pk != old.pk
    assert not default_storage.exists(old.image_path)
    assert [frame["preview"] and frame["preview"]["title"] for frame in published] == [
        "A page about <b>tests</b>",
        None,
        "Only a title",
    ]


def test_a_deleted_message_takes_its_card_and_picture(site, room):
    message = post(room, site.url("/page"))
    card = LinkPreview.objects.get(message=message)
    services.message_delete(message_id=message.pk, actor=ANN, room=room)
    assert not LinkPreview.objects.exists() and not default_storage.exists(card.image_path)


def test_a_message_deleted_before_its_fetch_ends_gets_no_card(site, room, monkeypatch):
    from rooms import previews

    real_build = previews.build

    def build_after_delete(url):
        services.message_delete(message_id=message.pk, actor=ANN, room=room)
        return real_build(url)

    monkeypatch.setattr(previews, "build", build_after_delete)
    message, _ = services.message_post(room=room, actor=ANN, username="ann", text=site.url("/page"))
    fetcher.drain()
    assert site.hits["/page"] == 1 and not LinkPreview.objects.exists()
    assert not default_storage.exists("previews")  # no picture kept for it either


def test_cleared_history_and_a_purged_room_take_the_pictures(site, room, settings):
    card = LinkPreview.objects.get(message=post(room, site.url("/page")))
    services.room_clear_history(room=room, actor=Actor(guest_key="staff", user_id=1, is_staff=True))
    assert not default_storage.exists(card.image_path) and not LinkPreview.objects.exists()

    settings.ROOM_EMPTY_GRACE_SECONDS = 0
    private = services.room_create_private(actor=ANN)
    card = LinkPreview.objects.get(message=post(private, site.url("/page2")))
    assert services.rooms_purge_empty() == [private.name]
    assert not default_storage.exists(card.image_path) and not LinkPreview.objects.exists()


def test_the_author_removes_the_card_and_it_does_not_come_back(site, room, published):
    message = post(room, site.url("/page"))
    card = LinkPreview.objects.get(message=message)
    with pytest.raises(ChatError) as refused:
        services.preview_remove(message_id=message.pk, room=room, actor=BOB)
    assert refused.value.code == Code.FORBIDDEN
    services.preview_remove(message_id=message.pk, room=room, actor=ANN)
    assert published[-1] == {"id": message.pk, "room": "general", "preview": None}
    assert not default_storage.exists(card.image_path)
    history, _ = room_history(room=room)
    assert "preview" not in history[-1]
    # The same link again in an edit: still no card (the author said so); the cache would have one.
    services.message_edit(message_id=message.pk, room=room, actor=ANN, text=f"{site.url('/page')} !")
    fetcher.drain()
    assert LinkPreview.objects.get(message=message).removed


def test_a_full_queue_drops_links_instead_of_waiting(site, room, settings):
    settings.LINK_PREVIEW_QUEUE_MAX = 1
    settings.LINK_PREVIEW_TIMEOUT = 1  # the slow page ends by its deadline
    services.message_post(room=room, actor=ANN, username="ann", text=site.url("/slow"))  # in flight, not drained
    dropped, _ = services.message_post(room=room, actor=ANN, username="ann", text=site.url("/page"))
    fetcher.drain()
    assert site.hits["/slow"] == 1 and site.hits["/page"] == 0
    assert not LinkPreview.objects.exists()


def test_a_card_removed_while_its_fetch_is_on_its_way_never_shows(site, room, published, monkeypatch):
    from rooms import previews

    real_build = previews.build

    def build_after_removal(url):
        services.preview_remove(message_id=message.pk, room=room, actor=ANN)
        connections.close_all()  # this fetch thread's own connection: the test database is dropped later
        return real_build(url)

    monkeypatch.setattr(previews, "build", build_after_removal)
    message, _ = services.message_post(room=room, actor=ANN, username="ann", text=site.url("/page"))
    fetcher.drain()
    assert site.hits["/page"] == 1 and published == []
    assert LinkPreview.objects.get(message=message).removed
    assert not default_storage.exists("previews")
