"""The terminal client's screens: connect (server, name or account), then chat.

The chat screen has the rooms with their live counts and, below them, your
direct conversations on the left (both with unread counts; each person in a
conversation after an online dot, ● or ○; moving to the last one listed pages
in older ones with `inbox_more`), the room's
messages in the middle, its members on the right, and a composer below.
Typing `/help` lists the commands; Up in an empty composer edits your last
message, PageUp at the top of the messages fetches older ones. Everything the
server says goes through `ChatScreen.handle`, one branch per event of
docs/protocol.md; user text is always shown as plain text, never as markup.
"""

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from rooms.client.connection import Connection
from rooms.client.server import LoginFailed, Server
from rooms.errors import ChatError

TYPING_EVERY = 2.0  # the server passes on one `typing` per 2 s per socket; sending more is waste
TYPING_SHOWN = 4.0  # how long "ann is typing…" stays without another
MARK_READ_EVERY_SECONDS = 2.0  # see mark_read_soon
HELP = """Commands (Tab moves between the rooms, the messages and this line):
  /join NAME-OR-CODE  join a room (or Enter on one in the list)
  /create NAME        create a public room and join it
  /new                create a private room and join it
  /msg NAME [NAME…]   a direct conversation with them (or Enter on one in the list;
                      commas between names that have spaces)
  /leave              leave the room
  /nick NAME          use another display name here
  /edit TEXT          replace your last message (or Up, then Enter)
  /delete             delete your last message
  /more               older messages (or PageUp at the top)
  /find TEXT          search the public rooms by name
  /search TEXT        search every message you may read (in:room from:name "a phrase"
                      before:/after:YYYY-MM-DD has:link); /search alone: the next results
  /block NAME         hide their messages and refuse their direct messages
  /unblock NAME       undo that
  /quit               leave (or Ctrl+Q)"""


@dataclass
class Settings:
    """What the person chose on the command line or the connect screen."""

    url: str = "http://127.0.0.1:8000"
    username: str = ""
    room: str = "general"
    account: str = ""
    password: str = ""
    insecure: bool = False
    cafile: str | None = None


def people_names(conversation: dict[str, Any]) -> str:
    """A conversation is called by its other people's names, as on the page."""
    return ", ".join(person["username"] for person in conversation.get("people", [])) or "just you"


def people_with_dots(conversation: dict[str, Any]) -> str:
    """The other people's names, each after its online dot (● in some room now, ○ not), as the page's faces show."""
    people = conversation.get("people", [])
    return ", ".join(f"{'●' if person.get('online') else '○'} {person['username']}" for person in people) or "just you"


def highlighted(snippet: str, ranges: list[list[int]]) -> Text:
    """A search snippet with its matched words in bold; `ranges` count UTF-16 code units, as JavaScript does."""
    # Python indexes code points: an emoji is one here and two there, so each offset is mapped back.
    units, at = [], 0
    for char in snippet:
        units.append(at)
        at += 2 if ord(char) > 0xFFFF else 1
    units.append(at)
    index = {unit: i for i, unit in enumerate(units)}
    text = Text(snippet)
    for start, end in ranges:
        if start in index and end in index:
            text.stylize("bold reverse", index[start], index[end])
    return text


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    return f"{size / 1000:.1f} KB" if size < 1_000_000 else f"{size / 1_000_000:.1f} MB"


def clock(ts: str | None) -> str:
    """A message's time as HH:MM in the terminal's local zone."""
    if not ts:
        return "--:--"
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone().strftime("%H:%M")
    except ValueError:
        return "--:--"


class MessageLine(Static):
    """One message; keeps its data so an edit or a deletion can redraw it."""

    def __init__(self, message: dict[str, Any], mine: bool):
        self.message = message
        self.mine = mine
        super().__init__(self._text(), classes="message mine" if mine else "message")

    def _text(self) -> Text:
        line = Text.assemble(
            (clock(self.message.get("ts")) + " ", "dim"),
            (self.message["username"], "bold cyan" if self.mine else "bold"),
            ("✓ " if self.message.get("account") else " ", "green"),
        )
        line.append(self.message["text"])
        if self.message.get("edited_at"):
            line.append(" (edited)", "dim")
        # A terminal draws no pictures: each file as its kind, name and size; a link's card as its site and title.
        for attachment in self.message.get("attachments") or []:
            kind, name = attachment.get("kind", "file"), attachment.get("name", "")
            line.append(f"\n      [{kind}] {name} ({human_size(attachment.get('size') or 0)})", "dim")
        if card := self.message.get("preview"):
            about = " · ".join(part for part in (card.get("site"), card.get("title")) if part)
            line.append(f"\n      ↳ {about or card.get('url', '')}", "dim italic")
        return line

    def set_preview(self, preview: dict[str, Any] | None) -> None:
        self.message["preview"] = preview
        self.update(self._text())

    def edited(self, text: str, edited_at: str | None) -> None:
        self.message.update(text=text, edited_at=edited_at or "edited")
        self.update(self._text())


