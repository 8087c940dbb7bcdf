"""A transition's statements, compiled once per connection (orders.compiled), write and
read what the ORM's own save and get would: every value, NULLs, the event's id and
moment; a model with save receivers still has them called."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django.db.models import signals

from npp.compiled import forget_compiled
from orders import compiled, handlers
from orders.models import CaseEvent, ImportCase
from orders.services import case_transition
from orders.states import CaseStatus

S = CaseStatus


def test_a_column_written_null_then_a_value_then_null_is_stored_each_time(draft_case):
    for value in (None, dt.date(2026, 3, 1), None, dt.date(2026, 4, 2)):
        with transaction.atomic():
            case = compiled.lock_case(draft_case.pk)
            case.permit_issued_on = value
            compiled.save_case_fields(case, ["permit_issued_on", "updated_at"])
        stored = ImportCase.objects.get(pk=draft_case.pk)
        assert stored.permit_issued_on == value
        assert stored.updated_at == case.updated_at  # auto_now applied and written


def test_saving_the_fields_of_a_case_that_is_not_stored_is_an_error(draft_case):
    case = ImportCase.objects.get(pk=draft_case.pk)
    case.pk = draft_case.pk + 10_000

    with pytest.raises(DatabaseError, match="did not affect any rows"):
        compiled.save_case_fields(case, ["priority"])


def test_the_event_handed_on_carries_the_id_and_moment_the_database_gave_it(
    case_in, coordinator, monkeypatch
):
    case = case_in(S.IN_TRANSIT)
    handed: list[CaseEvent] = []
    monkeypatch.setattr(handlers, "after_commit", handed.append)

    case = case_transition(case=case, actor=coordinator, transition="arrive")
    case_transition(case=case, actor=coordinator, transition="hold", note="Paperwork")

    assert [event.transition for event in handed] == ["arrive", "hold"]
    for event in handed:
        stored = CaseEvent.objects.get(pk=event.pk)
        assert not event._state.adding
        assert isinstance(event.created_at, dt.datetime)
        assert event.created_at == stored.created_at
        assert (stored.actor, stored.note, stored.data) == (coordinator, event.note, {})
    with pytest.raises(Exception, match="append-only"):
        handed[0].save()


def test_receivers_of_save_signals_still_hear_a_transition(case_in, coordinator):
    case = case_in(S.IN_TRANSIT)
    heard: list[tuple] = []

    def saved(sender, instance, created, update_fields, **kwargs):
        heard.append((sender, created, sorted(update_fields or [])))

    signals.post_save.connect(saved, sender=ImportCase)
    signals.post_save.connect(saved, sender=CaseEvent)
    try:
        case_transition(case=case, actor=coordinator, transition="arrive")
    finally:
        signals.post_save.disconnect(saved, sender=ImportCase)
        signals.post_save.disconnect(saved, sender=CaseEvent)

    assert heard == [
        (ImportCase, False, ["state_changed_at", "status", "updated_at"]),
        (CaseEvent, True, []),
    ]


@pytest.mark.django_db(transaction=True)
def test_an_event_appended_outside_a_transaction_on_a_new_connection_is_stored(
    draft_case, coordinator
):
    forget_compiled()  # as a worker's first statement here
    event = CaseEvent(
        case=draft_case,
        transition="note",
        from_state=S.DRAFT,
        to_state=S.DRAFT,
        actor=coordinator,
        note="Outside",
    )

    compiled.insert_event(event)

    assert CaseEvent.objects.get(pk=event.pk).note == "Outside"
