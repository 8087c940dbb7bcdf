"""Transitions from many threads at once: threaded gunicorn workers, threaded Celery
pools and threaded tests share one `ImportCase` class, so nothing in the transition
path may change state on the class (django-fsm-2's `refresh_from_db` switches the
status field's `protected` flag off and on for every thread at once)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from orders.models import CaseEvent, ImportCase
from orders.services import case_transition
from orders.states import CaseStatus
from tests.conftest import need
from tests.portals.coordinator_helpers import bulk_cases

S = CaseStatus
THREADS = 8
TRANSITIONS_EACH = 50


def _in_threads(work, count: int) -> list[list[BaseException]]:
    """Run work(slot) in `count` threads released together; each thread's errors."""
    barrier = threading.Barrier(count)
    errors: list[list[BaseException]] = [[] for _ in range(count)]

    def run(slot: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(slot, errors[slot])
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    return errors


@pytest.fixture
def cases_in_transit(coordinator, physician, patient, lupkynis) -> list[ImportCase]:
    created = bulk_cases(
        THREADS, creator=coordinator, physicians=[physician], patients=[patient], product=lupkynis
    )
    ImportCase.objects.filter(pk__in=[c.pk for c in created]).update(status=S.IN_TRANSIT)
    return list(ImportCase.objects.filter(pk__in=[c.pk for c in created]).order_by("pk"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_threads_of_fifty_transitions_each_all_succeed(coordinator, cases_in_transit):
    need(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    cases = cases_in_transit

    def work(slot: int, errors: list[BaseException]) -> None:
        case = ImportCase.objects.get(pk=cases[slot].pk)
        for step in range(TRANSITIONS_EACH):
            name = "hold" if step % 2 == 0 else "resume"
            try:
                case = case_transition(
                    case=case, actor=coordinator, transition=name, note=f"step {step}"
                )
                # What a page or a test does next: read the stored case again.
                case.refresh_from_db()
            except Exception as error:  # the outcome under test
                errors.append(error)
                case = ImportCase.objects.get(pk=case.pk)

    errors = _in_threads(work, THREADS)

    failures = [repr(error) for slot in errors for error in slot]
    assert failures == [], f"{len(failures)} of {THREADS * TRANSITIONS_EACH}: {failures[:3]}"
    for case in cases:
        assert ImportCase.objects.get(pk=case.pk).status == S.IN_TRANSIT
    events = CaseEvent.objects.filter(case__in=cases)
    assert events.count() == THREADS * TRANSITIONS_EACH


@pytest.mark.django_db(transaction=True)
def test_reloading_cases_in_eight_threads_never_trips_the_status_protection(
    coordinator, cases_in_transit
):
    """The same on any database, reads only: refresh_from_db from eight threads."""
    cases = cases_in_transit

    def work(slot: int, errors: list[BaseException]) -> None:
        case = ImportCase.objects.get(pk=cases[slot].pk)
        for _ in range(200):
            try:
                case.refresh_from_db()
            except Exception as error:  # the outcome under test
                errors.append(error)
        # Protection still holds for this thread afterwards.
        try:
            case.status = S.CLOSED
        except AttributeError:
            pass
        else:
            errors.append(AssertionError("status was assignable directly"))

    errors = _in_threads(work, THREADS)

    failures = [repr(error) for slot in errors for error in slot]
    assert failures == [], f"{len(failures)} failures: {failures[:3]}"
