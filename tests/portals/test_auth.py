"""Signing in and out, password reset, second factor, rate limits, the header."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client

from npp.accounts.models import Role, User
from tests.conftest import PASSWORD
from tests.portals.conftest import totp_code

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"login": email, "password": password}, **extra)


def test_the_sign_in_page_asks_for_email_and_password(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="login"' in html and 'type="email"' in html
    assert 'name="password"' in html
    assert "/accounts/password/reset/" in html


@pytest.mark.parametrize(("persona", "home"), [("physician", "/physician/"), ("patient", "/my/")])
def test_each_role_lands_on_its_own_home(request, client, persona, home):
    user = request.getfixturevalue(persona).user

    response = sign_in(client, user.email)
    assert response.status_code == 302
    response = client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == home
    assert client.get(home).status_code == 200


def test_a_wrong_password_signs_nobody_in_and_says_so(client, physician):
    response = sign_in(client, physician.user.email, "not-the-password")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "not correct" in response.content.decode()


def test_signing_in_gives_a_new_session_id(client, physician):
    client.get(LOGIN)
    session = client.session
    session["seen"] = True
    session.save()
    before = session.session_key

    sign_in(client, physician.user.email)

    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_signing_out_deletes_the_session_on_the_server(client, physician):
    sign_in(client, physician.user.email)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/physician/").status_code == 302  # to the sign-in page


def test_a_get_does_not_sign_out(client, physician):
    sign_in(client, physician.user.email)

    client.get("/accounts/logout/")

    assert client.get("/physician/").status_code == 200


def test_nobody_signs_themself_up(client):
    response = client.post(
        "/accounts/signup/", {"email": "new@example.com", "password1": "a-long-password-1"}
    )

    assert not User.objects.filter(email="new@example.com").exists()
    assert response.status_code == 200


def test_a_forgotten_password_is_reset_through_the_emailed_link(client, patient):
    response = client.post("/accounts/password/reset/", {"email": patient.user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    assert link, mail.outbox[0].body

    response = client.get(link.group(1), follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link.group(1)
    response = client.post(
        form_url, {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"}
    )

    assert response.status_code == 302
    patient.user.refresh_from_db()
    assert patient.user.check_password("a-brand-new-passphrase")


# --- Second factor -----------------------------------------------------------------------


def test_a_coordinator_signs_in_with_their_authenticator_code(client, coordinator):
    response = sign_in(client, coordinator.email)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(coordinator.pk)


def test_a_wrong_authenticator_code_signs_nobody_in(client, coordinator):
    sign_in(client, coordinator.email)

    client.post("/accounts/2fa/authenticate/", {"code": "000000"})

    assert "_auth_user_id" not in client.session


def test_a_coordinator_without_an_authenticator_must_set_one_up_first(client):
    user = User.objects.create_user(
        "new.coordinator@npp.example", PASSWORD, full_name="New", role=Role.COORDINATOR
    )
    user.is_staff = True
    user.save()
    assert sign_in(client, user.email).status_code == 302

    for page in ("/", "/admin/", "/inbox/", "/physician/"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"] == "/accounts/2fa/totp/activate/", page
    # Adding an authenticator asks for the password again (allauth's reauthentication).
    response = client.get("/accounts/2fa/totp/activate/")
    assert response["Location"].startswith("/accounts/reauthenticate/")
    client.post(response["Location"], {"password": PASSWORD})
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    assert "Activate" in response.content.decode()


def test_after_setting_up_the_app_a_coordinator_gets_recovery_codes_and_may_go_on(client):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    user = User.objects.create_user(
        "new.coordinator@npp.example", PASSWORD, full_name="New", role=Role.COORDINATOR
    )
    sign_in(client, user.email)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    secret = page.context["form"].secret

    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})

    assert response.status_code == 302
    types = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    assert client.get("/inbox/").status_code == 200  # no longer sent to the set-up

    # A recovery code signs in in place of the app, once.
    codes = RecoveryCodes(Authenticator.objects.get(user=user, type="recovery_codes"))
    code = codes.get_unused_codes()[0]
    client.post("/accounts/logout/")
    sign_in(client, user.email)
    client.post("/accounts/2fa/authenticate/", {"code": code})
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_physician_may_add_an_authenticator_but_need_not(client, physician):
    client.force_login(physician.user)

    assert client.get("/physician/").status_code == 200
    assert client.get("/accounts/2fa/").status_code == 200
    assert not Authenticator.objects.filter(user=physician.user).exists()


def test_the_admin_signs_in_through_the_same_page(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


# --- Rate limits -------------------------------------------------------------------------


def test_repeated_failures_on_one_account_cool_off_from_that_address_only(client, physician):
    email = physician.user.email
    for _ in range(5):
        sign_in(client, email, "wrong-guess", REMOTE_ADDR="10.0.0.9")

    refused = sign_in(client, email, PASSWORD, REMOTE_ADDR="10.0.0.9")
    assert refused.status_code != 302
    assert "_auth_user_id" not in client.session

    # The owner, elsewhere, is not locked out by someone guessing from 10.0.0.9.
    owner = Client()
    response = sign_in(owner, email, PASSWORD, REMOTE_ADDR="10.0.0.10")
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(physician.user.pk)


def test_the_failure_limit_does_not_start_again_on_another_host_port(client, physician):
    email = physician.user.email
    for port in range(5):
        sign_in(client, email, "wrong-guess", HTTP_HOST=f"localhost:{8000 + port}")

    refused = sign_in(client, email, PASSWORD, HTTP_HOST="localhost:9999")

    assert refused.status_code != 302
    assert "_auth_user_id" not in client.session


def test_the_failure_limit_cools_off(client, physician, settings):
    import time_machine

    email = physician.user.email
    with time_machine.travel("2026-03-01 09:00 +0000", tick=False) as clock:
        for _ in range(5):
            sign_in(client, email, "wrong-guess")
        assert sign_in(client, email).status_code != 302
        clock.shift(16 * 60)
        assert sign_in(client, email).status_code == 302


# --- The header ----------------------------------------------------------------------------


def test_the_header_shows_who_is_signed_in_their_role_and_unread_count(
    client, patient, monkeypatch
):
    import notifications.context_processors as processors

    monkeypatch.setattr(processors, "inbox_unread_count", lambda *, user: 3)
    client.force_login(patient.user)

    html = client.get("/my/").content.decode()

    assert '<span class="who-name">Priya Menon</span>' in html
    assert '<span class="role-badge role-patient">Patient</span>' in html
    assert 'aria-label="3 unread">3</span>' in html
    assert 'href="/inbox/"' in html
    assert "Sign out" in html


def test_no_unread_count_is_shown_when_there_is_nothing_new(client, patient):
    client.force_login(patient.user)

    html = client.get("/my/").content.decode()

    assert "unread" not in html


@pytest.mark.parametrize(
    ("persona", "links"),
    [
        ("physician", ["/physician/", "/physician/patients/", "/physician/cases/new/"]),
        ("patient", ["/my/"]),
        ("coordinator", ["/work/"]),
    ],
)
def test_each_role_sees_its_own_navigation(request, client, persona, links):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)
    client.force_login(user)

    html = client.get(links[0]).content.decode()

    for link in links:
        assert f'href="{link}"' in html
    others = {"/physician/cases/new/", "/my/", "/work/"} - set(links)
    for link in others:
        assert f'href="{link}"' not in html


def test_many_failures_from_one_address_slow_that_address_only(client, physician, patient):
    for number in range(30):
        sign_in(client, f"guess{number}@example.com", "wrong", REMOTE_ADDR="10.0.0.66")

    refused = sign_in(client, physician.user.email, PASSWORD, REMOTE_ADDR="10.0.0.66")
    assert refused.status_code != 302

    elsewhere = Client()
    assert (
        sign_in(elsewhere, patient.user.email, PASSWORD, REMOTE_ADDR="10.0.0.67").status_code == 302
    )
