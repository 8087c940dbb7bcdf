"""A transition costs the SQL its work needs: lock the case row, write what changed,
append the event (with BEGIN and COMMIT, five statements)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.errors import CaseConflict
from orders.models import CaseEvent, ImportCase
from orders.services import case_transition
from orders.states import CaseStatus
from portals import demo

S = CaseStatus


def _statements(captured) -> list[str]:
    """The statements the transition sent, without the test's own savepoints."""
    return [query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"]]


def test_a_transition_locks_the_case_row_alone_writes_what_changed_and_appends_the_event(
    case_in, coordinator
):
    case = case_in(S.IN_TRANSIT)
    seen = ImportCase.objects.get(pk=case.pk)

    with CaptureQueriesContext(connection) as captured:
        moved = case_transition(case=seen, actor=coordinator, transition="arrive")

    lock, update, insert = _statements(captured)
    assert lock.startswith("SELECT") and "JOIN" not in lock
    if connection.features.has_select_for_update:
        assert lock.rstrip().endswith("FOR UPDATE")
    assert update.startswith('UPDATE "orders_importcase" SET "status"')
    assigned = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    assert {part.split(" = ")[0] for part in assigned.split(", ")} == {
        '"status"',
        '"state_changed_at"',
        '"updated_at"',
    }
    assert insert.startswith('INSERT INTO "orders_caseevent"')
    stored = ImportCase.objects.get(pk=case.pk)
    assert stored.status == moved.status == S.CUSTOMS_CLEARANCE
    # The moment returned is the moment stored, without reading it back.
    assert moved.state_changed_at == stored.state_changed_at
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.transition, event.from_state, event.to_state) == (
        "arrive",
        S.IN_TRANSIT,
        S.CUSTOMS_CLEARANCE,
    )
    assert event.created_at >= stored.state_changed_at


def test_a_transition_with_inputs_writes_those_columns_too(case_in, coordinator):
    case = case_in(S.CUSTOMS_CLEARANCE)
    seen = ImportCase.objects.get(pk=case.pk)
    data = demo.customs_data(case, duty_exemption="")

    with CaptureQueriesContext(connection) as captured:
        case_transition(case=seen, actor=coordinator, transition="clear_customs", data=data)

    update = next(sql for sql in _statements(captured) if sql.startswith("UPDATE"))
    assigned = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    assert {part.split(" = ")[0] for part in assigned.split(", ")} == {
        '"status"',
        '"state_changed_at"',
        '"updated_at"',
        '"bill_of_entry_number"',
        '"assessable_value"',
        '"duty_amount"',
        '"clearance_date"',
    }
    assert ImportCase.objects.get(pk=case.pk).bill_of_entry_number == data["bill_of_entry_number"]


def test_a_stale_copy_is_refused_as_a_conflict_and_nothing_is_written(case_in, coordinator):
    case = case_in(S.IN_TRANSIT)
    stale = ImportCase.objects.get(pk=case.pk)
    case_transition(case=case, actor=coordinator, transition="arrive")
    events = CaseEvent.objects.filter(case=case).count()

    with pytest.raises(CaseConflict, match="someone else"):
        case_transition(case=stale, actor=coordinator, transition="quarantine", note="Hot")

    assert ImportCase.objects.get(pk=case.pk).status == S.CUSTOMS_CLEARANCE
    assert CaseEvent.objects.filter(case=case).count() == events


def test_the_status_stays_protected_after_a_reload(draft_case):
    draft_case.refresh_from_db()
    with pytest.raises(AttributeError, match="Direct status modification"):
        draft_case.status = S.CLOSED


def test_the_lock_compiled_once_reads_each_case_as_stored_field_for_field(
    case_in, other_case, coordinator
):
    from django.db import transaction

    from orders.services import _lock_case

    first, second = case_in(S.IN_TRANSIT), other_case
    case_transition(
        case=ImportCase.objects.get(pk=first.pk), actor=coordinator, transition="arrive"
    )
    for case in (first, second, first):
        stored = ImportCase.objects.get(pk=case.pk)
        with transaction.atomic():
            locked = _lock_case(case)
        assert not locked._state.adding and locked._state.db == stored._state.db
        assert {
            f.attname: f.value_from_object(locked) for f in ImportCase._meta.concrete_fields
        } == {f.attname: f.value_from_object(stored) for f in ImportCase._meta.concrete_fields}
        assert locked.db_now is not None
