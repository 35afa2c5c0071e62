"""The lobby form: a display name, then one of four ways into a room."""

from django import forms
from django.core.exceptions import ValidationError

from rooms.models import clean_room_name, clean_username
from rooms.selectors import room_by_name

ACTIONS = ("enter", "join", "create_private", "create_named")


class LobbyForm(forms.Form):
    username = forms.CharField(label="Display name", max_length=200, required=False)
    room = forms.CharField(label="Room code or name", max_length=200, required=False)
    new_room = forms.CharField(label="New room name", max_length=200, required=False)
    enter = forms.CharField(required=False, max_length=200)
    action = forms.CharField(required=False, max_length=32)

    def clean_username(self):
        return clean_username(self.cleaned_data.get("username", ""))

    def clean(self):
        data = super().clean()
        action = data.get("action") or ("enter" if data.get("enter") else "join")
        if action not in ACTIONS:
            raise ValidationError("Choose what to do.")
        data["action"] = action
        if action == "enter":
            data["target"] = self._existing("enter", data.get("enter", ""))
        elif action == "join":
            if not data.get("room", "").strip():
                self.add_error("room", "Type a room code or name.")
            else:
                data["target"] = self._existing("room", data["room"])
        elif action == "create_named":
            try:
                data["new_room"] = clean_room_name(data.get("new_room", ""))
            except ValidationError as error:
                self.add_error("new_room", error)
        return data

    def _existing(self, field: str, name: str):
        room = room_by_name(name=name)
        if room is None:
            self.add_error(field, f"No room called {name.strip()[:64]!r}. Check the code, or create it below.")
        return room


class NameForm(forms.Form):
    username = forms.CharField(label="Display name", max_length=200)

    def clean_username(self):
        return clean_username(self.cleaned_data.get("username", ""))
