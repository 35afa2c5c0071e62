"""The settings page's form: an account's name, its "about" line and its avatar."""

from allauth.account.adapter import get_adapter
from django import forms
from django.conf import settings

from chatsite import names
from rooms.rules import C0_C1_RE

ACCEPTED_TYPES = "image/jpeg,image/png,image/gif,image/webp"


def clean_new_username(user, username: str) -> str:
    """The account adapter's rules (chatsite.accounts.adapter) for `user`'s new name: visible, not reserved, nobody else's look-alike."""
    username = username.strip()
    if username == user.username:
        return username
    adapter = get_adapter()
    # The same name respelled ("ann" → "Ann"): its look-alike key is this account's own, so only the rules of a name apply.
    shallow = names.name_key(username) == user.name_key
    return adapter.clean_username(username, shallow=shallow)


class ProfileForm(forms.Form):
    username = forms.CharField(
        label="Name",
        max_length=150,
        help_text="Your name in every room, and the name you log in with.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    about = forms.CharField(
        label="About you",
        max_length=160,
        required=False,
        help_text="One line others see when they open your profile.",
    )
    avatar = forms.FileField(
        label="Avatar",
        required=False,
        help_text=f"A JPEG, PNG, GIF or WebP picture, up to {settings.AVATAR_MAX_BYTES // 1_000_000} MB.",
        widget=forms.FileInput(attrs={"accept": ACCEPTED_TYPES}),
    )
    remove_avatar = forms.BooleanField(label="Remove my avatar", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_username(self) -> str:
        return clean_new_username(self.user, self.cleaned_data["username"])

    def clean_about(self) -> str:
        about = " ".join(self.cleaned_data["about"].split())
        if C0_C1_RE.search(about):
            raise forms.ValidationError("The about line cannot contain control characters.", code="invalid")
        return about
