"""Pages: the lobby at / and a room at /r/<name>/. A few lines each; services do the work."""

from django.conf import settings
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from rooms import services
from rooms.forms import LobbyForm, NameForm
from rooms.identity import USERNAME_KEY, actor_for_request
from rooms.protocol import ChatError
from rooms.selectors import public_rooms, room_by_name


def _lobby(request, form, *, status=200, room_error=""):
    context = {"form": form, "rooms": public_rooms(), "room_error": room_error}
    return render(request, "rooms/home.html", context, status=status)


@require_http_methods(["GET", "POST"])
def home(request):
    actor = actor_for_request(request)
    if request.method == "GET":
        initial = {"username": request.session.get(USERNAME_KEY, ""), "room": request.GET.get("room", "")}
        return _lobby(request, LobbyForm(initial=initial))
    form = LobbyForm(request.POST)
    if not form.is_valid():
        return _lobby(request, form, status=400)
    request.session[USERNAME_KEY] = form.cleaned_data["username"]
    action = form.cleaned_data["action"]
    try:
        if action == "create_private":
            room = services.room_create_private(actor=actor)
        elif action == "create_named":
            room, _ = services.room_create_named(name=form.cleaned_data["new_room"], actor=actor)
        else:
            room = form.cleaned_data["target"]
    except ChatError as error:
        form.add_error("new_room" if action == "create_named" else None, error.message)
        return _lobby(request, form, status=400)
    return redirect("rooms:room", name=room.name)


@require_http_methods(["GET", "POST"])
def room(request, name):
    actor_for_request(request)
    room = room_by_name(name=name)
    if room is None:
        form = LobbyForm(initial={"username": request.session.get(USERNAME_KEY, ""), "room": name})
        error = f"No room called {name[:64]!r}. Check the code, or create it below."
        return _lobby(request, form, status=404, room_error=error)
    if room.name != name:
        return redirect("rooms:room", name=room.name)
    username = request.session.get(USERNAME_KEY)
    if request.method == "POST" or not username:
        form = NameForm(request.POST or None, initial={"username": username or ""})
        if form.is_valid():
            request.session[USERNAME_KEY] = form.cleaned_data["username"]
            return redirect("rooms:room", name=room.name)
        return render(request, "rooms/name.html", {"form": form, "room": room}, status=400 if form.is_bound else 200)
    config = {
        "room": room.name,
        "title": room.title,
        "kind": room.kind,
        "username": username,
        "wsPath": "/ws/chat/",
        "maxLength": settings.MAX_MESSAGE_LENGTH,
    }
    return render(request, "rooms/room.html", {"room": room, "config": config})
