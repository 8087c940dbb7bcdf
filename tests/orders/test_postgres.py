"""What only the real database can prove: row locks under concurrency, and the
trigger that keeps the audit trail append-only below the ORM."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from orders.errors import CaseConflict
from orders.models import CaseEvent, ImportCase
from orders.services import case_transition
from orders.states import CaseStatus
from tests.conftest import need


@pytest.fixture
def postgres(db):
    need(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")


def race(actions: list) -> list[object]:
    """Run each action in its own thread, all released at the same instant; each
    thread has its own database connection. Returns each action's result or exception."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(slot: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[slot] = actions[slot]()
        except Exception as error:  # the outcome under test
            results[slot] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def copies(case: ImportCase, count: int) -> list[ImportCase]:
    """What each of `count` people loaded before acting: the same state, seen twice."""
    return [ImportCase.objects.get(pk=case.pk) for _ in range(count)]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_attempts_at_one_transition_give_one_success_and_one_conflict(
    postgres, case_in, coordinator
):
    case = case_in(CaseStatus.IN_TRANSIT)
    events_before = CaseEvent.objects.filter(case=case).count()
    seen = copies(case, 2)

    results = race(
        [
            lambda copy=copy: case_transition(case=copy, actor=coordinator, transition="arrive")
            for copy in seen
        ]
    )

    successes = [r for r in results if isinstance(r, ImportCase)]
    conflicts = [r for r in results if isinstance(r, CaseConflict)]
    assert len(successes) == 1, results
    assert len(conflicts) == 1, results
    assert "someone else" in str(conflicts[0])
    case.refresh_from_db()
    assert case.status == CaseStatus.CUSTOMS_CLEARANCE
    new_events = CaseEvent.objects.filter(case=case)[events_before:]
    assert [(e.transition, e.from_state, e.to_state) for e in new_events] == [
        ("arrive", CaseStatus.IN_TRANSIT, CaseStatus.CUSTOMS_CLEARANCE)
    ]


@pytest.mark.django_db(transaction=True)
def test_two_different_transitions_racing_from_one_state_leave_exactly_one_applied(
    postgres, case_in, coordinator
):
    case = case_in(CaseStatus.CUSTOMS_CLEARANCE)
    events_before = CaseEvent.objects.filter(case=case).count()
    seen = copies(case, 2)

    results = race(
        [
            lambda copy=copy, name=name: case_transition(
                case=copy, actor=coordinator, transition=name, note="Logger: 34 C for 6 hours"
            )
            for copy, name in zip(seen, ["quarantine", "hold"], strict=True)
        ]
    )

    assert sum(isinstance(r, ImportCase) for r in results) == 1, results
    assert sum(isinstance(r, CaseConflict) for r in results) == 1, results
    case.refresh_from_db()
    assert case.status in (CaseStatus.QUARANTINED, CaseStatus.ON_HOLD)
    assert CaseEvent.objects.filter(case=case).count() == events_before + 1


def test_the_database_refuses_to_update_a_case_event(postgres, case_in):
    case = case_in(CaseStatus.SUBMITTED)
    event = CaseEvent.objects.filter(case=case).last()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE orders_caseevent SET note = 'rewritten' WHERE id = %s", [event.pk])

    assert CaseEvent.objects.get(pk=event.pk).note == event.note


def test_the_database_refuses_to_delete_a_case_event(postgres, case_in):
    case = case_in(CaseStatus.SUBMITTED)
    count = CaseEvent.objects.filter(case=case).count()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM orders_caseevent WHERE case_id = %s", [case.pk])

    assert CaseEvent.objects.filter(case=case).count() == count
