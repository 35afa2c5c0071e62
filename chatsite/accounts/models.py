"""chatsite's own user model, in place before any account exists.

Django recommends a custom user model at the start of every project: swapping
it once tables hold users is a migration nobody wants to write. For now it is
Django's AbstractUser as it is; profiles and the rest build on it.
"""

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
