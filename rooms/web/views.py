"""Pages: the lobby at / and a room at /r/<name>/. A few lines each; services do the work."""

from django.conf import settings
from django.contrib import messages
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from rooms import services
from rooms.errors import ChatError, Code
from rooms.identity import USERNAME_KEY, actor_for_request, ensure_guest
from rooms.selectors import lobby_rooms, message_visible, rooms_find
from rooms.web.forms import LobbyForm, NameForm

FIELD_FOR_ACTION = {"enter": "enter", "join": "room", "create_named": "new_room", "create_private": None}
ERROR_STATUS = {"rate_limited": 429, "room_limit": 429, "banned": 403}


def _explain(error: ChatError, name: str) -> str:
    if error.code == "room_not_found":
        return f"No room called {name.strip()[:64]!r}. Check the code, or create it below."
    return error.message


def _shown(room) -> str:
    """How a room is named to people: #name for public rooms."""
    return f"#{room.name}" if room.is_public else room.title


def _lobby(request, form, *, status=200, room_error=""):
    """The lobby page: the bounded list of rooms, or with ?q= (blank: all, A to Z) a page of those found."""
    query = request.GET.get("q")
    if query is None:
        listed = lobby_rooms()
        context = {"rooms": listed["rooms"], "more": max(0, listed["total"] - len(listed["rooms"]))}
    else:
        query = query[:200]  # like the socket's cap: a longer text finds nothing anyway
        found = rooms_find(query=query, after=request.GET.get("after", "")[:200])
        context = {"rooms": found["rooms"], "query": query, "next": found["next"], "searching": True}
    context.update(form=form, room_error=room_error)
    return render(request, "rooms/home.html", context, status=status)


@require_http_methods(["GET", "POST"])
def home(request):
    if request.method == "GET":
        initial = {"username": request.session.get(USERNAME_KEY, ""), "room": request.GET.get("room", "")}
        return _lobby(request, LobbyForm(initial=initial))
    form = LobbyForm(request.POST)
    if not form.is_valid():
        return _lobby(request, form, status=400)
    actor = actor_for_request(request)  # a name to keep: the session (and the guest id) starts here
    request.session[USERNAME_KEY] = form.cleaned_data["username"]
    action = form.cleaned_data["action"]
    wanted = ""
    try:
        if action == "create_private":
            room = services.room_create_private(actor=actor)
        elif action == "create_named":
            room, created = services.room_create_named(name=form.cleaned_data["new_room"], actor=actor)
            if not created:  # not silently: the person asked for a new room
                messages.info(request, f"{_shown(room)} already exists — you joined it.")
        else:
            wanted = form.cleaned_data["enter"] if action == "enter" else form.cleaned_data["room"]
            room = services.room_for_join(room_name=wanted, create=False, actor=actor)
    except ChatError as error:
        form.add_error(FIELD_FOR_ACTION[action], _explain(error, wanted if action in ("enter", "join") else ""))
        return _lobby(request, form, status=ERROR_STATUS.get(error.code, 400))
    return redirect("rooms:room", name=room.name)


def _linked_message(request) -> int | None | bool:
    """The message a link points at (`?m=<id>`): its id, None without one, False for one that is not a number."""
    value = request.GET.get("m")
    if value is None:
        return None
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) < 19 else False


def _room_url(room, message_id: int | None) -> str:
    url = reverse("rooms:room", kwargs={"name": room.name})
    return f"{url}?m={message_id}" if message_id else url


@require_http_methods(["GET", "POST"])
def room(request, name):
    """A room's page; with ?m=<id> (a message's link) it opens at that message."""
    focus = _linked_message(request)
    try:
        # Only a look so far: a 404 or the name form keeps nothing (rooms/identity.py).
        room = services.room_for_join(room_name=name, create=False, actor=actor_for_request(request, keep=False))
        if focus is False or (focus is not None and not message_visible(room=room, message_id=focus)):
            # A link to a message this room does not show: the same page as an unknown room,
            # so a link tells nobody more about a room than its address does.
            raise ChatError(Code.ROOM_NOT_FOUND)
    except ChatError as error:
        form = LobbyForm(initial={"username": request.session.get(USERNAME_KEY, ""), "room": name})
        return _lobby(request, form, status=ERROR_STATUS.get(error.code, 404), room_error=_explain(error, name))
    if room.name != name:
        return redirect(_room_url(room, focus))
    username = request.session.get(USERNAME_KEY)
    if request.method == "POST" or not username:
        form = NameForm(request.POST or None, initial={"username": username or ""})
        if form.is_valid():
            request.session[USERNAME_KEY] = form.cleaned_data["username"]
            return redirect(_room_url(room, focus))
        return render(request, "rooms/name.html", {"form": form, "room": room}, status=400 if form.is_bound else 200)
    if not request.user.is_authenticated:
        ensure_guest(request.session)  # the page's socket is this guest: its cookie must name one
    config = {
        "room": room.name,
        "title": room.title,
        "kind": room.kind,
        "username": username,
        "wsPath": "/ws/chat/",
        "maxLength": settings.MAX_MESSAGE_LENGTH,
        "focus": focus,
        "csrfToken": get_token(request),
        "upload": {
            "url": reverse("rooms:attachment_upload", kwargs={"name": room.name}),
            "maxBytes": settings.UPLOAD_MAX_BYTES,
            "maxFiles": settings.ATTACHMENTS_PER_MESSAGE_MAX,
        },
    }
    return render(request, "rooms/room.html", {"room": room, "config": config})
