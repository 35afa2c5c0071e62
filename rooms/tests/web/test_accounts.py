"""The account pages (allauth in chatsite's templates): bad input answered on the page, guessing slowed down."""

import pytest
from django.core import mail

from chatsite.accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual pass phrase 7"


def sign_up(client, username, password=PASSWORD, **extra):
    return client.post(
        "/accounts/signup/", {"username": username, "password1": password, "password2": password, **extra}
    )


def test_signing_up_logs_in_and_the_header_says_so(client):
    response = sign_up(client, "ann")
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert "Signed in as <strong>ann</strong>" in html
    assert 'value="ann"' in html  # the lobby's display name is the account's


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("\u0430nn", "looks just like it"),  # Cyrillic а: a look-alike of the account "ann"
        ("ANN", "already exists"),  # allauth's own, case-insensitive
        ("System", "kept for chatsite"),
        ("a" * 40, "at most 32 characters"),
    ],
)
def test_a_name_that_is_taken_reserved_or_too_long_is_answered_on_the_form(client, username, message):
    User.objects.create_user("ann", password=PASSWORD)
    response = sign_up(client, username)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username=username).exists()


def test_a_weak_password_is_answered_on_the_form(client):
    response = sign_up(client, "bea", password="12345678")
    assert response.status_code == 200
    html = response.content.decode()
    assert "too common" in html or "entirely numeric" in html
    assert not User.objects.filter(username="bea").exists()


def test_wrong_passwords_for_one_account_are_refused_for_a_while(client):
    User.objects.create_user("ann", password=PASSWORD)
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": "ann", "password": "wrong"})
        assert response.status_code == 200
        assert "not correct" in response.content.decode()
    # The sixth try is refused even with the right password: the limit is per account.
    response = client.post("/accounts/login/", {"login": "ann", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_forgotten_password_is_reset_by_email(client):
    User.objects.create_user("ann", email="ann@example.com", password="old pass phrase 123")
    response = client.post("/accounts/password/reset/", {"email": "ann@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@example.com"]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password/reset/key/" in line)
    path = link[link.index("/accounts/") :].strip()
    form = client.get(path, follow=True)
    assert form.status_code == 200
    response = client.post(form.redirect_chain[-1][0], {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert client.post("/accounts/login/", {"login": "ann", "password": PASSWORD}).status_code == 302


def test_the_admins_login_is_the_sites_with_its_limits(client):
    User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for _ in range(5):
        client.post("/accounts/login/?next=/admin/", {"login": "boss", "password": "guess"})
    response = client.post("/accounts/login/?next=/admin/", {"login": "boss", "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still not in


def test_staff_reach_the_admin_through_the_sites_login(client):
    User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    response = client.post("/accounts/login/?next=/admin/", {"login": "boss", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
