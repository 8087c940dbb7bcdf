"""How soon a render comes back after a fault, and the order of its time bounds:
settings (README's table) checked when the project starts."""

from __future__ import annotations

import json

import pytest

from documents.checks import render_time_bounds
from documents.generation import jobs
from documents.generation.requests import request_render, requeue_stale
from documents.models import RenderJob
from orders.states import CaseStatus
from tests.npp.conftest import run_project  # noqa: F401  (a fixture)


def test_the_default_bounds_grow_outward(settings):
    assert render_time_bounds() == []
    assert (
        settings.NPP_RENDER_TIMEOUT
        < settings.NPP_RENDER_SOFT_TIME_LIMIT
        < settings.NPP_RENDER_TIME_LIMIT
        < settings.NPP_RENDER_LEASE_SECONDS
    )


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("NPP_RENDER_TIMEOUT", 60, "NPP_RENDER_SOFT_TIME_LIMIT"),
        ("NPP_RENDER_TIME_LIMIT", 50, "NPP_RENDER_SOFT_TIME_LIMIT"),
        ("NPP_RENDER_LEASE_SECONDS", 90, "NPP_RENDER_TIME_LIMIT"),
    ],
)
def test_a_bound_not_shorter_than_the_next_is_an_error(settings, name, value, named):
    setattr(settings, name, value)

    errors = render_time_bounds()

    assert [error.id for error in errors] == ["documents.E001"]
    assert name in errors[0].msg and named in errors[0].msg


def test_the_project_refuses_to_start_with_a_lease_shorter_than_the_hard_limit(run_project):  # noqa: F811
    result = run_project(["manage.py", "check"], NPP_RENDER_LEASE_SECONDS="80")

    assert result.returncode != 0
    assert "documents.E001" in result.stderr
    assert "NPP_RENDER_TIME_LIMIT (90 s) must be shorter than NPP_RENDER_LEASE_SECONDS" in (
        result.stderr
    )


def settings_seen(run_project, **env: str) -> dict:  # noqa: F811
    code = (
        "import json, django\nfrom django.conf import settings\ndjango.setup()\n"
        "print(json.dumps({n: getattr(settings, n) for n in "
        "['NPP_RENDER_SWEEP_SECONDS', 'NPP_RENDER_STALE_SECONDS', 'CELERY_BEAT_SCHEDULE']}))"
    )
    result = run_project(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_by_default_a_render_never_enqueued_is_recovered_within_two_sweep_intervals(
    run_project,  # noqa: F811
):
    default = settings_seen(run_project)
    faster = settings_seen(run_project, NPP_RENDER_SWEEP_SECONDS="20", NPP_RENDER_QUEUE="pdf")

    # Stale after at most one interval, so the second sweep after the request finds it.
    assert default["NPP_RENDER_STALE_SECONDS"] <= default["NPP_RENDER_SWEEP_SECONDS"] <= 60
    assert faster["NPP_RENDER_STALE_SECONDS"] == 20
    sweep = faster["CELERY_BEAT_SCHEDULE"]["documents-requeue-stale-renders"]
    assert sweep["schedule"] == 20
    assert sweep["options"] == {"queue": "pdf"}  # beside the renders it enqueues


def test_the_sweep_enqueues_a_pending_job_once_it_is_stale(case_in, coordinator, settings):
    settings.NPP_RENDER_STALE_SECONDS = 30
    case = case_in(CaseStatus.FORMS_PREPARATION)
    job = request_render(case=case, kind="regulatory_application", actor=coordinator)
    requested = RenderJob.objects.get(pk=job.pk).updated_at

    assert jobs.stale_render_jobs(now=requested + jobs.stale_pending_after() / 2) == []
    assert jobs.stale_render_jobs(now=requested + jobs.stale_pending_after() * 1.01) == [job.pk]
    assert requeue_stale(now=requested + jobs.stale_pending_after() * 1.01) == 1
