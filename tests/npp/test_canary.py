"""The canary: a patient with a unique name, phone, email and identity number goes
through the physician's request, the coordinator's review and verification, the
notifications (text messages on), a queue search, the rendering of the application
pack and error pages, with every logger at DEBUG; none of those values may reach a
log line. The same through gunicorn in a subprocess, reading its access log."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from documents.generation.jobs import render_job_run
from documents.models import Document, DocumentKind, RenderJob, RenderStatus
from notifications.models import Category, Channel, Notification, NotificationPreference
from notifications.tasks import deliver_event
from orders.models import ImportCase, Patient
from portals import demo
from tests.conftest import need
from tests.portals.coordinator_helpers import action_url, transition_post
from tests.portals.test_physician import NEW_PATIENT, pdf, request_post

NAME = "Quillon Vexbury"
PHONE = "+91 97311 58264"
EMAIL = "quillon.vexbury.canary@example.org"
IDENTITY = "7391 4826 5503"


def canaries() -> list[str]:
    """Every spelling a log line could carry."""
    digits = re.sub(r"\D", "", PHONE)
    return [
        NAME.lower(),
        *(part.lower() for part in NAME.split()),
        PHONE.lower(),
        digits,
        digits[2:],  # without the country code
        PHONE.replace(" ", "").lower(),
        EMAIL.lower(),
        EMAIL.split("@")[0].lower(),
        urllib.parse.quote(EMAIL).lower(),
        IDENTITY,
        IDENTITY.replace(" ", ""),
        urllib.parse.quote_plus(NAME).lower(),
    ]


def leaks(lines: list[str]) -> list[tuple[str, str]]:
    return [(c, line) for line in lines for c in canaries() if c in line.lower()]


class Everything(logging.Handler):
    """Every record, formatted as a log file would hold it (traceback included)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured():
    """All loggers at DEBUG, each one (propagating or not) writing to one handler."""
    handler = Everything()
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
    ]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
        lg.addHandler(handler)
    yield handler
    for lg, level, disabled in saved:
        lg.removeHandler(handler)
        lg.setLevel(level)
        lg.disabled = disabled


