"""The lobby form: a display name, then one of four ways into a room."""

from django import forms
from django.core.exceptions import ValidationError

from rooms.rules import clean_room_name, clean_username

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
        if action == "join" and not data.get("room", "").strip():
            self.add_error("room", "Type a room code or name.")
        elif action == "create_named":
            try:
                data["new_room"] = clean_room_name(data.get("new_room", ""))
            except ValidationError as error:
                self.add_error("new_room", error)
        return data


class NameForm(forms.Form):
    username = forms.CharField(label="Display name", max_length=200)

    def clean_username(self):
        return clean_username(self.cleaned_data.get("username", ""))