class PendingLine(Static):
    """A message sent but not yet in the room (no `receive_message` yet): "sending…"."""

    def __init__(self, client_id: str, text: str):
        self.wanted = text
        super().__init__(Text.assemble(("sending… ", "dim"), text), id=f"pending-{client_id}", classes="pending")


class Notice(Static):
    """A line that is not a message: join/leave notices, your own actions, errors."""

    def __init__(self, text: str, kind: str = "notice"):
        style = {"error": "bold red", "notice": "italic dim", "info": "italic"}[kind]
        super().__init__(Text(text, style=style), classes=kind)


class Composer(Input):
    """The message line; Up on an empty line edits your last message."""

    BINDINGS = [Binding("up", "edit_last", "Edit last message", show=False)]

    def action_edit_last(self) -> None:
        if not self.value:
            self.screen.edit_last()


class ConnectScreen(Screen):
    """Where to connect and as whom."""

    def __init__(self, settings: Settings):
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        s = self.settings
        with Vertical(id="connect-form"):
            yield Label("chatsite", id="connect-title")
            yield Label("Server")
            yield Input(s.url, placeholder="https://chat.example or http://127.0.0.1:8000", id="url")
            yield Label("Display name (as a guest)")
            yield Input(s.username, placeholder="your name", id="username")
            yield Label("…or an account and its password")
            yield Input(s.account, placeholder="account (optional)", id="account")
            yield Input(s.password, placeholder="password", password=True, id="password")
            yield Label("Room")
            yield Input(s.room, placeholder="general, a room name or a private code", id="room")
            yield Button("Connect", variant="primary", id="connect")
            yield Static("", id="connect-error")

    def on_mount(self) -> None:
        self.query_one("#username" if self.settings.url else "#url", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#connect")
    def submit(self) -> None:
        value = {name: self.query_one(f"#{name}", Input).value.strip() for name in ("url", "username", "room")}
        account = self.query_one("#account", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not value["username"] and not account:
            self.show_error("Type a display name, or an account and its password.")
            return
        self.settings.url, self.settings.username, self.settings.room = value["url"], value["username"], value["room"]
        self.settings.account, self.settings.password = account, password
        self.show_error("Connecting…")
        self.app.sign_in()

    def show_error(self, text: str) -> None:
        self.query_one("#connect-error", Static).update(Text(text, style="bold red"))


class ChatScreen(Screen):
    """One room at a time, the lobby beside it."""

    BINDINGS = [
        Binding("pageup", "older", "Older messages", priority=True),
        Binding("pagedown", "newer", "Newer", show=False, priority=True),
        Binding("escape", "cancel_edit", "Cancel editing", show=False),
    ]

    def __init__(self, connection: Connection, settings: Settings):
        super().__init__()
        self.connection = connection
        self.settings = settings
        self.rooms: dict[str, dict[str, Any]] = {}  # the lobby, by name
        self.lobby_limit = 50  # room_list's `limit` replaces it
        self.room: dict[str, Any] | None = None
        self.members: list[str] = []
        self.accounts: set[str] = set()
        self.has_more = False
        self.editing: int | None = None  # the id of the message being edited
        self.state = "connecting"
        self.typists: dict[str, asyncio.TimerHandle] = {}
        self.last_typing = 0.0
        self.history_asked = False
        self.was_in_room = False
        self.conversations: dict[str, dict[str, Any]] = {}  # your direct conversations, by identifier
        self.unread: dict[str, int] = {}  # every room and conversation you belong to → unread count
        self.asked: set[str] = set()  # conversations asked for (get_conversation): news in one not listed
        self.inbox_more = False  # older conversations than those listed exist (inbox.more, inbox_page.more)
        self.inbox_asking: str | None = None  # the `before` of the inbox_more sent, until its inbox_page comes
        self.read_up_to: tuple[str, int] | None = None  # the last mark_read sent: (room, id)
        self.mark_read_timer = None  # a mark_read due soon (mark_read_soon), and what it will say
        self.read_due: tuple[str, int] = ("", 0)
        self.blocked: dict[str, str] = {}  # the people you blocked: author token → display name
        self.search_next: tuple[str, int] | None = None  # the last search and the `before` of its next page

    def compose(self) -> ComposeResult:
        yield Static("", id="status")
        with Horizontal(id="panes"):
            with Vertical(id="lobby"):
                yield Label("Rooms", classes="pane-title")
                yield OptionList(id="rooms")
                yield Label("Direct messages", classes="pane-title")
                yield OptionList(id="directs")
            yield VerticalScroll(id="messages")
            with Vertical(id="people"):
                yield Label("Members", classes="pane-title")
                yield Static("", id="members")
        yield Static("", id="typing")
        yield Composer(placeholder="Message, or /help", id="composer")

    def on_mount(self) -> None:
        self.query_one("#composer").focus()
        self.show_status()

    # --- what is shown ----------------------------------------------------

    @property
    def feed(self) -> VerticalScroll:
        return self.query_one("#messages", VerticalScroll)

    def add(self, widget: Static, *, before: Static | None = None) -> None:
        feed = self.feed
        at_end = feed.scroll_y >= feed.max_scroll_y - 1
        if before is not None:
            feed.mount(widget, before=before)
        else:
            feed.mount(widget)
            if at_end:
                feed.scroll_end(animate=False)

    def notice(self, text: str, kind: str = "notice") -> None:
        self.add(Notice(text, kind))

    def error(self, data: dict[str, Any]) -> None:
        """An error, plainly: the server's sentence, then its stable code."""
        self.notice(f"⚠ {data.get('message') or 'Refused.'} [{data.get('code', 'error')}]", "error")

    def lines(self) -> list[MessageLine]:
        return list(self.feed.query(MessageLine))

    def line(self, message_id: int) -> MessageLine | None:
        return next((line for line in self.lines() if line.message["id"] == message_id), None)

    def room_title(self, room: dict[str, Any]) -> str:
        if room["kind"] == "direct":
            conversation = self.conversations.get(room["name"])
            return f"direct with {people_names(conversation)}" if conversation else "a direct conversation"
        return f"#{room['name']}" if room["kind"] != "private" else f"{room['title']} (code {room['name']})"

    def show_status(self) -> None:
        where = ""
        if self.room is not None:
            where = f" · {self.room_title(self.room)} as {self.connection.username}"
        state = {"connected": "● connected", "connecting": "○ connecting…", "reconnecting": "○ reconnecting…"}
        text = state.get(self.state, self.state)
        if self.editing is not None:
            where += " · editing your last message: Enter saves, Esc cancels"
        self.query_one("#status", Static).update(Text(text + where))

    def show_rooms(self) -> None:
        options = self.query_one("#rooms", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for name, room in self.rooms.items():
            options.add_option(Option(Text(f"#{name} {room['users']}{self.unread_mark(name)}"), id=name))
        if highlighted is not None and options.option_count:
            options.highlighted = min(highlighted, options.option_count - 1)

    def unread_mark(self, room: str) -> str:
        count = 0 if self.room is not None and self.room["name"] == room else self.unread.get(room, 0)
        return f" ({count} new)" if count else ""

    def show_directs(self) -> None:
        options = self.query_one("#directs", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for conversation in self.newest_conversations():
            room = conversation["room"]
            options.add_option(Option(Text(f"{people_with_dots(conversation)}{self.unread_mark(room)}"), id=room))
        if highlighted is not None and options.option_count:
            options.highlighted = min(highlighted, options.option_count - 1)

    def newest_conversations(self) -> list[dict[str, Any]]:
        """Newest activity first, ties by identifier, as the server pages them and the page lists them."""
        by_room = sorted(self.conversations.values(), key=lambda c: c["room"], reverse=True)
        return sorted(by_room, key=lambda c: c.get("last_active") or "", reverse=True)

    def show_members(self) -> None:
        text = Text()
        for name in self.members:
            text.append(name, "bold cyan" if name == self.connection.username else "")
            if name in self.accounts:
                text.append(" ✓", "green")
            text.append("\n")
        self.query_one("#members", Static).update(text)

    def show_typing(self) -> None:
        names = sorted(self.typists)
        text = ""
        if names:
            text = f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} typing…"
        self.query_one("#typing", Static).update(Text(text, style="italic dim"))

    async def clear_log(self) -> None:
        # Awaited: until the old lines are gone, a redrawn message would look already shown.
        await self.feed.remove_children()

    def mine(self, message: dict[str, Any]) -> bool:
        return message.get("author") is not None and message.get("author") == self.connection.author

    def show_message(self, message: dict[str, Any]) -> None:
        if message.get("author") in self.blocked:
            return  # blocked: their messages are hidden here, as on the page (docs/protocol.md)
        if self.line(message["id"]) is not None:
            return  # already shown: a resend's echo, or history overlapping live traffic
        if client_id := message.get("client_id"):
            for pending in self.feed.query(f"#pending-{client_id}"):
                pending.remove()
        self.add(MessageLine(message, self.mine(message)))

    # --- the server's events ----------------------------------------------

    async def on_state(self, state: str, detail: str) -> None:
        previous, self.state = self.state, state
        if state == "down":
            self.state = "reconnecting"
            if previous != "reconnecting":
                self.notice(f"Connection lost ({detail}); reconnecting…")
        elif state == "closed":
            self.notice(detail, "error")
        elif state == "reconnecting" and previous == "connected":
            self.notice("Connection lost; reconnecting…")
        elif state == "connected" and self.connection.room is None and self.settings.room and not self.was_in_room:
            # The first room, once: after a kick or a closed room the person chooses where to go.
            await self.run_action_safely(self.connection.join(self.settings.room, username=self.settings.username))
        self.show_status()

    async def handle(self, event: str, data: dict[str, Any]) -> None:
        if event == "room_list":
            self.rooms = {room["name"]: room for room in data.get("rooms", [])}
            self.lobby_limit = data.get("limit") or len(self.rooms)
            self.show_rooms()
        elif event in ("room_update", "room_updates"):
            for room in data["rooms"] if event == "room_updates" else [data]:
                # Bounded like the page's lobby (docs/protocol.md): a new room only while the list is not full.
                known = room["name"] in self.rooms
                listed = room.get("kind") not in ("private", "direct")  # never in the lobby (docs/protocol.md)
                if listed and (known or len(self.rooms) < self.lobby_limit):
                    self.rooms[room["name"]] = room
                if self.room is not None and room["name"] == self.room["name"]:
                    self.room = room
            self.show_rooms()
        elif event == "room_removed":
            self.rooms.pop(data.get("name"), None)
            self.show_rooms()
        elif event == "room_results":
            found = ", ".join(f"#{room['name']} ({room['users']})" for room in data.get("rooms", []))
            self.notice(f"Rooms matching {data.get('query')!r}: {found or 'none'}", "info")
        elif event == "join_confirm":
            await self.joined(data)
        elif event == "receive_message":
            self.show_message(data)
            if self.room is not None and data.get("room") == self.room["name"]:
                self.mark_read_soon(self.room["name"], data.get("id"))
        elif event == "inbox":
            self.blocked = {row["author"]: row["username"] for row in data.get("blocked", [])}
            self.conversations = {c["room"]: c for c in data.get("conversations", [])}
            self.unread = {row["room"]: row["count"] for row in data.get("unread", [])}
            self.inbox_more, self.inbox_asking = bool(data.get("more")), None
            self.show_lists()
        elif event == "inbox_page":
            if data.get("before") != self.inbox_asking:
                return  # the answer to a request of before a reconnect: the new inbox replaced that list
            self.inbox_asking = None
            for conversation in data.get("conversations", []):
                self.conversations.setdefault(conversation["room"], conversation)
            self.unread.update({row["room"]: row["count"] for row in data.get("unread", [])})
            self.inbox_more = bool(data.get("more"))
            self.show_lists()
        elif event == "online":
            self.online_changed(data)
        elif event in ("direct_added", "conversation"):  # a new one; or one not in inbox's page, asked for
            self.conversations[data["room"]] = data
            self.show_lists()
        elif event == "direct_opened":
            if self.room is None or data["room"] != self.room["name"]:
                await self.run_action_safely(self.connection.join(data["room"]))
        elif event == "unread":
            self.unread_changed(data)
            room = data.get("room")
            # Only a conversation's news names who wrote: one older than inbox's page is asked for, once.
            if data.get("username") and room not in self.conversations and room not in self.asked:
                self.asked.add(room)
                with contextlib.suppress(ChatError):  # not connected: the next inbox lists it
                    await self.connection.send("get_conversation", {"room": room})
        elif event == "block_added":
            self.blocked[data["author"]] = data["username"]
            for line in self.lines():
                if line.message.get("author") == data["author"]:
                    line.remove()
            self.notice(f"You blocked {data['username']}: their messages are hidden (/unblock to undo).", "info")
        elif event == "block_removed":
            self.blocked.pop(data["author"], None)
            self.notice(f"You unblocked {data['username']}: their new messages show again.", "info")
        elif event == "search_results":
            self.searched(data)
        elif event == "history":
            self.older(data)
        elif event == "member_list":
            self.members, self.accounts = data.get("members", []), set(data.get("accounts", []))
            self.show_members()
        elif event == "system_message":
            self.notice(f"{clock(data.get('ts'))} {data.get('text', '')}")
            self.typists.pop(data.get("username"), None)
            self.show_typing()
        elif event == "typing":
            self.typing(data.get("username", ""))
        elif event == "message_updated":
            if line := self.line(data["id"]):
                line.edited(data["text"], data.get("edited_at"))
        elif event == "message_deleted":
            self.deleted(data)
        elif event == "preview":
            if line := self.line(data["id"]):
                line.set_preview(data.get("preview"))
        elif event == "history_cleared":
            await self.clear_log()
            self.notice("A moderator cleared this room's history.")
        elif event == "resync_required":
            await self.clear_log()
            self.notice("Missed too much while away: showing the latest messages.")
        elif event == "leave_confirm":
            await self.left(f"You left #{data.get('room')}.")
        elif event == "room_created":
            code = data["room"]["name"]
            self.notice(f"Private room created; its code is {code}. Share it to invite people.", "info")
            await self.run_action_safely(self.connection.join(code))
        elif event == "kicked":
            await self.left(data.get("reason") or "You were removed from the room.", "error")
        elif event == "room_closed":
            await self.left(f"#{data.get('room')} was closed: {data.get('reason', '')}", "error")
            self.rooms.pop(data.get("room"), None)
            self.conversations.pop(data.get("room"), None)
            self.show_lists()
        elif event == "room_state":
            slow = data.get("slow_mode") or 0
            state = "locked (read-only)" if data.get("locked") else "open"
            self.notice(f"The room is {state}{f', slow mode {slow} s' if slow else ''}.")
        elif event in ("identity", "renamed"):
            self.notice(f"You are now {data.get('username')}.")
            self.show_members()
        elif event == "signed_out":
            self.notice(f"Signed out: {data.get('reason', '')}", "error")
        elif event == "error":
            self.refused(data)
        self.show_status()

    async def joined(self, data: dict[str, Any]) -> None:
        self.room, self.was_in_room = data["room"], True
        self.members, self.accounts = data.get("members", []), set(data.get("accounts", []))
        self.typists.clear()
        self.show_members()
        self.show_typing()
        self.unread[self.room["name"]] = 0  # being shown: read (mark_read below tells the server)
        self.show_lists()
        if data.get("resumed"):
            self.notice("Reconnected; caught up.")
            await self.mark_read()
            return  # the missed messages follow as receive_message frames (each marks them read)
        self.editing = None
        self.has_more = bool(data.get("has_more"))
        await self.clear_log()
        for message in data.get("history", []):
            self.show_message(message)
        self.notice(f"You joined {self.room_title(data['room'])} as {data.get('username')}.", "info")
        await self.mark_read()
        # Anything typed but unacknowledged in this room is on its way again: show it as sending.
        for client_id, payload in self.connection.outbox.items():
            self.pending(client_id, payload["text"])

    async def left(self, text: str, kind: str = "info") -> None:
        self.room, self.members, self.editing = None, [], None
        await self.clear_log()
        self.show_members()
        self.notice(text, kind)

    def show_lists(self) -> None:
        self.show_rooms()
        self.show_directs()

    def mark_read_soon(self, room: str, message_id: int | None) -> None:
        """While messages keep coming, at most one mark_read every MARK_READ_EVERY_SECONDS.

        The server's flood control counts every frame: one per message read in a
        busy room would spend the client's whole budget without the person typing.
        What is due is fixed now: the room may have been left by the time it goes.
        """
        if not message_id:
            return
        self.read_due = (room, message_id)
        if self.mark_read_timer is None:
            self.mark_read_timer = self.set_timer(MARK_READ_EVERY_SECONDS, self._mark_read_due)

    async def _mark_read_due(self) -> None:
        self.mark_read_timer = None
        room, message_id = self.read_due
        if self.read_up_to is not None and self.read_up_to[0] == room and self.read_up_to[1] >= message_id:
            return
        self.read_up_to = (room, message_id)
        with contextlib.suppress(ChatError):  # not connected: the rejoin marks it again
            await self.connection.send("mark_read", {"room": room, "id": message_id})

    async def mark_read(self) -> None:
        """Tell the server (and so every device of this person) how far the room shown has been read."""
        newest = self.connection.newest_id
        if self.room is None or not newest or self.read_up_to == (self.room["name"], newest):
            return
        self.read_up_to = (self.room["name"], newest)
        with contextlib.suppress(ChatError):  # not connected: the rejoin marks it again
            await self.connection.send("mark_read", {"room": self.room["name"], "id": newest})

    def online_changed(self, data: dict[str, Any]) -> None:
        """online {author, online}: someone we share a conversation with came online or went offline."""
        changed = False
        for conversation in self.conversations.values():
            for person in conversation.get("people", []):
                if person.get("author") == data.get("author") and person.get("online") != data.get("online"):
                    person["online"] = bool(data.get("online"))
                    changed = True
        if changed:
            self.show_directs()

    async def ask_inbox_more(self) -> None:
        """The list is at its last entry and older conversations exist: the next page (inbox_more), once."""
        if not self.inbox_more or self.inbox_asking is not None or not self.conversations:
            return
        self.inbox_asking = self.newest_conversations()[-1]["room"]
        try:
            await self.connection.send("inbox_more", {"before": self.inbox_asking})
        except ChatError:  # not connected: the next inbox starts the list again
            self.inbox_asking = None

    def unread_changed(self, data: dict[str, Any]) -> None:
        """`unread {room, count, username | last_read}`: someone wrote elsewhere, or another device read."""
        room = data.get("room")
        if self.room is not None and room == self.room["name"] and "last_read" not in data:
            return  # shown here: it is read
        self.unread[room] = data.get("count", 0)
        if conversation := self.conversations.get(room):
            conversation["last_active"] = datetime.now().astimezone().isoformat()
            if data.get("username"):
                self.notice(
                    f"✉ {data['username']} wrote to you (direct with {people_names(conversation)}, "
                    f"{data.get('count', 0)} new): pick it under Direct messages or /msg {data['username']}",
                    "info",
                )
        self.show_lists()

    def searched(self, data: dict[str, Any]) -> None:
        """A page of search results, newest first, as lines of the feed: where, who, when, and the snippet."""
        query, results, after = data.get("query", ""), data.get("results", []), data.get("next")
        self.search_next = (query, after) if after else None
        if not results:
            self.notice(f"No messages match {query!r}.", "info")
            return
        self.notice(f"Messages matching {query!r}, newest first:", "info")
        for result in results:
            where = result.get("room_title") or result.get("room")
            line = Text(f"  {where} · {result.get('username')} · {clock(result.get('ts'))}  ", style="dim")
            line.append_text(highlighted(result.get("snippet", ""), result.get("ranges", [])))
            self.add(Static(line, classes="search-result"))
        if after:
            self.notice("  … /search alone shows the next ones.", "info")

    def older(self, data: dict[str, Any]) -> None:
        self.history_asked = False
        self.has_more = bool(data.get("has_more"))
        lines = self.lines()
        first = lines[0] if lines else None
        for message in data.get("messages", []):
            if self.line(message["id"]) is None:
                self.add(MessageLine(message, self.mine(message)), before=first)
        if not data.get("messages"):
            self.notice("No older messages.")
        self.feed.scroll_home(animate=False)

    def typing(self, username: str) -> None:
        if not username or username == self.connection.username:
            return
        if handle := self.typists.pop(username, None):
            handle.cancel()
        self.typists[username] = asyncio.get_running_loop().call_later(TYPING_SHOWN, self.stopped_typing, username)
        self.show_typing()

    def stopped_typing(self, username: str) -> None:
        self.typists.pop(username, None)
        self.show_typing()

    def deleted(self, data: dict[str, Any]) -> None:
        line = self.line(data["id"])
        if line is None:
            return
        if data.get("by") in ("owner", "moderator"):
            self.add(
                Notice(f"(a message removed by {'the owner' if data['by'] == 'owner' else 'a moderator'})"), before=line
            )
        line.remove()
        if self.editing == data["id"]:
            self.cancel_edit()

    def refused(self, data: dict[str, Any]) -> None:
        self.error(data)
        client_id = data.get("client_id")
        if data.get("event") == "send_message" and client_id and data.get("code") not in ("unavailable", "busy"):
            for pending in self.feed.query(f"#pending-{client_id}"):
                pending.remove()
                composer = self.query_one("#composer", Composer)
                if not composer.value:
                    composer.value = pending.wanted  # the refused text is the person's, to send again

    def pending(self, client_id: str, text: str) -> None:
        if self.feed.query(f"#pending-{client_id}"):
            return
        self.add(PendingLine(client_id, text))

    # --- what the person does ------------------------------------------------

    async def run_action_safely(self, action) -> None:
        """Run a connection call; a local refusal (shape, not connected) is shown like the server's."""
        try:
            await action
        except ChatError as error:
            self.error(error.as_data())

    @on(Input.Submitted, "#composer")
    async def submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        event.input.value = ""
        if not text:
            self.cancel_edit()
            return
        if text.startswith("/") and not text.startswith("//"):
            await self.command(text)
        elif self.editing is not None:
            message_id, self.editing = self.editing, None
            await self.run_action_safely(self.connection.send("edit_message", {"id": message_id, "text": text}))
        else:
            await self.say(text.removeprefix("/"))
        self.show_status()

    async def say(self, text: str) -> None:
        if self.room is None:
            self.error({"code": "not_in_room", "message": "Join a room first (/join general)."})
            return
        try:
            client_id = await self.connection.say(text)
        except ChatError as error:
            self.error(error.as_data())
            self.query_one("#composer", Composer).value = text
            return
        self.pending(client_id, text)

    async def command(self, line: str) -> None:
        name, _, rest = line[1:].partition(" ")
        name, rest = name.lower(), rest.strip()
        conn = self.connection
        if name in ("join", "j") and rest:
            await self.run_action_safely(conn.join(rest.removeprefix("#")))
        elif name == "create" and rest:
            await self.run_action_safely(conn.join(rest.removeprefix("#"), create=True))
        elif name == "new":
            await self.run_action_safely(conn.send("create_room"))
        elif name in ("msg", "m") and rest:
            # Commas, when given, separate names that have spaces in them ("/msg ann lee, bob").
            parts = rest.split(",") if "," in rest else rest.split()
            names = [part.strip().removeprefix("@") for part in parts if part.strip()]
            await self.run_action_safely(conn.send("open_direct", {"usernames": names}))
        elif name == "leave":
            await self.run_action_safely(conn.send("leave_room"))
        elif name == "nick" and rest and self.room is not None:
            await self.run_action_safely(conn.join(self.room["name"], username=rest))
        elif name == "edit" and rest:
            if (line_ := self.last_mine()) is not None:
                await self.run_action_safely(conn.send("edit_message", {"id": line_.message["id"], "text": rest}))
        elif name == "delete":
            if (line_ := self.last_mine()) is not None:
                await self.run_action_safely(conn.send("delete_message", {"id": line_.message["id"]}))
        elif name == "more":
            await self.action_older()
        elif name == "find":
            await self.run_action_safely(conn.send("find_rooms", {"query": rest}))
        elif name == "search":
            if rest:
                await self.run_action_safely(conn.send("search", {"query": rest}))
            elif self.search_next is not None:
                query, before = self.search_next
                await self.run_action_safely(conn.send("search", {"query": query, "before": before}))
            else:
                self.notice("Nothing more to show: /search TEXT searches.", "info")
        elif name == "block" and rest:
            await self.run_action_safely(conn.send("block", {"username": rest.removeprefix("@")}))
        elif name == "unblock" and rest:
            wanted = rest.removeprefix("@").casefold()
            author = next((a for a, n in self.blocked.items() if n.casefold() == wanted), None)
            if author is None:
                self.notice(f"You have not blocked anyone called {rest}.", "error")
            else:
                await self.run_action_safely(conn.send("unblock", {"author": author}))
        elif name in ("quit", "exit"):
            await self.app.action_quit()
        else:
            self.notice(HELP, "info")

    def last_mine(self) -> MessageLine | None:
        line = next((line for line in reversed(self.lines()) if line.mine), None)
        if line is None:
            self.notice("You have no message in this room to change.", "error")
        return line

    def edit_last(self) -> None:
        line = self.last_mine()
        if line is None:
            return
        self.editing = line.message["id"]
        composer = self.query_one("#composer", Composer)
        composer.value = line.message["text"]
        composer.cursor_position = len(composer.value)
        self.show_status()

    def cancel_edit(self) -> None:
        if self.editing is not None:
            self.editing = None
            self.query_one("#composer", Composer).value = ""
            self.show_status()

    def action_cancel_edit(self) -> None:
        self.cancel_edit()

    async def action_older(self) -> None:
        """PageUp: scroll up; at the top, ask the server for the page before the oldest shown."""
        feed = self.feed
        if feed.scroll_y > 0:
            feed.scroll_page_up(animate=False)
            return
        lines = self.lines()
        if self.room is None or not self.has_more or self.history_asked:
            return
        self.history_asked = True
        data = {"before_id": lines[0].message["id"]} if lines else {}
        await self.run_action_safely(self.connection.send("history", data))

    def action_newer(self) -> None:
        self.feed.scroll_page_down(animate=False)

    @on(Input.Changed, "#composer")
    async def typed(self, event: Input.Changed) -> None:
        if not event.value or event.value.startswith("/") or self.room is None or self.editing is not None:
            return
        now = asyncio.get_running_loop().time()
        if now - self.last_typing >= TYPING_EVERY:
            self.last_typing = now
            with contextlib.suppress(ChatError):  # not connected: nobody to tell
                await self.connection.send("typing")

    @on(OptionList.OptionHighlighted, "#directs")
    async def moved_in_directs(self, event: OptionList.OptionHighlighted) -> None:
        """Moved (arrows, End, a scroll of the highlight) to the last conversation listed: page in the older ones."""
        if event.option_index == event.option_list.option_count - 1:
            await self.ask_inbox_more()

    @on(OptionList.OptionSelected, "#rooms")
    @on(OptionList.OptionSelected, "#directs")
    async def picked(self, event: OptionList.OptionSelected) -> None:
        await self.run_action_safely(self.connection.join(event.option.id))
        self.query_one("#composer").focus()


class ChatApp(App):
    """chatsite in a terminal."""

    TITLE = "chatsite"
    CSS = """
    #connect-form { width: 64; height: auto; margin: 1 2; }
    #connect-title { text-style: bold; margin-bottom: 1; }
    #connect-error { margin-top: 1; }
    #status { height: 1; background: $panel; padding: 0 1; }
    #panes { height: 1fr; }
    #lobby { width: 24; border-right: solid $panel; }
    #people { width: 22; border-left: solid $panel; padding: 0 1; }
    #rooms { height: 1fr; border: none; }
    #directs { height: 1fr; border: none; }
    .pane-title { text-style: bold; padding: 0 1; }
    #messages { padding: 0 1; }
    #typing { height: 1; padding: 0 1; }
    """
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(self, settings: Settings | None = None, *, connect_now: bool = False):
        super().__init__()
        self.settings = settings or Settings()
        self.connect_now = connect_now
        self.connection: Connection | None = None
        self.chat: ChatScreen | None = None

    def on_mount(self) -> None:
        self.push_screen(ConnectScreen(self.settings))
        if self.connect_now:
            self.sign_in()

    @work(exclusive=True, group="sign-in")
    async def sign_in(self) -> None:
        """Get a session over HTTP (guest or account), then open the chat screen and its socket."""
        s = self.settings
        form = self.screen if isinstance(self.screen, ConnectScreen) else None
        try:
            server = Server.from_url(s.url, insecure=s.insecure, cafile=s.cafile)
            if s.account:
                cookie = await asyncio.to_thread(server.account_session, s.account, s.password)
            else:
                cookie = await asyncio.to_thread(server.guest_session, s.username)
        except (ValueError, LoginFailed, OSError) as error:
            if form is not None:
                form.show_error(str(error) or type(error).__name__)
            return
        self.chat = ChatScreen(
            Connection(server, on_event=self.on_server_event, on_state=self.on_connection_state, cookie=cookie), s
        )
        self.connection = self.chat.connection
        await self.switch_screen(self.chat)
        self.connection.start()

    async def on_server_event(self, event: str, data: dict[str, Any]) -> None:
        if self.chat is not None:
            await self.chat.handle(event, data)

    async def on_connection_state(self, state: str, detail: str) -> None:
        if self.chat is not None and self.chat.is_mounted:
            await self.chat.on_state(state, detail)

    async def on_unmount(self) -> None:
        if self.connection is not None:
            await self.connection.close()
