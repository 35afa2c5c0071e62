"""The moderator's console: the Django admin, driven through the test client as a
staff user, with WebSocket clients in the room watching each action land live."""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from rooms import rules
from rooms.models import AuditEntry, Ban, Message, Room
from rooms.tests.support.client import NOISE as ROOM_NOISE
from rooms.tests.support.client import owned_room

pytestmark = pytest.mark.django_db(transaction=True)

NOISE = (*ROOM_NOISE, "ack", "typing")


# --- a moderator with a browser -------------------------------------------------------


class Moderator:
    """A staff user's browser on the admin: the sync test client, called from async tests in a thread."""

    def __init__(self, user, client: Client):
        self.user = user
        self.client = client

    @property
    def session_key(self) -> str:
        return self.client.cookies[settings.SESSION_COOKIE_NAME].value

    async def get(self, path: str, **params):
        return await database_sync_to_async(self.client.get)(path, params)

    async def post(self, path: str, data: dict):
        return await database_sync_to_async(self.client.post)(path, data)

    async def action(self, model: str, action: str, objects) -> object:
        """Tick `objects` on the changelist and run `action`, as the admin's action bar does."""
        response = await self.post(
            f"/admin/rooms/{model}/",
            {"action": action, "_selected_action": [obj.pk for obj in objects], "index": 0},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        return response

    async def confirmed_action(self, model: str, action: str, objects, **fields) -> str:
        """An action with a confirmation page: ask, then confirm (with `fields`). Returns the page."""
        selected = [obj.pk for obj in objects]
        path = f"/admin/rooms/{model}/"
        asked = await self.post(path, {"action": action, "_selected_action": selected, "index": 0})
        assert asked.status_code == 200
        confirmed = await self.post(path, {"action": action, "_selected_action": selected, "confirm": "yes", **fields})
        assert confirmed.status_code == 302, confirmed.content.decode()[:3000]
        return asked.content.decode()

    async def close_rooms(self, rooms, reason: str = "") -> str:
        return await self.confirmed_action("room", "close_rooms", rooms, reason=reason)

    async def page_messages(self) -> list[str]:
        """The notices the admin shows on the next page (success and error lines)."""
        html = (await self.get("/admin/")).content.decode()
        return [_text(m) for m in re.findall(r'<li class="(?:success|error|warning|info)">(.*?)</li>', html, re.S)]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@database_sync_to_async
def _make_moderator(username: str, *, superuser: bool) -> Moderator:
    users = get_user_model()
    if superuser:
        user = users.objects.create_superuser(username, f"{username}@example.com", "pw-not-used")
    else:
        user = users.objects.create_user(username, is_staff=True)
    client = Client()
    client.force_login(user)
    return Moderator(user, client)


@pytest.fixture
async def staff() -> Moderator:
    """A superuser logged in to the admin."""
    return await _make_moderator("mod", superuser=True)


class ChangeList(HTMLParser):
    """The rows of an admin changelist: one dict per row, column name -> cell text."""

    def __init__(self, html: str):
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []
        self._in_results = False
        self._cell: str | None = None
        self._row_links: dict[str, str] = {}
        self.feed(html)
        keep = [i for i, row in enumerate(self.rows) if row]  # header rows have no field cells
        self.rows = [self.rows[i] for i in keep]
        self.links = [self.links[i] for i in keep]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "result_list":
            self._in_results = True
        elif self._in_results and tag == "tr" and self._cell is None:
            self.rows.append({})
            self._row_links = {}
            self.links.append(self._row_links)
        elif self._in_results and tag in ("td", "th") and self.rows:
            fields = [c[len("field-") :] for c in (attrs.get("class") or "").split() if c.startswith("field-")]
            if fields:
                self._cell = fields[0]
                self.rows[-1][self._cell] = ""
        elif self._cell is not None and tag == "a" and "href" in attrs:
            self._row_links[self._cell] = attrs["href"]
        elif self._cell is not None and tag == "img":
            self.rows[-1][self._cell] += attrs.get("alt", "")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._cell = None
        elif tag == "table":
            self._in_results = False

    def handle_data(self, data):
        if self._cell is not None:
            self.rows[-1][self._cell] += data.strip()


async def changelist(moderator: Moderator, model: str, **params) -> ChangeList:
    response = await moderator.get(f"/admin/rooms/{model}/", **params)
    assert response.status_code == 200
    return ChangeList(response.content.decode())


def by_name(page: ChangeList) -> dict[str, dict[str, str]]:
    return {row["name"]: row for row in page.rows}


# --- database helpers -----------------------------------------------------------------


@database_sync_to_async
def room(name: str) -> Room:
    return Room.objects.get(key=name.lower())


@database_sync_to_async
def message(message_id: int) -> Message:
    return Message.objects.get(pk=message_id)


@database_sync_to_async
def audit_log() -> list[tuple[str, str, str, str]]:
    return list(AuditEntry.objects.order_by("created_at", "id").values_list("actor", "action", "room", "target"))


@database_sync_to_async
def guest_of(client) -> str:
    from django.contrib.sessions.backends.db import SessionStore

    from rooms.identity import GUEST_KEY

    return SessionStore(session_key=client.session_key)[GUEST_KEY]


# --- 1. rooms changelist ----------------------------------------------------------------


async def test_room_changelist_shows_live_members_and_messages(joined, staff):
    ann = await joined("general", "ann")
    await joined("general", "bob")
    await ann.say("one")
    await ann.say("two")
    rows = by_name(await changelist(staff, "room"))
    general = rows["general"]
    assert general["live_members"] == "2"
    assert general["message_count"] == "2"
    assert general["kind"] == "Topic"
    assert rows["tech"]["live_members"] == "0"
    assert {"created_at", "last_active_at"} <= set(general)


@database_sync_to_async
def make_rooms() -> tuple[Room, Room]:
    """A named room and a private room, made the way people make them."""
    from rooms import services
    from rooms.identity import Actor

    owner = Actor(guest_key="owner-guest")
    named = services.room_create_named(name="book-club", actor=owner)[0]
    private = services.room_create_private(actor=owner)
    return named, private


async def test_room_changelist_filters_by_kind_and_searches_name_code_and_title(staff):
    named, private = await make_rooms()
    everything = {row["name"] for row in (await changelist(staff, "room")).rows}
    assert {"general", "tech", "book-club", private.name} <= everything

    assert [row["name"] for row in (await changelist(staff, "room", kind__exact="private")).rows] == [private.name]
    named_only = {row["name"] for row in (await changelist(staff, "room", kind__exact="named")).rows}
    assert named_only == {"book-club"}
    topics = {row["name"] for row in (await changelist(staff, "room", kind__exact="topic")).rows}
    assert topics == {"general", "tech", "sports", "music", "gaming"}

    assert [row["name"] for row in (await changelist(staff, "room", q="book")).rows] == ["book-club"]
    assert [row["name"] for row in (await changelist(staff, "room", q=private.name.lower())).rows] == [private.name]
    # Private rooms are titled "Private room <code>": a title search finds them all.
    assert [row["name"] for row in (await changelist(staff, "room", q="private room")).rows] == [private.name]
    assert (await changelist(staff, "room", q="no-such-room")).rows == []


def test_room_changelist_queries_do_not_grow_with_rooms(django_assert_max_num_queries):
    from rooms import services
    from rooms.identity import Actor

    user = get_user_model().objects.create_superuser("mod", "mod@example.com", "pw-not-used")
    client = Client()
    client.force_login(user)
    client.get("/admin/rooms/room/")  # warm up: the session's guest id, content types
    process = services.process_register()

    def add_rooms(count: int) -> None:
        start = Room.objects.count()
        for i in range(start, start + count):
            actor = Actor(guest_key=f"guest-{i}")
            room = services.room_create_named(name=f"room-{i}", actor=actor)[0]
            services.presence_enter(
                room=room, actor=actor, username=f"user{i}", connection_id=f"c{i}", process_id=process
            )
            services.message_post(room=room, actor=actor, username=f"user{i}", text="hi")

    def queries() -> int:
        with django_assert_max_num_queries(12) as captured:
            response = client.get("/admin/rooms/room/")
        assert response.status_code == 200
        return len(captured.captured_queries)

    add_rooms(1)
    few = queries()
    add_rooms(20)
    rows = by_name(ChangeList(client.get("/admin/rooms/room/").content.decode()))
    assert (rows["room-20"]["live_members"], rows["room-20"]["message_count"]) == ("1", "1")
    assert queries() == few


async def home_page() -> str:
    """The lobby as a new visitor sees it."""
    return (await database_sync_to_async(Client().get)("/")).content.decode()


# --- 2. room actions ----------------------------------------------------------------------


async def test_closing_a_room_tells_its_members_removes_them_and_archives_it(connect, joined, staff):
    ann = await connect(username="ann")
    await ann.join("book-club", create=True)
    bob = await joined("book-club", "bob")
    sent = await ann.say("last words")
    lobby = await connect(username="carol")  # on the home page, in no room
    await lobby.collect()
    assert 'value="book-club"' in await home_page()

    confirmation = await staff.close_rooms([await room("book-club")], reason="  off-topic flame war ")
    assert "book-club (Named, 2 online now, 1 message)" in _text(confirmation)
    assert 'name="reason"' in confirmation
    assert "Closed: 1." in await staff.page_messages()

    for member in (ann, bob):
        closed = await member.expect("room_closed", skip=(*NOISE, "receive_message"))
        assert closed == {"room": "book-club", "reason": "off-topic flame war"}
        # Still connected, but in no room.
        await member.send("send_message", {"text": "anyone?"})
        assert (await member.expect("error", skip=NOISE))["code"] == "not_in_room"
    assert (await lobby.expect("room_removed", skip=("room_update", "room_updates"))) == {"name": "book-club"}

    # Archived, not deleted: moderators keep the messages; nobody can join it or list it.
    archived = await room("book-club")
    assert archived.closed_at is not None
    assert (await message(sent["id"])).text == "last words"
    await lobby.send("join_room", {"room_name": "book-club"})
    assert (await lobby.expect("error"))["code"] == "room_not_found"
    assert 'value="book-club"' not in await home_page()
    rows = by_name(await changelist(staff, "room", status="closed"))
    assert list(rows) == ["book-club"]
    assert rows["book-club"]["live_members"] == "0"
    assert await audit_log() == [("staff mod", "close_room", "book-club", "")]
    assert await database_sync_to_async(AuditEntry.objects.values_list("detail", flat=True).get)() == (
        "off-topic flame war"
    )


async def test_closing_and_clearing_ask_for_confirmation_first(joined, staff):
    ann = await joined("general", "ann")
    sent = await ann.say("keep me")
    general = await room("general")
    for action in ("close_rooms", "clear_history"):
        asked = await staff.post("/admin/rooms/room/", {"action": action, "_selected_action": [general.pk], "index": 0})
        assert asked.status_code == 200
        assert 'name="confirm"' in asked.content.decode()
    assert await ann.events() == []  # nothing happens until the moderator confirms
    assert (await room("general")).closed_at is None
    assert (await message(sent["id"])).deleted_at is None
    too_long = await staff.post(
        "/admin/rooms/room/",
        {"action": "close_rooms", "_selected_action": [general.pk], "confirm": "yes", "reason": "x" * 201},
    )
    assert too_long.status_code == 200
    assert "errorlist" in too_long.content.decode()
    assert await ann.events() == []
    # Confirmed without a reason: members get the standard one.
    await staff.close_rooms([general])
    assert (await ann.expect("room_closed", skip=NOISE)) == {"room": "general", "reason": "closed by a moderator"}


async def test_closing_a_private_room_is_not_announced_to_the_lobby(connect, staff):
    ann = await connect(username="ann")
    await ann.send("create_room")
    code = (await ann.expect("room_created"))["room"]["name"]
    await ann.join(code)
    lobby = await connect(username="carol")
    await lobby.collect()
    await staff.close_rooms([await room(code)])
    assert (await ann.expect("room_closed", skip=NOISE))["room"] == code
    assert await lobby.events(skip=()) == []


async def test_a_closed_room_can_be_reopened_with_its_history(connect, staff):
    ann = await connect(username="ann")
    await ann.join("book-club", create=True)
    sent = await ann.say("before the storm")
    await staff.close_rooms([await room("book-club")])
    await ann.expect("room_closed", skip=NOISE)
    lobby = await connect(username="carol")

    await staff.action("room", "reopen_rooms", [await room("book-club")])
    assert "Reopened: 1." in await staff.page_messages()
    update = await lobby.expect("room_update")
    assert (update["name"], update["kind"], update["users"]) == ("book-club", "named", 0)
    assert 'value="book-club"' in await home_page()
    confirm = await ann.join("book-club")
    assert [m["id"] for m in confirm["history"]] == [sent["id"]]
    assert [entry[1] for entry in await audit_log()] == ["close_room", "reopen_room"]


async def test_staff_without_change_permission_cannot_run_room_actions(joined):
    ann = await joined("general", "ann")
    viewer = await _make_moderator("viewer", superuser=False)

    @database_sync_to_async
    def grant_view():
        from django.contrib.auth.models import Permission

        viewer.user.user_permissions.add(Permission.objects.get(codename="view_room"))

    await grant_view()
    assert len((await changelist(viewer, "room")).rows) == 5
    general = await room("general")
    for action in ("close_rooms", "lock_rooms", "clear_history"):
        response = await viewer.post(
            "/admin/rooms/room/", {"action": action, "_selected_action": [general.pk], "index": 0}
        )
        assert response.status_code == 200  # the changelist again: there is no such action for them
    assert await ann.events() == []
    assert (await room("general")).closed_at is None
    assert await audit_log() == []


async def test_a_rooms_message_count_links_to_its_messages(joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("tech", "bob")
    hello = await ann.say("hello")
    await bob.say("elsewhere")
    page = await changelist(staff, "room")
    row, links = next(
        (row, links) for row, links in zip(page.rows, page.links, strict=True) if row["name"] == "general"
    )
    assert row["message_count"] == "1"
    listed = await staff.get(links["message_count"])
    assert listed.status_code == 200
    assert [int(row["id"]) for row in ChangeList(listed.content.decode()).rows] == [hello["id"]]


async def test_lock_and_unlock_from_the_admin_take_effect_live(connect, joined, staff):
    ann = await joined("general", "ann")
    moderator = await connect(session=staff.session_key)
    await moderator.join("general", "mod")
    await ann.collect()

    await staff.action("room", "lock_rooms", [await room("general")])
    for client in (ann, moderator):
        assert await client.expect("room_state", skip=NOISE) == {"room": "general", "locked": True, "slow_mode": 0}
    await ann.send("send_message", {"text": "hello?", "client_id": "a1"})
    error = await ann.expect("error", skip=NOISE)
    assert (error["code"], error["client_id"]) == ("room_locked", "a1")
    assert (await moderator.say("staff may speak"))["text"] == "staff may speak"
    assert (await ann.expect("receive_message", skip=NOISE))["text"] == "staff may speak"
    # A newcomer learns the state on joining.
    bob = await connect(username="bob")
    assert (await bob.join("general"))["locked"] is True
    rows = by_name(await changelist(staff, "room", locked__exact="1"))
    assert list(rows) == ["general"]

    await staff.action("room", "unlock_rooms", [await room("general")])
    assert (await ann.expect("room_state", skip=NOISE))["locked"] is False
    assert (await ann.say("thanks"))["text"] == "thanks"
    actions = [entry[1] for entry in await audit_log()]
    assert actions == ["lock_room", "unlock_room"]


async def test_the_room_change_form_locks_sets_slow_mode_and_renames_live(connect, joined, staff):
    ann = await joined("general", "ann")
    lobby = await connect(username="carol")
    await lobby.collect()
    general = await room("general")
    response = await staff.post(
        f"/admin/rooms/room/{general.pk}/change/",
        {"title": "General chat", "locked": "on", "slow_mode_seconds": "5", "_save": "Save"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    state = await ann.expect("room_state", skip=NOISE)
    assert state["locked"] is True
    final = state if state["slow_mode"] == 5 else await ann.expect("room_state", skip=NOISE)
    assert final == {"room": "general", "locked": True, "slow_mode": 5}
    update = await lobby.expect("room_update")
    assert (update["name"], update["title"], update["users"]) == ("general", "General chat", 1)
    saved = await room("general")
    assert (saved.title, saved.locked, saved.slow_mode_seconds) == ("General chat", True, 5)
    assert {entry[1] for entry in await audit_log()} == {"lock_room", "slow_mode", "rename_room"}


async def test_renaming_a_private_room_reaches_only_its_members(connect, staff):
    ann, code = await owned_room(connect)
    lobby = await connect(username="carol")
    private = await room(code)
    response = await staff.post(
        f"/admin/rooms/room/{private.pk}/change/", {"title": "Book club", "slow_mode_seconds": "0", "_save": "Save"}
    )
    assert response.status_code == 302
    update = await ann.expect("room_update", skip=("member_list", "system_message"))
    assert (update["name"], update["title"], update["users"]) == (code, "Book club", 1)
    assert await lobby.events(skip=()) == []


async def test_the_room_change_form_refuses_bad_values_with_form_errors(staff):
    general = await room("general")
    response = await staff.post(
        f"/admin/rooms/room/{general.pk}/change/",
        {"title": "", "slow_mode_seconds": str(rules.SLOW_MODE_MAX_SECONDS + 1), "_save": "Save"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="errorlist') >= 2
    saved = await room("general")
    assert (saved.title, saved.slow_mode_seconds) == ("General", 0)
    assert await audit_log() == []


async def test_clearing_history_empties_every_open_page_and_new_joins(connect, joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    for text in ("one", "two", "three"):
        await ann.say(text)
    await bob.collect()

    confirmation = await staff.confirmed_action("room", "clear_history", [await room("general")])
    assert "general (Topic, 2 online now, 3 messages)" in _text(confirmation)
    assert "Cleared: 1." in await staff.page_messages()

    for client in (ann, bob):
        assert await client.expect("history_cleared", skip=(*NOISE, "receive_message")) == {"room": "general"}
    newcomer = await connect(username="cat")
    confirm = await newcomer.join("general")
    assert (confirm["history"], confirm["has_more"]) == ([], False)
    await bob.send("history", {})
    assert (await bob.expect("history", skip=NOISE))["messages"] == []
    # Talk goes on afterwards.
    assert (await ann.say("fresh start"))["text"] == "fresh start"
    assert await audit_log() == [("staff mod", "clear_history", "general", "")]


# --- 3. messages admin --------------------------------------------------------------------


async def test_message_changelist_searches_text_author_and_room(joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("tech", "bob")
    hello = await ann.say("hello everyone")
    question = await bob.say("anyone into rust?")  # another room: bob hears only his own
    other = await ann.say("rust is fine")

    def ids(page):
        return sorted(int(row["id"]) for row in page.rows)

    assert ids(await changelist(staff, "message", q="hello")) == [hello["id"]]
    assert ids(await changelist(staff, "message", q="rust")) == sorted([question["id"], other["id"]])
    assert ids(await changelist(staff, "message", q="bob")) == [question["id"]]
    assert ids(await changelist(staff, "message", q="tech")) == [question["id"]]
    assert ids(await changelist(staff, "message", q="general")) == sorted([hello["id"], other["id"]])
    assert ids(await changelist(staff, "message", q="nothing like this")) == []


def test_message_and_ban_changelists_queries_do_not_grow(django_assert_max_num_queries):
    from rooms import services
    from rooms.identity import Actor

    user = get_user_model().objects.create_superuser("mod", "mod@example.com", "pw-not-used")
    client = Client()
    client.force_login(user)
    moderator = Actor(guest_key="mod-guest", user_id=user.pk, is_staff=True, user_name="mod")
    general = Room.objects.get(key="general")

    def add(count: int) -> None:
        for i in range(count):
            author = Actor(guest_key=f"author-{Message.objects.count()}")
            services.message_post(room=general, actor=author, username="someone", text=f"message {i}")
            services.ban_create(actor=moderator, guest_key=author.guest_key, room=general, reason="test")

    def queries(path: str) -> int:
        with django_assert_max_num_queries(12) as captured:
            assert client.get(path).status_code == 200
        return len(captured.captured_queries)

    add(1)
    few = [queries("/admin/rooms/message/"), queries("/admin/rooms/ban/")]
    add(20)
    assert len(ChangeList(client.get("/admin/rooms/message/").content.decode()).rows) == 21
    assert [queries("/admin/rooms/message/"), queries("/admin/rooms/ban/")] == few


async def assert_gone_everywhere(message_id: int, watchers, connect, room_name: str = "general") -> None:
    """Every open page hears the removal by a moderator; history never shows it again."""
    for client in watchers:
        deleted = await client.expect("message_deleted", skip=(*NOISE, "receive_message"))
        assert deleted == {"id": message_id, "room": room_name, "by": "moderator"}
    newcomer = await connect(username=f"late{message_id}")
    confirm = await newcomer.join(room_name)
    assert message_id not in [m["id"] for m in confirm["history"]]
    await newcomer.send("history", {"before_id": message_id + 1000})
    assert message_id not in [m["id"] for m in (await newcomer.expect("history", skip=NOISE))["messages"]]
    row = await message(message_id)  # soft: kept for the record, never .delete()d
    assert row.deleted_at is not None and row.deleted_by == "moderator"


async def test_deleting_a_message_from_its_admin_page_removes_it_live(connect, joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    keep = await ann.say("keep me")
    spam = await ann.say("buy cheap stuff")
    await bob.collect()

    page = (await staff.get(f"/admin/rooms/message/{spam['id']}/change/")).content.decode()
    assert 'name="_save"' not in page  # messages are evidence: nothing to edit
    assert f"/admin/rooms/message/{spam['id']}/delete/" in page
    response = await staff.post(f"/admin/rooms/message/{spam['id']}/delete/", {"post": "yes"})
    assert response.status_code == 302

    await assert_gone_everywhere(spam["id"], (ann, bob), connect)
    assert (await message(keep["id"])).deleted_at is None
    assert await audit_log() == [("staff mod", "delete_message", "general", f"message {spam['id']}")]
    # Removed already: the delete page refuses rather than failing.
    assert (await staff.get(f"/admin/rooms/message/{spam['id']}/delete/")).status_code == 403


async def test_the_bulk_remove_action_removes_each_message_live(connect, joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    first = await ann.say("spam one")
    await bob.collect()
    second = await bob.say("spam two")
    keep = await bob.say("fine")
    await ann.collect()

    await staff.action("message", "remove_messages", [await message(first["id"]), await message(second["id"])])
    assert "Removed: 2." in await staff.page_messages()

    for client in (ann, bob):
        frames = [data for event, data in await client.collect(seconds=0.5) if event == "message_deleted"]
        assert sorted(f["id"] for f in frames) == sorted([first["id"], second["id"]])
        assert {f["by"] for f in frames} == {"moderator"}
    newcomer = await connect(username="cat")
    assert [m["id"] for m in (await newcomer.join("general"))["history"]] == [keep["id"]]
    removed = {row["id"]: row["removed"] for row in (await changelist(staff, "message", removed="yes")).rows}
    assert removed == {str(first["id"]): "True", str(second["id"]): "True"}


async def test_delete_queryset_goes_through_the_service(connect, joined, staff):
    """What Django's bulk delete would call: it must remove softly and live, not DELETE rows."""
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    spam = await ann.say("spam")
    await bob.collect()

    @database_sync_to_async
    def delete_queryset():
        from django.contrib import admin
        from django.contrib.messages.storage.fallback import FallbackStorage
        from django.contrib.sessions.backends.db import SessionStore
        from django.test import RequestFactory

        request = RequestFactory().post("/admin/rooms/message/")
        request.user, request.session = staff.user, SessionStore()
        request._messages = FallbackStorage(request)
        admin.site._registry[Message].delete_queryset(request, Message.objects.filter(pk=spam["id"]))

    await delete_queryset()
    await assert_gone_everywhere(spam["id"], (ann, bob), connect)


# --- 4. bans ------------------------------------------------------------------------------


def split_datetime(moment) -> dict[str, str]:
    """The admin's two inputs for a date and a time."""
    return {"until_0": moment.strftime("%Y-%m-%d"), "until_1": moment.strftime("%H:%M:%S")}


async def add_ban(moderator: Moderator, **fields) -> object:
    """Fill in and submit the ban add form."""
    data = {"guest_key": "", "user": "", "room": "", "until_0": "", "until_1": "", "reason": "", "_save": "Save"}
    data.update({key: str(value) for key, value in fields.items()})
    return await moderator.post("/admin/rooms/ban/add/", data)


async def read_until_closed(client) -> tuple[list[tuple[str, dict]], int]:
    """Every frame up to the server closing the socket, and the close code."""
    frames = []
    while True:
        output = await client.communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return frames, output.get("code")
        frame = json.loads(output["text"])
        frames.append((frame["event"], frame["data"]))


@database_sync_to_async
def bans() -> list[Ban]:
    return list(Ban.objects.select_related("room").order_by("id"))


@database_sync_to_async
def expire(ban: Ban) -> None:
    """Let time pass for a ban: its end is now in the past."""
    Ban.objects.filter(pk=ban.pk).update(until=timezone.now() - timedelta(seconds=1))


async def test_a_room_ban_from_the_add_form_removes_the_guest_live(connect, joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    await ann.collect()
    until = timezone.now().replace(microsecond=0) + timedelta(hours=2)
    general = await room("general")

    response = await add_ban(
        staff, guest_key=await guest_of(ann), room=general.pk, reason="spamming links", **split_datetime(until)
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    kicked = await ann.expect("kicked", skip=NOISE)
    assert kicked["room"] == "general"
    assert "spamming links" in kicked["reason"]
    notice = await bob.expect("system_message", skip=("room_update", "room_updates"))
    assert notice["text"] == "ann was removed"
    assert (await bob.expect("member_list", skip=("room_update", "room_updates")))["members"] == ["bob"]
    # Still connected, in no room, and kept out of that room until the ban ends.
    await ann.send("send_message", {"text": "hey"})
    assert (await ann.expect("error", skip=NOISE))["code"] == "not_in_room"
    await ann.send("join_room", {"room_name": "general"})
    refused = await ann.expect("error", skip=NOISE)
    assert refused["code"] == "banned"
    assert refused["until"] == until.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    # Other rooms are open to them.
    assert (await ann.join("tech"))["room"]["name"] == "tech"

    [ban] = await bans()
    assert (ban.room_id, ban.until, ban.reason, ban.created_by) == (general.pk, until, "spamming links", "staff mod")
    assert await audit_log() == [("staff mod", "ban", "general", str(ban))]


async def test_a_site_ban_closes_every_socket_of_the_guest(connect, joined, staff):
    ann = await joined("general", "ann")
    ann_tab = await connect(session=ann.session_key)  # a second tab, on the lobby
    bob = await joined("general", "bob")
    await ann.collect()

    response = await add_ban(staff, guest_key=await guest_of(ann), reason="abuse")
    assert response.status_code == 302, response.content.decode()[:3000]

    for socket in (ann, ann_tab):
        frames, code = await read_until_closed(socket)
        errors = [data for event, data in frames if event == "error"]
        assert [(e["code"], e["until"]) for e in errors] == [("banned", None)]
        assert "abuse" in errors[0]["message"]
        assert code == 4003
    assert (await bob.expect("system_message", skip=("room_update", "room_updates")))["text"] == "ann was removed"
    # Coming back with the same session: refused everywhere.
    again = await connect(session=ann.session_key)
    await again.send("join_room", {"room_name": "tech"})
    assert (await again.expect("error"))["code"] == "banned"
    assert (await bob.say("peace"))["text"] == "peace"


@database_sync_to_async
def member_user(username: str) -> tuple[object, str]:
    """A person with an account (not staff), logged in: their user and session key."""
    user = get_user_model().objects.create_user(username, password="pw-not-used")
    client = Client()
    client.force_login(user)
    return user, client.cookies[settings.SESSION_COOKIE_NAME].value


async def test_bans_by_user_account_per_room_and_site_wide(connect, joined, staff):
    user, session = await member_user("dora")
    dora = await connect(session=session)
    await dora.join("general", "dora")
    general = await room("general")

    assert (await add_ban(staff, user=user.pk, room=general.pk, reason="off topic")).status_code == 302
    assert (await dora.expect("kicked", skip=NOISE))["room"] == "general"
    await dora.send("join_room", {"room_name": "general"})
    assert (await dora.expect("error", skip=NOISE))["code"] == "banned"
    # A new session of the same account is still the same person.
    _, other_session = await database_sync_to_async(_login_again)(user)
    elsewhere = await connect(session=other_session)
    await elsewhere.send("join_room", {"room_name": "general", "username": "dora"})
    assert (await elsewhere.expect("error"))["code"] == "banned"

    await dora.join("tech")
    assert (await add_ban(staff, user=user.pk, reason="enough")).status_code == 302
    for socket in (dora, elsewhere):
        frames, code = await read_until_closed(socket)
        assert ([d["code"] for e, d in frames if e == "error"][0], code) == ("banned", 4003)


def _login_again(user) -> tuple[object, str]:
    client = Client()
    client.force_login(user)
    return user, client.cookies[settings.SESSION_COOKIE_NAME].value


async def test_an_expired_ban_no_longer_blocks(connect, joined, staff):
    ann = await joined("general", "ann")
    until = timezone.now() + timedelta(minutes=10)
    general = await room("general")
    assert (
        await add_ban(staff, guest_key=await guest_of(ann), room=general.pk, **split_datetime(until))
    ).status_code == 302
    await ann.expect("kicked", skip=NOISE)
    await ann.send("join_room", {"room_name": "general"})
    assert (await ann.expect("error", skip=NOISE))["code"] == "banned"
    in_force = {row["__str__"]: row["active"] for row in (await changelist(staff, "ban")).rows}
    assert list(in_force.values()) == ["True"]

    [ban] = await bans()
    await expire(ban)
    assert (await ann.join("general"))["room"]["name"] == "general"
    assert (await changelist(staff, "ban", active="yes")).rows == []
    assert len((await changelist(staff, "ban", active="no")).rows) == 1


async def test_with_several_bans_the_refusal_names_the_last_to_end(connect, staff):
    ann = await connect(username="ann")
    guest, general = await guest_of(ann), await room("general")
    soon = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    later = soon + timedelta(hours=1)
    for until in (soon, later):
        await add_ban(staff, guest_key=guest, room=general.pk, **split_datetime(until))
    await ann.send("join_room", {"room_name": "general"})
    assert (await ann.expect("error"))["until"] == later.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    await add_ban(staff, guest_key=guest, room=general.pk, reason="for good")
    await ann.send("join_room", {"room_name": "general"})
    refused = await ann.expect("error")
    assert (refused["code"], refused["until"]) == ("banned", None)
    assert "for good" in refused["message"]


async def test_lifting_a_ban_lets_them_back(connect, staff):
    ann = await connect(username="ann")
    assert (await add_ban(staff, guest_key=await guest_of(ann), reason="cool off")).status_code == 302
    frames, code = await read_until_closed(ann)
    assert code == 4003
    [ban] = await bans()
    page = (await staff.get(f"/admin/rooms/ban/{ban.pk}/change/")).content.decode()
    assert 'name="_save"' not in page  # a ban is lifted, never edited
    assert f"/admin/rooms/ban/{ban.pk}/delete/" in page

    response = await staff.post(f"/admin/rooms/ban/{ban.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert await bans() == []
    back = await connect(session=ann.session_key)
    assert (await back.join("general", "ann"))["room"]["name"] == "general"
    assert [entry[1] for entry in await audit_log()] == ["ban", "unban"]


async def test_lifting_several_bans_at_once(connect, staff):
    ann = await connect(username="ann")
    bob = await connect(username="bob")
    general = await room("general")
    for client in (ann, bob):
        assert (await add_ban(staff, guest_key=await guest_of(client), room=general.pk)).status_code == 302
    selected = [ban.pk for ban in await bans()]
    asked = await staff.post(
        "/admin/rooms/ban/", {"action": "delete_selected", "_selected_action": selected, "index": 0}
    )
    assert asked.status_code == 200  # Django's "are you sure?"
    done = await staff.post(
        "/admin/rooms/ban/", {"action": "delete_selected", "_selected_action": selected, "post": "yes"}
    )
    assert done.status_code == 302
    assert await bans() == []
    for client, name in ((ann, "ann"), (bob, "bob")):
        assert (await client.join("general", name))["room"]["name"] == "general"
    assert [entry[1] for entry in await audit_log()] == ["ban", "ban", "unban", "unban"]


async def test_the_ban_form_explains_its_mistakes(joined, staff):
    ann = await joined("general", "ann")
    nobody = await add_ban(staff, reason="who?")
    assert nobody.status_code == 200
    assert "Ban a guest (their guest id) or a user." in nobody.content.decode()
    past = await add_ban(staff, guest_key=await guest_of(ann), **split_datetime(timezone.now() - timedelta(minutes=1)))
    assert past.status_code == 200
    assert "That time has passed" in past.content.decode()
    assert await bans() == []
    assert await ann.events() == []  # nobody was thrown out by a ban that never was
    assert (await ann.say("still here"))["text"] == "still here"


async def test_a_message_links_to_a_ban_form_filled_in_with_its_author(connect, joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    spam = await ann.say("buy now")
    await bob.collect()

    page = await changelist(staff, "message", q="buy now")
    [links] = page.links
    form = (await staff.get(links["ban_author"])).content.decode()
    assert 'use its "ban" link' in form.replace("&quot;", '"')
    guest = await guest_of(ann)
    assert f'value="{guest}"' in form  # the guest id a moderator could not have typed
    general = await room("general")
    assert f'name="room" value="{general.pk}"' in form
    assert f"message {spam['id']}" in form

    # Submit the form as it came, adding a reason.
    prefilled = {key: values[0] for key, values in parse_qs(urlsplit(links["ban_author"]).query).items()}
    prefilled["reason"] += ": spam"
    assert (await add_ban(staff, **prefilled)).status_code == 302
    assert (await ann.expect("kicked", skip=(*NOISE, "receive_message")))["room"] == "general"
    [ban] = await bans()
    assert (ban.guest_key, ban.room_id, ban.until) == (guest, general.pk, None)


async def test_ban_author_actions_on_messages(connect, joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    spam = await ann.say("spam")
    more = await ann.say("more spam")
    await bob.collect()
    abuse = await bob.say("abuse")
    await ann.collect()

    await staff.action("message", "ban_authors_from_room", [await message(spam["id"]), await message(more["id"])])
    assert "Banned: 1." in await staff.page_messages()  # one author, one ban
    assert (await ann.expect("kicked", skip=NOISE))["room"] == "general"
    await ann.send("join_room", {"room_name": "general"})
    refused = await ann.expect("error", skip=NOISE)
    assert refused["code"] == "banned"
    assert f"message {spam['id']}: spam" in refused["message"]
    [room_ban] = await bans()
    assert timedelta(hours=23) < room_ban.until - timezone.now() <= timedelta(hours=24)
    assert (await bob.say("still here"))["text"] == "still here"

    await staff.action("message", "ban_authors_from_site", [await message(abuse["id"])])
    frames, code = await read_until_closed(bob)
    assert code == 4003
    assert [(b.guest_key, b.room_id) for b in await bans()][1] == (await guest_of(bob), None)


# --- 5. audit log ---------------------------------------------------------------------------


async def test_room_owner_actions_are_in_the_audit_log(connect, staff):
    ann, code = await owned_room(connect)
    bob = await connect(username="bob")
    await bob.join(code)
    spam = await bob.say("spam")
    await ann.send("lock_room", {"locked": True})
    await ann.send("set_slow_mode", {"seconds": 10})
    await ann.send("delete_message", {"id": spam["id"]})
    await ann.send("kick_member", {"username": "bob"})
    await bob.expect("kicked", skip=(*NOISE, "receive_message", "room_state", "message_deleted"))

    owner = f"guest {(await guest_of(ann))[:8]}"
    assert await audit_log() == [
        (owner, "lock_room", code, ""),
        (owner, "slow_mode", code, ""),
        (owner, "delete_message", code, f"message {spam['id']}"),
        (owner, "kick", code, "bob"),
    ]
    rows = (await changelist(staff, "auditentry")).rows
    assert [(row["actor"], row["action"], row["room"]) for row in rows][0] == (owner, "kick", code)
    assert {row["action"] for row in rows} == {"lock_room", "slow_mode", "delete_message", "kick"}
    assert all(row["created_at"] for row in rows)
    # Searchable, and filterable by action.
    assert [row["target"] for row in (await changelist(staff, "auditentry", action__exact="kick")).rows] == ["bob"]
    assert [row["action"] for row in (await changelist(staff, "auditentry", q="bob")).rows] == ["kick"]


async def test_the_audit_log_is_read_only_even_for_superusers(joined, staff):
    ann = await joined("general", "ann")
    await staff.action("room", "lock_rooms", [await room("general")])
    await ann.expect("room_state", skip=NOISE)
    [entry] = await database_sync_to_async(list)(AuditEntry.objects.all())

    assert (await staff.get("/admin/rooms/auditentry/add/")).status_code == 403
    page = await staff.get(f"/admin/rooms/auditentry/{entry.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "lock_room" in html
    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html
    assert "/delete/" not in html
    changes = await staff.post(
        f"/admin/rooms/auditentry/{entry.pk}/change/", {"actor": "someone else", "action": "nothing"}
    )
    assert changes.status_code == 403
    assert (await staff.get(f"/admin/rooms/auditentry/{entry.pk}/delete/")).status_code == 403
    assert (await staff.post(f"/admin/rooms/auditentry/{entry.pk}/delete/", {"post": "yes"})).status_code == 403
    listing = (await staff.get("/admin/rooms/auditentry/")).content.decode()
    assert "delete_selected" not in listing
    assert "/admin/rooms/auditentry/add/" not in listing
    assert await audit_log() == [("staff mod", "lock_room", "general", "")]