def canary_request(physician_client, lupkynis) -> ImportCase:
    """The physician opens and submits the request for a new patient, who is invited."""
    patient = {
        **NEW_PATIENT,
        "full_name": NAME,
        "phone": PHONE,
        "email": EMAIL,
        "id_document_number": IDENTITY,
    }
    response = physician_client.post(
        "/physician/cases/new/",
        request_post(lupkynis, **patient, action="submit", prescription=pdf()),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case = ImportCase.objects.get(patient__full_name=NAME)
    assert case.status == "submitted"
    return case


def texts_on(case: ImportCase) -> None:
    """The patient and the physician asked for text messages."""
    for user in (case.patient.user, case.physician.user):
        for category in Category:
            NotificationPreference.objects.update_or_create(
                user=user, category=category, defaults={"email": True, "sms": True}
            )


def test_no_canary_value_reaches_any_log_line(
    captured, physician, other_physician, coordinator, lupkynis, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.NPP_TEXT_MESSAGE_BACKEND = "notifications.channels.LoggingTextMessageBackend"
    physician_client = Client()
    physician_client.force_login(physician.user)
    cora = Client(raise_request_exception=False)
    cora.force_login(coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        case = canary_request(physician_client, lupkynis)
    texts_on(case)
    patient = Patient.objects.get(full_name=NAME)
    assert patient.user is not None and patient.user.email == EMAIL

    # The coordinator searches for the patient, opens the case, accepts the
    # prescription and verifies.
    found = cora.post("/work/", {"q": NAME}, follow=True)
    assert [row.reference for row in found.context["page"].rows] == [case.reference]
    assert cora.get(f"/work/cases/{case.pk}/").status_code == 200
    prescription = case.documents.get(kind=DocumentKind.PRESCRIPTION)
    cora.post(
        f"/work/documents/{prescription.pk}/review", {f"r{prescription.pk}-decision": "accept"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        verified = cora.post(
            action_url(case, "verify"),
            transition_post(case, "verify", **demo.verification_data(case)),
        )
    assert verified.status_code == 302, verified.content.decode()[:3000]

    # Notifications of every event, text messages included, as a worker sends them.
    for event in case.events.all():
        deliver_event.apply(args=(event.pk,))
    sms = Notification.objects.filter(case=case, channel=Channel.SMS, status="sent")
    assert sms.filter(recipient=patient.user).count() == 2  # submit and verify

    # The application pack, which prints the patient's name, address and identity.
    job = RenderJob.objects.get(case=case, kind=DocumentKind.REGULATORY_APPLICATION)
    render_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == RenderStatus.READY

    # Error pages: another physician's 404, a refused page, a form error, a 500.
    outsider = Client()
    outsider.force_login(other_physician.user)
    assert outsider.get(f"/physician/cases/{case.pk}/").status_code == 404
    assert physician_client.get("/work/").status_code in (403, 404)
    bad = physician_client.post(
        "/physician/cases/new/", {**NEW_PATIENT, "full_name": NAME, "phone": PHONE, "product": ""}
    )
    assert bad.status_code == 400
    document = Document.objects.get(render_job=job)
    Path(document.file.path).unlink()  # the stored file is gone: the download fails
    assert cora.get(f"/documents/{document.pk}/download").status_code == 500

    lines = captured.lines
    assert any("Text message to ***64" in line for line in lines)
    assert any("Internal Server Error" in line for line in lines)
    assert any("Refused 404" in line for line in lines)
    assert leaks(lines) == []


# --- Through gunicorn, its access log and its error log -----------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Browser:
    """Cookies, CSRF and redirects against a real server, with the standard library."""

    def __init__(self, base: str, session_cookie: tuple[str, str]) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("Cookie", f"{session_cookie[0]}={session_cookie[1]}")]

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        _status, page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base + path, data=body)
        request.add_header("Referer", self.base + path)
        return self._open(request)

    def _open(self, request) -> tuple[int, str]:
        cookies = "; ".join(
            [self.opener.addheaders[0][1]] + [f"{c.name}={c.value}" for c in self.jar]
        )
        request.add_header("Cookie", cookies)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_canary_value_reaches_gunicorns_access_or_error_log(
    physician, coordinator, lupkynis, tmp_path, settings
):
    need(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    physician_client = Client()
    physician_client.force_login(physician.user)
    case = canary_request(physician_client, lupkynis)
    coordinator_client = Client()
    coordinator_client.force_login(coordinator)
    session = (
        settings.SESSION_COOKIE_NAME,
        coordinator_client.cookies[settings.SESSION_COOKIE_NAME].value,
    )

    port = free_port()
    access_log, error_log = tmp_path / "access.log", tmp_path / "error.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "npp.settings",
        "DATABASE_URL": database_url(),
        "NPP_VAR_DIR": str(tmp_path / "var"),
        "NPP_PRIVATE_STORAGE": settings.STORAGES["private"]["OPTIONS"]["location"],
        "LOG_LEVEL": "DEBUG",
        "PYTHONUNBUFFERED": "1",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn), "npp.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", "2", "--log-level", "debug",
        "--access-logfile", str(access_log), "--error-logfile", str(error_log),
    ]  # fmt: skip
    output = tmp_path / "gunicorn.out"
    with output.open("wb") as stream:
        server = subprocess.Popen(
            command, cwd=django_settings.BASE_DIR, env=env, stdout=stream, stderr=subprocess.STDOUT
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).read()
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                assert server.poll() is None, output.read_text()
                assert time.monotonic() < deadline, output.read_text()
                time.sleep(0.2)
        browser = Browser(base, session)
        status, page = browser.post("/work/", {"q": NAME})
        assert status == 200
        assert case.reference in page  # the search found the canary's case
        assert browser.get(f"/work/cases/{case.pk}/")[0] == 200
        assert browser.get(f"/work/cases/{case.pk + 10_000}/")[0] == 404
    finally:
        server.terminate()
        server.wait(timeout=30)

    access = access_log.read_text().splitlines()
    assert any('"POST /work/ ' in line for line in access), access
    assert any('"GET /work/?search=' in line for line in access), access
    logs = access + error_log.read_text().splitlines() + output.read_text().splitlines()
    assert leaks(logs) == []
