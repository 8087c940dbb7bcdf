"""How the history reads: every detail of every event the system appends has a
human label (one table for the case page and the case record), lists stay lists,
amounts are in rupees, measurements carry the product's names and units."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from documents.generation.adverse_event_report import adverse_event_report_prepare
from orders.adverse_events import (
    adverse_event_acknowledge,
    adverse_event_forward,
    adverse_event_report,
    adverse_event_report_sent,
    adverse_event_report_unsent,
)
from orders.models import AdverseEvent, CaseEvent
from orders.resupply import case_create_resupply
from orders.services import case_assign, case_transition, case_update_request
from orders.states import CaseStatus
from orders.timeline import DETAIL_LABELS, HIDDEN_KEYS, event_details, event_title
from tests.orders.helpers import NOTES, prepare

S = CaseStatus


def details(event: CaseEvent) -> dict[str, object]:
    return {d["label"]: d["items"] or d["value"] for d in event_details(event)}


def unlabelled_keys(events) -> set[str]:
    """Data keys of `events` the label table does not name."""
    missing = set()
    for event in events:
        for key, value in (event.data or {}).items():
            if key == "changed":
                missing |= {name for name in value if name not in DETAIL_LABELS}
            elif not key.startswith("measure_") and key not in DETAIL_LABELS.keys() | HIDDEN_KEYS:
                missing.add(key)
    return missing


def test_every_detail_of_every_event_of_a_whole_case_has_a_label(
    case_in, coordinator, physician, draft_case, other_case, other_physician
):
    # Off the happy path too: an edit, an assignment, a question answered, a report.
    case_update_request(case=other_case, actor=other_physician.user, treatment_days=60)
    case_assign(case=draft_case, actor=coordinator, coordinator=coordinator)
    closed = case_in(S.CLOSED)
    report = adverse_event_report(
        case=closed,
        reporter=physician.user,
        onset_date=timezone.localdate() - dt.timedelta(days=1),
        description="Tremor.",
        seriousness=AdverseEvent.Seriousness.SERIOUS,
    )
    adverse_event_forward(adverse_event=report, actor=coordinator, forwarded_to="pv@x.example")
    adverse_event_acknowledge(
        adverse_event=report,
        actor=coordinator,
        acknowledged_on=timezone.localdate(),
        manufacturer_reference="PV-1",
    )
    # A second report, sent on its CIOMS I form; a third that cannot be sent.
    second = adverse_event_report(
        case=closed,
        reporter=physician.user,
        onset_date=timezone.localdate(),
        description="Headache.",
        seriousness=AdverseEvent.Seriousness.NON_SERIOUS,
    )
    adverse_event_report_prepare(second.pk)
    adverse_event_report_sent(adverse_event=second, sent_to="pv@x.example", sent_at=timezone.now())
    adverse_event_report_unsent(adverse_event=report, reason="No address.")  # already sent: none
    third = adverse_event_report(
        case=closed,
        reporter=physician.user,
        onset_date=timezone.localdate(),
        description="Rash.",
        seriousness=AdverseEvent.Seriousness.NON_SERIOUS,
    )
    adverse_event_report_unsent(adverse_event=third, reason="No pharmacovigilance email.")
    case_create_resupply(case=closed, actor=physician.user)
    submitted = case_transition(
        case=other_case,
        actor=other_physician.user,
        transition="submit",
        **prepare(other_case, "submit", coordinator),
    )
    questioned = case_transition(
        case=submitted,
        actor=coordinator,
        transition="request_information",
        note=NOTES["request_information"],
    )
    case_transition(
        case=questioned, actor=other_physician.user, transition="resubmit", note="Attached."
    )

    events = list(CaseEvent.objects.all())
    transitions = {event.transition for event in events}
    assert {"verify", "clear_customs", "confirm_delivery", "update_request", "assign"} <= (
        transitions
    )
    assert {"report_adverse_event", "forward_adverse_event", "resubmit"} <= transitions
    assert {
        "send_adverse_event_report",
        "adverse_event_report_unsent",
        "acknowledge_adverse_event",
    } <= transitions
    assert any("reused_documents" in event.data for event in events)
    assert unlabelled_keys(events) == set()
    for event in events:
        for line in event_details(event):
            assert "_" not in line["label"], (event.transition, line)
            assert not str(line["value"]).startswith(("[", "{")), (event.transition, line)


def test_the_verification_reads_as_checks_a_list_and_measurements_with_units(case_in):
    case = case_in(S.FORMS_PREPARATION)
    verify = case.events.get(transition="verify")

    shown = details(verify)

    assert shown["Co-medications"] == ["mycophenolate mofetil", "prednisolone"]
    assert shown["Diastolic BP"] == "82 mmHg"
    assert shown["Systolic BP"] == "128 mmHg"
    assert shown["eGFR"] == "72 mL/min/1.73 m2"
    assert shown["Prescriber's registration confirmed"] == "Yes"
    prescription_date = timezone.localdate() - dt.timedelta(days=3)
    assert shown["Prescription dated"] == f"{prescription_date.day} {prescription_date:%B %Y}"
    assert not any(label.lower().startswith("measure") for label in shown)


def test_customs_amounts_are_in_rupees_with_indian_grouping(case_in):
    case = case_in(S.OUT_FOR_DELIVERY)

    shown = details(case.events.get(transition="clear_customs"))

    # The demo's customs assess what the accepted quotation estimated (billing).
    assert shown["Assessable value"] == "₹20,92,826.69"
    assert shown["Duty paid"] == "₹3,46,363.00"
    assert shown["Bill of Entry"] == case.bill_of_entry_number
    assert "Duty exemption" not in shown  # none claimed: nothing to say


def test_dispatch_and_delivery_name_the_supplier_and_the_quantities(case_in):
    case = case_in(S.DELIVERED)

    dispatched = details(case.events.get(transition="dispatch"))
    delivered = details(case.events.get(transition="confirm_delivery"))
    permit = details(case.events.get(transition="record_permit"))

    assert dispatched["Supplier"] == "Aurinia Pharmaceuticals Inc."
    assert dispatched["Quantity"] == "3 packs"
    assert dispatched["Lot"] == case.current_shipment.batch_number
    assert permit["Permitted quantity"] == "3 packs"
    assert delivered["Received by"] == "Priya Menon"
    assert delivered["Received at"].endswith("IST")


def test_an_edit_says_what_changed_from_what(draft_case, physician):
    case_update_request(case=draft_case, actor=physician.user, treatment_days=60, priority="urgent")

    edit = draft_case.events.get(transition="update_request")

    assert event_title(edit) == "Request edited"
    assert details(edit) == {
        "Treatment duration": "changed from 90 to 60",
        "Priority": "changed from Normal to Urgent",
    }


def test_titles_name_what_happened(case_in, coordinator, draft_case):
    case_assign(case=draft_case, actor=coordinator, coordinator=coordinator)

    titles = [event_title(e) for e in draft_case.events.order_by("pk")]

    assert titles == ["Request started", "Assigned to Cora Coordinator"]
    assert details(draft_case.events.first()) == {}


def test_one_table_names_every_event_in_the_past_tense_and_moves_keep_their_label():
    """EVENT_TITLES is the one table of past-tense titles: every move of the state
    machine is in it (the physician's history never falls back to a button's label),
    and the coordinator's timeline still names a move by its label."""
    from orders.services import TRANSITIONS, transition_label
    from orders.timeline import EVENT_TITLES, event_done_title

    assert set(TRANSITIONS) <= set(EVENT_TITLES)
    for name in TRANSITIONS:
        event = CaseEvent(transition=name)
        assert event_done_title(event) == EVENT_TITLES[name]
        assert event_title(event) == transition_label(name)
    created = CaseEvent(transition=CaseEvent.CREATED)
    assert event_title(created) == event_done_title(created) == "Request started"
