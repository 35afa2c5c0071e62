"""allauth, fitted to chatsite: an account's name follows the same rules as a display name."""

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.core.exceptions import ValidationError

from chatsite.names import name_key
from rooms.rules import clean_username


class AccountAdapter(DefaultAccountAdapter):
    def clean_username(self, username: str, shallow: bool = False) -> str:
        """Django's username rules and allauth's uniqueness, then chatsite's: visible, not reserved, no look-alike.

        An account's username is its display name in every room, so it may not
        pass for another account's ("ann" and a Cyrillic "аnn") or for the
        server's own notices.
        """
        username = super().clean_username(username, shallow=shallow)
        try:
            clean_username(username)
        except ValidationError as error:
            raise forms.ValidationError(error.messages[0], code="invalid") from None
        from chatsite.accounts.models import User

        if not shallow and User.objects.filter(name_key=name_key(username)).exists():
            raise forms.ValidationError(
                "An account with that name, or one that looks just like it, already exists.", code="taken"
            )
        return username
