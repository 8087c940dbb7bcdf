"""Cross-cutting HTTP rules: session lifetime, no-store for signed-in pages, CSP."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session

from npp.accounts.models import User

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff(db) -> User:
    from allauth.mfa.totp.internal.auth import TOTP

    from tests.conftest import TOTP_SECRET

    user = User.objects.create_user(
        "cora@npp.example",
        "correct-horse-battery-staple",
        full_name="Cora Coordinator",
        role="coordinator",
        is_staff=True,
        is_superuser=True,
    )
    TOTP.activate(user, TOTP_SECRET)  # coordinators must have a second factor
    return user


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def signed_in(client, user) -> str:
    """Sign in, make the first request (which starts the session's clocks), and return
    the session key."""
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert response.wsgi_request.user == user
    return client.session.session_key


def is_signed_in(client) -> bool:
    response = client.get("/admin/")
    return response.wsgi_request.user.is_authenticated


def session_exists(key: str) -> bool:
    return Session.objects.filter(session_key=key).exists()


def test_a_session_ends_after_the_idle_timeout(client, staff, clock):
    key = signed_in(client, staff)

    clock.shift(dt.timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + 60))
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not response.wsgi_request.user.is_authenticated
    assert not session_exists(key)
    assert not is_signed_in(client)


def test_a_session_survives_a_pause_shorter_than_the_idle_timeout(client, staff, clock):
    key = signed_in(client, staff)

    clock.shift(dt.timedelta(seconds=settings.SESSION_IDLE_TIMEOUT - 60))

    assert is_signed_in(client)
    assert session_exists(key)


def test_an_active_session_stays_alive_past_the_idle_timeout(client, staff, clock):
    key = signed_in(client, staff)
    step = dt.timedelta(seconds=settings.SESSION_IDLE_TIMEOUT * 2 // 3)

    for _ in range(6):  # four idle timeouts in all, never idle for one
        clock.shift(step)
        assert is_signed_in(client)

    assert session_exists(key)


def test_an_active_session_ends_after_the_absolute_lifetime(client, staff, clock):
    key = signed_in(client, staff)
    step = dt.timedelta(seconds=settings.SESSION_IDLE_TIMEOUT * 2 // 3)
    lifetime = dt.timedelta(seconds=settings.SESSION_ABSOLUTE_LIFETIME)

    elapsed = dt.timedelta(0)
    while elapsed + step < lifetime:
        clock.shift(step)
        elapsed += step
        assert is_signed_in(client), f"signed out after {elapsed} of activity"
    clock.shift(lifetime - elapsed + dt.timedelta(minutes=1))
    response = client.get("/admin/")

    assert not response.wsgi_request.user.is_authenticated
    assert not session_exists(key)
    assert not is_signed_in(client)


def test_pages_shown_to_a_signed_in_user_are_not_stored(client, staff):
    client.force_login(staff)

    response = client.get("/admin/")

    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control
    assert "private" in cache_control


@pytest.mark.urls("tests.npp.urls")
def test_even_a_plain_page_is_not_stored_for_a_signed_in_user(client, staff):
    client.force_login(staff)

    response = client.get("/plain")

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


@pytest.mark.urls("tests.npp.urls")
def test_a_plain_page_for_an_anonymous_visitor_is_left_alone(client, db):
    response = client.get("/plain")

    assert not response.has_header("Cache-Control")


def test_responses_carry_a_content_security_policy(client, db):
    response = client.get("/admin/login/")

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
