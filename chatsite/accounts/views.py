"""An account's own pages: its profile (name, about, avatar), its data (download or delete), its avatar files."""

import json

from asgiref.sync import sync_to_async
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from chatsite.accounts import avatars
from chatsite.accounts.forms import ProfileForm
from rooms import selectors, services
from rooms.identity import USERNAME_KEY, actor_for_request


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.", code="wrong_password")
        return password


@login_required
@require_http_methods(["GET"])
def data(request):
    """The page: what is kept, the download, and the deletion form."""
    return render(request, "account/data.html", {"form": DeleteAccountForm(user=request.user)})


@login_required
@require_http_methods(["GET"])
def export(request):
    """Everything kept about this account as one JSON file."""
    body = selectors.person_data(actor=actor_for_request(request), user=request.user)
    response = HttpResponse(json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="chatsite-{request.user.pk}.json"'
    return response


@login_required
@require_POST
def delete(request):
    """Delete the account, after the password; its messages stay as "deleted user" (services.account_delete)."""
    form = DeleteAccountForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "account/data.html", {"form": form}, status=400)
    services.account_delete(user=request.user, actor=actor_for_request(request))
    logout(request)  # this browser's session ends too (its sockets were closed by the deletion, with its reason)
    return redirect("/")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The settings page: name, about line and avatar; password, email and your data are linked from it."""
    user = request.user
    if request.method == "GET":
        form = ProfileForm(initial={"username": user.username, "about": user.about}, user=user)
        return _profile_page(request, form)
    form = ProfileForm(request.POST, request.FILES, user=user)
    if form.is_valid() and _save_profile(request, form):
        messages.success(request, "Your profile is saved.")
        return redirect("account_profile")
    user.refresh_from_db()  # a refused change leaves the account as it was; the page shows it so
    # 200, as Django's own forms answer: a typo is not worth a WARNING line in the log.
    return _profile_page(request, form)


def _profile_page(request, form: ProfileForm):
    context = {
        "form": form,
        "avatar_url": avatars.avatar_url(request.user.avatar, avatars.LARGE),
        "profile_config": {"avatarMaxBytes": settings.AVATAR_MAX_BYTES},
    }
    return render(request, "account/profile.html", context)


def _save_profile(request, form: ProfileForm) -> bool:
    """Apply the form through the services; False (the form carries why) where one refused."""
    user, actor = request.user, actor_for_request(request)
    before = user.username
    try:
        services.account_rename(user=user, actor=actor, username=form.cleaned_data["username"])
    except ValidationError as error:
        form.add_error("username", error)
        return False
    if request.session.get(USERNAME_KEY) == before:
        request.session[USERNAME_KEY] = user.username  # this browser's next room takes the new name too
    services.profile_set_about(user=user, about=form.cleaned_data["about"])
    upload = form.cleaned_data.get("avatar")
    try:
        if upload:
            services.avatar_set(user=user, actor=actor, upload=upload)
        elif form.cleaned_data.get("remove_avatar"):
            services.avatar_remove(user=user, actor=actor)
    except ValidationError as error:
        form.add_error("avatar", error)
        return False
    return True


@require_http_methods(["GET", "HEAD"])
async def avatar_file(request, user_id: int, name: str):
    """One avatar picture from storage (the development server's and any deployment's without a web server in front).

    Always WebP whatever is stored: chatsite wrote the file (chatsite/accounts/avatars.py).
    A new avatar is a new name, so a browser may keep this one for ever. Read whole (a few KB)
    on a thread of its own, not the one the chat's database calls share: from a bucket it is
    a network request.
    """
    path = f"avatars/{user_id}/{name}"
    try:
        data = await sync_to_async(_read_whole, thread_sensitive=False)(path)
    except (FileNotFoundError, SuspiciousFileOperation):
        raise Http404("No such avatar.") from None
    response = HttpResponse(data, content_type="image/webp")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    # A picture, never a page: no script or style in it would run even if one were opened as a document.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _read_whole(path: str) -> bytes:
    with default_storage.open(path, "rb") as handle:
        return handle.read()
