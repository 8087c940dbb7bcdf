"""A real Celery worker renders a requested document: the request commits, the task
leaves through Redis on commit, a worker process claims the job in PostgreSQL, renders
and stores the PDF. Skipped without PostgreSQL and Redis (fails under
NPP_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from pypdf import PdfReader

from documents.generation.requests import request_render
from documents.models import Document, DocumentKind, RenderJob, RenderStatus
from orders.states import CaseStatus
from tests.conftest import need

WAIT_SECONDS = 60
POLL_SECONDS = 0.2


def redis_reachable(url: str) -> bool:
    if not url.startswith(("redis://", "rediss://")):
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def services():
    need(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    need(
        redis_reachable(django_settings.CELERY_BROKER_URL),
        "CELERY_BROKER_URL does not point at a reachable Redis",
    )


def worker_database_url() -> str:
    """The URL of the database pytest created, for the worker process to use."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def render_queue(settings, services):
    """A queue of this test's own, so no other worker on the broker takes the task."""
    name = f"npp-test-render-{uuid.uuid4().hex[:12]}"
    settings.NPP_RENDER_QUEUE = name
    yield name
    import redis

    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    client.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")


@pytest.fixture
def worker(render_queue, tmp_path, settings):
    """A Celery worker subprocess on the test database and the test's queue."""
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "npp.settings",
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        # The worker stores files where this test's storage reads them.
        "NPP_PRIVATE_STORAGE": settings.STORAGES["private"]["OPTIONS"]["location"],
        "NPP_VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    celery = Path(sys.executable).with_name("celery")
    command = [
        str(celery), "-A", "npp", "worker",
        "--pool=solo", "--concurrency=1",
        "-Q", render_queue,
        "-n", f"{render_queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--loglevel=INFO",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, log
    finally:
        # Stop it before pytest-django flushes or drops the test database.
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_for(condition, *, what: str, log: Path, process: subprocess.Popen):
    """Poll until `condition()` returns something truthy: waiting for a result, bounded."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if process.poll() is not None:
            break
        time.sleep(POLL_SECONDS)
    tail = log.read_text(errors="replace")[-4000:]
    pytest.fail(f"No {what} within {WAIT_SECONDS} s (worker exit {process.poll()}):\n{tail}")


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_renders_the_requested_application_pack(worker, case_in, coordinator):
    process, log = worker
    case = case_in(CaseStatus.FORMS_PREPARATION)

    # Autocommit: the job row commits at once and the task is published on commit.
    job = request_render(case=case, kind=DocumentKind.REGULATORY_APPLICATION, actor=coordinator)

    document = wait_for(
        lambda: Document.objects.filter(render_job__pk=job.pk).first(),
        what="rendered document",
        log=log,
        process=process,
    )
    job = RenderJob.objects.get(pk=job.pk)
    assert job.status == RenderStatus.READY
    assert job.attempts == 1
    assert document.generated is True
    assert document.case_id == case.pk
    assert Document.objects.filter(case=case, kind=DocumentKind.REGULATORY_APPLICATION).count() == 1
    with document.file.open("rb") as stored:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(stored.read())).pages)
    assert "Priya Menon" in text
    assert "NMC-123456" in text
