"""The case history: one event per step, never rewritten; request edits recorded;
references numbered in order."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from orders.errors import DomainError
from orders.models import AppendOnlyError, CaseEvent
from orders.services import case_transition, case_update_request
from orders.states import CaseStatus
from portals import demo
from tests.conftest import new_case
from tests.orders.helpers import NOTES, reach, stored

S = CaseStatus


# --- the history of a case ---------------------------------------------------------


def test_a_walked_case_has_one_event_per_step_in_order(case_in, physician, patient, coordinator):
    case = case_in(S.CLOSED)

    # Steps within a state (the payer, the quotation, its payment, the order sent to the
    # supplier) are events too; the moves between states follow the happy path.
    events = [e for e in CaseEvent.objects.filter(case=case) if e.from_state != e.to_state]

    assert [e.to_state for e in events] == list(demo.HAPPY_PATH)
    assert events[0].transition == CaseEvent.CREATED
    assert events[0].from_state == ""
    for previous, event in itertools.pairwise(events):
        assert event.from_state == previous.to_state
        assert event.created_at >= previous.created_at
        assert event.pk > previous.pk
    actors = {e.transition: e.actor for e in events}
    assert actors[CaseEvent.CREATED] == physician.user
    assert actors["submit"] == physician.user
    assert actors["confirm_delivery"] == patient.user
    assert actors["verify"] == actors["close"] == coordinator


def test_every_event_has_an_actor_and_a_time_set_by_the_database(case_in):
    case = case_in(S.DELIVERED)

    for event in CaseEvent.objects.filter(case=case):
        assert event.actor_id is not None
        assert event.created_at is not None
        assert timezone.is_aware(event.created_at)


def test_the_time_of_an_event_comes_from_the_database_clock_not_the_application(
    draft_case, physician
):
    # The application's clock is wound back; the recorded times are still the
    # database's, so no process with a wrong clock can misdate the history.
    wrong_clock = dt.datetime(2001, 1, 1, 9, tzinfo=dt.UTC)
    with time_machine.travel(wrong_clock, tick=False):
        case_transition(
            case=draft_case, actor=physician.user, transition="cancel", note=NOTES["cancel"]
        )

    draft_case.refresh_from_db()
    event = draft_case.events.get(transition="cancel")
    assert event.created_at > wrong_clock + dt.timedelta(days=365)
    assert draft_case.state_changed_at > wrong_clock + dt.timedelta(days=365)


def test_an_event_cannot_be_backdated_even_through_the_orm(draft_case, physician):
    backdated = dt.datetime(2001, 1, 1, 9, tzinfo=dt.UTC)

    event = CaseEvent.objects.create(
        case=draft_case,
        transition="update_request",
        from_state=S.DRAFT,
        to_state=S.DRAFT,
        actor=physician.user,
        created_at=backdated,
    )

    assert CaseEvent.objects.get(pk=event.pk).created_at > backdated + dt.timedelta(days=365)


# --- append-only -------------------------------------------------------------------


@pytest.fixture
def history(case_in):
    case = case_in(S.FORMS_PREPARATION)
    return case, list(CaseEvent.objects.filter(case=case).values())


def assert_history_unchanged(case, before) -> None:
    assert list(CaseEvent.objects.filter(case=case).values()) == before


def test_an_event_refuses_to_be_saved_again_after_it_was_created(history):
    case, before = history
    event = CaseEvent.objects.filter(case=case).last()
    event.note = "Rewritten after the fact."

    with pytest.raises(AppendOnlyError):
        event.save()

    assert_history_unchanged(case, before)


def test_an_event_refuses_to_be_deleted(history):
    case, before = history
    event = CaseEvent.objects.filter(case=case).last()

    with pytest.raises(AppendOnlyError):
        event.delete()

    assert_history_unchanged(case, before)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda case: CaseEvent.objects.filter(case=case).update(note="Rewritten."),
        lambda case: CaseEvent.objects.filter(case=case).delete(),
        lambda case: case.events.all().update(actor=None),
        lambda case: case.events.all().delete(),
        lambda case: CaseEvent.objects.update(note="Rewritten."),
        lambda case: CaseEvent.objects.bulk_update(
            list(CaseEvent.objects.filter(case=case)), ["note"]
        ),
    ],
    ids=[
        "queryset-update",
        "queryset-delete",
        "related-update",
        "related-delete",
        "manager-update",
        "bulk-update",
    ],
)
def test_events_refuse_to_be_updated_or_deleted_in_bulk(history, tamper):
    case, before = history

    # bulk_update runs in its own atomic block; the savepoint keeps the test's
    # transaction usable after the refusal.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        tamper(case)

    assert_history_unchanged(case, before)


# --- editing the request -----------------------------------------------------------


def test_editing_a_draft_records_an_event_with_only_the_changed_fields(draft_case, physician):
    old_quantity = draft_case.quantity_packs
    events_before = draft_case.events.count()

    case_update_request(
        case=draft_case,
        actor=physician.user,
        quantity_packs=old_quantity - 1,
        justification=draft_case.justification,
    )

    draft_case.refresh_from_db()
    assert draft_case.quantity_packs == old_quantity - 1
    assert draft_case.status == S.DRAFT
    assert draft_case.events.count() == events_before + 1
    event = draft_case.events.order_by("-pk").first()
    assert event.transition == "update_request"
    assert (event.from_state, event.to_state) == (S.DRAFT, S.DRAFT)
    assert event.actor == physician.user
    assert event.data == {
        "changed": {"quantity_packs": {"from": str(old_quantity), "to": str(old_quantity - 1)}}
    }


def test_the_physician_may_edit_the_request_while_answering_a_question(
    case_in, coordinator, physician
):
    case = reach(case_in, coordinator, S.INFORMATION_REQUESTED)

    case_update_request(case=case, actor=physician.user, treatment_days=60)
    case_transition(case=case, actor=physician.user, transition="resubmit", note="Shortened.")

    case.refresh_from_db()
    assert case.treatment_days == 60
    assert case.status == S.SUBMITTED
    edit = case.events.get(transition="update_request")
    assert edit.data["changed"]["treatment_days"]["to"] == "60"
    assert edit.from_state == S.INFORMATION_REQUESTED


@pytest.mark.parametrize(
    "state", [S.SUBMITTED, S.FORMS_PREPARATION, S.IN_TRANSIT, S.CLOSED, S.CANCELLED]
)
def test_editing_the_request_is_refused_once_it_has_left_the_physician(case_in, coordinator, state):
    case = reach(case_in, coordinator, state)
    before = stored(case)

    with pytest.raises(DomainError, match="can no longer be edited"):
        case_update_request(case=case, actor=coordinator, quantity_packs=1)

    assert stored(case) == before


@pytest.mark.parametrize("field", ["status", "permit_number", "reference", "patient"])
def test_editing_the_request_refuses_fields_that_are_not_part_of_it(draft_case, physician, field):
    before = stored(draft_case)

    with pytest.raises(DomainError, match=f"cannot be edited: {field}"):
        case_update_request(case=draft_case, actor=physician.user, **{field: "X"})

    assert stored(draft_case) == before


@pytest.mark.parametrize("outsider", ["other_physician", "patient", "other_patient"])
def test_only_the_physician_or_a_coordinator_may_edit_the_request(request, draft_case, outsider):
    person = request.getfixturevalue(outsider)
    before = stored(draft_case)

    with pytest.raises(PermissionDenied):
        case_update_request(case=draft_case, actor=person.user, quantity_packs=1)

    assert stored(draft_case) == before


# --- references -------------------------------------------------------------------


def test_case_references_are_sequential_per_year(physician, patient, lupkynis):
    year = timezone.localdate().year

    first = new_case(physician=physician, patient=patient, product=lupkynis)
    second = new_case(physician=physician, patient=patient, product=lupkynis)

    assert first.reference == f"NPP-{year}-00001"
    assert second.reference == f"NPP-{year}-00002"


def test_a_new_year_starts_its_own_sequence(physician, patient, lupkynis):
    this_year = timezone.localdate().year
    new_case(physician=physician, patient=patient, product=lupkynis)

    with time_machine.travel(dt.datetime(this_year + 1, 1, 15, 9, tzinfo=dt.UTC), tick=False):
        next_year = new_case(physician=physician, patient=patient, product=lupkynis)
    later_this_year = new_case(physician=physician, patient=patient, product=lupkynis)

    assert next_year.reference == f"NPP-{this_year + 1}-00001"
    assert later_this_year.reference == f"NPP-{this_year}-00002"


def test_the_reference_year_is_the_services_local_year(physician, patient, lupkynis):
    # Half an hour into New Year's Day where the service runs; UTC may still be in
    # the old year, but the case belongs to the new one.
    local = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    new_year = timezone.now().astimezone(local).year + 1
    with time_machine.travel(dt.datetime(new_year, 1, 1, 0, 30, tzinfo=local), tick=False):
        case = new_case(physician=physician, patient=patient, product=lupkynis)

    assert case.reference == f"NPP-{new_year}-00001"


def test_cancelling_does_not_free_a_reference(draft_case, physician, patient, lupkynis):
    case_transition(
        case=draft_case, actor=physician.user, transition="cancel", note=NOTES["cancel"]
    )

    following = new_case(physician=physician, patient=patient, product=lupkynis)

    assert following.reference != draft_case.reference
    assert int(following.reference[-5:]) == int(draft_case.reference[-5:]) + 1
