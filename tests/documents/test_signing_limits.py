"""Typing one's password again to sign is limited like sign-in: after
NPP_LOGIN_FAILURES_PER_USER wrong passwords the account may not sign, even with the
right one, until the cool-off ends, and its owner is told once."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from documents.models import DocumentKind, Signature, SignatureMeaning
from documents.services import document_upload
from documents.signatures import document_sign
from notifications.models import Category, Channel, Notification, Status
from notifications.services import notifications_send, unsent
from orders.errors import DomainError
from tests.conftest import PASSWORD, clear_cache, need
from tests.documents import files

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _no_counts_carried_over(db):  # the cache is a database table by default
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def undertaking(draft_case, physician):
    return document_upload(
        case=draft_case,
        kind=DocumentKind.PHYSICIAN_UNDERTAKING,
        content=files.pdf("I undertake"),
        filename="undertaking.pdf",
        actor=physician.user,
    )


def sign(document, user, password):
    return document_sign(
        document=document,
        signer=user,
        password=password,
        printed_name="Anil Rao",
        meaning=SignatureMeaning.AUTHORSHIP,
    )


def alerts_to(user):
    return Notification.objects.filter(recipient=user, template="reentry_locked-account")


def test_the_sixth_attempt_is_refused_even_with_the_right_password_until_the_cool_off(
    undertaking, physician, settings
):
    settings.NPP_LOGIN_FAILURES_PER_USER = 5
    settings.NPP_LOGIN_COOL_OFF_MINUTES = 15
    user = physician.user
    with time_machine.travel(START, tick=False) as clock:
        refusals = []
        for _ in range(5):
            with pytest.raises(DomainError) as refused:
                sign(undertaking, user, "guess")
            refusals.append(str(refused.value))
            clock.shift(dt.timedelta(seconds=10))
        assert all("password is not correct" in text for text in refusals[:4])
        assert "signing with this account is paused" in refusals[4]

        with pytest.raises(DomainError, match="paused until"):
            sign(undertaking, user, PASSWORD)  # the right one, sixth
        clock.shift(dt.timedelta(minutes=14))  # 14 min 50 s after the first failure
        with pytest.raises(DomainError, match="paused until"):
            sign(undertaking, user, PASSWORD)
        assert not Signature.objects.exists()

        clock.shift(dt.timedelta(seconds=11))  # the first failure is 15 min old
        signature = sign(undertaking, user, PASSWORD)

    assert signature.signer == user
    assert Signature.objects.count() == 1


def test_the_owner_is_told_once_by_inbox_and_email(undertaking, physician, settings):
    settings.NPP_LOGIN_FAILURES_PER_USER = 5
    user = physician.user
    with time_machine.travel(START, tick=False):
        for password in ["a", "b", "c", "d", "e", PASSWORD, "f", "g"]:
            with pytest.raises(DomainError):
                sign(undertaking, user, password)

    alerts = alerts_to(user)
    assert sorted(alerts.values_list("channel", flat=True)) == [Channel.EMAIL, Channel.INBOX]
    assert {alert.category for alert in alerts} == {Category.SAFETY}
    inbox = alerts.get(channel=Channel.INBOX)
    assert inbox.status == Status.SENT
    assert "5 wrong passwords" in inbox.subject
    assert "Nothing was signed" in inbox.body
    assert "14:45" in inbox.body  # 09:15 UTC, in Asia/Kolkata

    notifications_send(unsent(alerts))
    assert [message.to for message in mail.outbox] == [[user.email]]
    assert "Signing paused on your account" in mail.outbox[0].subject


def test_a_right_password_before_the_limit_does_not_count(undertaking, physician, settings):
    settings.NPP_LOGIN_FAILURES_PER_USER = 3
    user = physician.user
    with time_machine.travel(START, tick=False):
        for _ in range(2):
            with pytest.raises(DomainError, match="not correct"):
                sign(undertaking, user, "guess")
        sign(undertaking, user, PASSWORD)
        with pytest.raises(DomainError, match="not correct"):
            sign(undertaking, user, "guess")  # the third failure, but not three in a row
    assert not alerts_to(user).exists()


def test_the_limit_is_per_account(undertaking, physician, patient, settings, draft_case):
    settings.NPP_LOGIN_FAILURES_PER_USER = 2
    consent = document_upload(
        case=draft_case,
        kind=DocumentKind.PATIENT_CONSENT,
        content=files.pdf("I consent"),
        filename="consent.pdf",
        actor=patient.user,
    )
    for _ in range(2):
        with pytest.raises(DomainError):
            sign(undertaking, physician.user, "guess")

    signature = document_sign(
        document=consent,
        signer=patient.user,
        password=PASSWORD,
        printed_name="Priya Menon",
        meaning=SignatureMeaning.CONSENT,
    )
    assert signature.signer == patient.user
    assert not alerts_to(patient.user).exists()


def test_the_signing_page_refuses_the_sixth_attempt_with_a_clear_message(
    client, case_in, physician, settings
):
    settings.NPP_LOGIN_FAILURES_PER_USER = 5
    case = case_in("forms_preparation")
    client.force_login(physician.user)
    url = f"/physician/cases/{case.pk}/sign/"

    def post(password):
        return client.post(
            url,
            {
                "scan-undertaking": SimpleUploadedFile(
                    "undertaking.pdf", files.pdf("I undertake"), content_type="application/pdf"
                ),
                "scan-printed_name": "Anil Rao",
                "scan-password": password,
                "scan-confirm": "on",
            },
        )

    for _ in range(5):
        assert post("guess").status_code == 400
    response = post(PASSWORD)

    assert response.status_code == 400
    html = response.content.decode()
    assert "signing with this account is paused until" in html
    assert "told by email" in html
    assert not Signature.objects.exists()
    assert not case.documents.filter(kind=DocumentKind.PHYSICIAN_UNDERTAKING).exists()
    assert alerts_to(physician.user).count() == 2  # inbox and email, once


# --- Across processes -----------------------------------------------------------------------

GUESSER = """
import json, os, sys, time
import django
django.setup()
from django.test.utils import override_settings
from documents.models import Document
from documents.signatures import document_sign
from npp.accounts.models import User
from orders.errors import DomainError

