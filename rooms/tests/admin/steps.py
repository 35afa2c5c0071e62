"""What the admin tests share: a moderator's browser on the admin, a changelist reader,
look-ups in the database and the ban form.

The moderator is a staff user on the Django admin, driven through the sync test client
from async tests, while WebSocket clients in the room watch each action land live.
"""

import json
import re
from html.parser import HTMLParser

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from rooms.models import AuditEntry, Ban, Message, Room
from rooms.tests.support.client import NOISE as ROOM_NOISE

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


# --- the ban form -------------------------------------------------------------------


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
