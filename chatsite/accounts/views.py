"""Your data: download everything chatsite holds about your account, or delete the account."""

import json

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from rooms import selectors, services
from rooms.identity import actor_for_request


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
