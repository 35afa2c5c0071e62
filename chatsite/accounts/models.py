"""chatsite's own user model.

Django's AbstractUser, plus the look-alike key of its username, and a profile: an "about" line and an avatar
(chatsite/names.py), unique across accounts: "ann" and a Cyrillic "аnn" cannot
both be accounts, since an account's username is its display name everywhere.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models

from chatsite.names import name_key


class User(AbstractUser):
    # NULL, not "": an account created before the key existed, and clashing with an older one, has none.
    name_key = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    about = models.CharField("about", max_length=160, blank=True, help_text="One line others see on your profile.")
    # The stem of the avatar's files in storage (chatsite/accounts/avatars.py), "" for none.
    avatar = models.CharField(max_length=100, blank=True, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def save(self, *args, **kwargs):
        self.name_key = name_key(self.username) if self.username else None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)