cache = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                     "LOCATION": sys.argv[1]}}
with override_settings(CACHES=cache):
    document, user = Document.objects.get(pk=sys.argv[2]), User.objects.get(pk=sys.argv[3])
    while not os.path.exists(sys.argv[4]):  # both processes start guessing together
        time.sleep(0.01)
    answers = []
    for attempt in range(5):
        try:
            document_sign(document=document, signer=user, password=f"guess-{attempt}",
                          printed_name="Anil Rao", meaning="authorship")
        except DomainError as refused:
            answers.append(str(refused))
print(json.dumps(answers))
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_limit_holds_across_processes_sharing_the_cache(
    undertaking, physician, settings, tmp_path
):
    """Two processes guess five times each at once, through a cache they share (the
    database cache here; Redis in production): five guesses are checked in all, the
    owner is told once, and this third process then refuses the right password."""
    need(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    table = "npp_test_reentry_cache"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": table}
    }
    call_command("createcachetable", table)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "npp.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "NPP_VAR_DIR": str(tmp_path / "var"),
        "NPP_LOGIN_FAILURES_PER_USER": "5",
    }
    go = tmp_path / "go"
    argv = [sys.executable, "-c", GUESSER, table, str(undertaking.pk), str(physician.user.pk)]
    guessers = [
        subprocess.Popen(
            [*argv, str(go)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    go.touch()
    answers = []
    for guesser in guessers:
        out, err = guesser.communicate(timeout=120)
        assert guesser.returncode == 0, err
        answers += json.loads(out.strip().splitlines()[-1])

    checked = [a for a in answers if "not correct" in a]
    paused = [a for a in answers if "paused" in a]
    assert len(answers) == 10
    assert len(checked) == 4 and len(paused) == 6  # the fifth failure pauses, the rest refused
    assert alerts_to(physician.user).count() == 2  # inbox and email, once
    with pytest.raises(DomainError, match="paused until"):
        sign(undertaking, physician.user, PASSWORD)
    assert not Signature.objects.exists()
