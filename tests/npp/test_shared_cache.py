"""One-time codes and sign-in limits hold across web processes: they live in a cache
every process shares (the database by default, Redis in production). Two gunicorn
processes serve one database; a browser's requests go to one or the other, as a load
balancer would send them."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from django.db import connection

from tests.conftest import PASSWORD, TOTP_SECRET, need
from tests.notifications.realworker import redis_reachable, worker_database_url
from tests.npp.servers import Browser, Response, Server, manage, project_env, start_server

# The servers read what this test commits; serialized rollback puts the catalogue back
# for the tests after it.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SIGN_IN = "/accounts/login/"
SECOND_FACTOR = "/accounts/2fa/authenticate/"
STEP_SECONDS = 30  # RFC 6238, allauth's MFA_TOTP_PERIOD

CREATE_PEOPLE = """
from allauth.mfa.totp.internal.auth import TOTP
from npp.accounts.models import Role, User
coordinator = User.objects.create_user(
    "{coordinator}", "{password}", full_name="Cora", role=Role.COORDINATOR
)
TOTP.activate(coordinator, "{secret}")
User.objects.create_user("{physician}", "{password}", full_name="Dr Rao", role=Role.PHYSICIAN)
"""


def redis_cache_url() -> str | None:
    """NPP_CACHE_URL when it is Redis, else the broker's Redis (cache keys and the
    broker's keys do not collide)."""
    for url in (os.environ.get("NPP_CACHE_URL", ""), os.environ.get("CELERY_BROKER_URL", "")):
        if redis_reachable(url):
            return url
    return None


@pytest.fixture(params=["database cache (the default)", "Redis cache"])
def two_servers(request, tmp_path):
    """Two web processes on the run's database (a fresh SQLite file on the embedded
    default, prepared by `migrate` alone), and the people who sign in there. Emails
    are new each time: a Redis cache outlives the test database."""
    tag = uuid.uuid4().hex[:8]
    people = {
        "coordinator": f"cora-{tag}@npp.example",
        "physician": f"rao-{tag}@hospital.example",
    }
    env = project_env(tmp_path / "var", DEBUG="1")
    if request.param == "Redis cache":
        url = redis_cache_url()
        need(url is not None, "neither NPP_CACHE_URL nor CELERY_BROKER_URL is a reachable Redis")
        env["NPP_CACHE_URL"] = url
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = worker_database_url()
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        manage(env, "migrate", "--noinput")
    manage(
        env,
        "shell",
        "-c",
        CREATE_PEOPLE.format(password=PASSWORD, secret=TOTP_SECRET, **people),
    )
    servers = [start_server(env, tmp_path / f"web{n}.log") for n in (1, 2)]
    yield servers, people
    for server in servers:
        server.stop()


def sign_in_with_code(server: Server, email: str, code: str) -> Response:
    browser = Browser()
    step = browser.submit(server, SIGN_IN, {"login": email, "password": PASSWORD})
    assert step.status == 302, server.log_text()[-2000:]
    assert step.location.startswith(SECOND_FACTOR)
    return browser.submit(server, SECOND_FACTOR, {"code": code})


def current_code() -> tuple[str, int]:
    """The code of the current 30-second step, and the step: the servers accept it
    until the end of the next step (one step of tolerance either side)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    step = int(time.time()) // STEP_SECONDS
    return format_hotp_value(hotp_value(TOTP_SECRET, step)), step


def test_an_authenticator_code_signs_in_once_whichever_process_answers(two_servers):
    (first, second), people = two_servers
    code, step = current_code()

    accepted = sign_in_with_code(first, people["coordinator"], code)
    assert accepted.status == 302, accepted.body[-2000:]

    for server in (second, first):
        refused = sign_in_with_code(server, people["coordinator"], code)
        assert refused.status == 200
        assert "Incorrect code." in refused.body
    # Still within the code's window: refused because it was used, not because it aged.
    assert int(time.time()) // STEP_SECONDS <= step + 1


def test_the_sixth_failed_sign_in_is_refused_whichever_process_answers(two_servers):
    servers, people = two_servers
    browser = Browser()
    for attempt in range(5):
        guess = {"login": people["physician"], "password": f"wrong-guess-{attempt}"}
        failed = browser.submit(servers[attempt % 2], SIGN_IN, guess)
        assert failed.status == 200
        assert "not correct" in failed.body, failed.body[-2000:]

    for server in servers:  # even the right password, on either process
        refused = browser.submit(
            server, SIGN_IN, {"login": people["physician"], "password": PASSWORD}
        )
        assert refused.status == 200
        assert "Too many failed login attempts" in refused.body
