"""Every transition's happy path through the service: the stored state, the event
it appends and the moment the state changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from documents.models import DocumentKind
from orders.inputs import INPUTS
from orders.models import CaseEvent, ImportCase, Shipment, Supplier, Verification
from orders.services import case_transition
from orders.states import CaseStatus
from portals import demo
from tests.conftest import PASSWORD
from tests.orders.helpers import (
    NOTES,
    assert_refused,
    backdate,
    prepare,
    reach,
    refuse,
    upload,
)

S = CaseStatus


def move(case: ImportCase, actor, transition: str, *, note: str = "", data=None) -> CaseEvent:
    """Make the transition and check what every transition must store: exactly one
    new event, from the state the case was in, by `actor`, with the note, and a
    state_changed_at that moved. Refreshes `case` in place and returns the event
    for the specific checks."""
    from_state = case.status
    events_before = CaseEvent.objects.filter(case=case).count()
    earlier = backdate(case)

    returned = case_transition(case=case, actor=actor, transition=transition, note=note, data=data)

    stored_case = ImportCase.objects.get(pk=case.pk)
    assert returned.status == stored_case.status
    assert CaseEvent.objects.filter(case=case).count() == events_before + 1
    event = CaseEvent.objects.filter(case=case).order_by("-pk").first()
    assert event.transition == transition
    assert event.from_state == from_state
    assert event.to_state == stored_case.status
    assert event.actor == actor
    assert event.note == note.strip()
    assert stored_case.state_changed_at > earlier
    assert stored_case.state_changed_at <= event.created_at
    if transition not in INPUTS:
        assert event.data == {}
    case.refresh_from_db()
    return event


def test_submit_sends_a_complete_draft_with_its_prescription_for_verification(
    draft_case, physician, coordinator
):
    kwargs = prepare(draft_case, "submit", coordinator)

    event = move(draft_case, physician.user, "submit", **kwargs)

    draft_case.refresh_from_db()
    assert draft_case.status == S.SUBMITTED
    assert (event.from_state, event.to_state) == (S.DRAFT, S.SUBMITTED)
    assert event.data == {}


@pytest.mark.parametrize("source", [S.SUBMITTED, S.FORMS_PREPARATION, S.AWAITING_PERMIT])
def test_request_information_returns_the_case_to_the_physician_with_the_question(
    case_in, coordinator, source
):
    case = reach(case_in, coordinator, source)

    event = move(case, coordinator, "request_information", note=NOTES["request_information"])

    case.refresh_from_db()
    assert case.status == S.INFORMATION_REQUESTED
    assert (event.from_state, event.to_state) == (source, S.INFORMATION_REQUESTED)
    assert event.note == NOTES["request_information"]


def test_resubmit_sends_the_answered_request_back_for_verification(case_in, coordinator, physician):
    case = reach(case_in, coordinator, S.INFORMATION_REQUESTED)

    event = move(case, physician.user, "resubmit", note="  eGFR report attached.  ")

    case.refresh_from_db()
    assert case.status == S.SUBMITTED
    assert (event.from_state, event.to_state) == (S.INFORMATION_REQUESTED, S.SUBMITTED)
    assert event.note == "eGFR report attached."


def test_verify_records_the_checklist_and_safety_screen_and_moves_to_forms_preparation(
    case_in, coordinator
):
    case = case_in(S.SUBMITTED)
    kwargs = prepare(case, "verify", coordinator)
    data = kwargs["data"]

    event = move(case, coordinator, "verify", **kwargs)

    case.refresh_from_db()
    assert case.status == S.FORMS_PREPARATION
    verification = Verification.objects.get(case=case)
    for field, _label in Verification.CHECKLIST:
        assert getattr(verification, field) is True
    assert verification.prescription_date.isoformat() == data["prescription_date"]
    assert verification.co_medications == data["co_medications"].splitlines()
    assert Decimal(verification.measurements["egfr"]) == Decimal(data["measure_egfr"])
    assert verification.updated_by == coordinator
    assert event.data["prescription_date"] == data["prescription_date"]
    assert event.data["co_medications"] == data["co_medications"].splitlines()
    assert Decimal(event.data["measure_systolic_bp"]) == Decimal(data["measure_systolic_bp"])


@pytest.mark.parametrize("source", [S.SUBMITTED, S.AWAITING_PERMIT])
def test_reject_ends_the_case_with_the_reason(case_in, coordinator, source):
    case = case_in(source)

    event = move(case, coordinator, "reject", note=NOTES["reject"])

    case.refresh_from_db()
    assert case.status == S.REJECTED
    assert (event.from_state, event.to_state) == (source, S.REJECTED)


def test_file_application_records_the_regulators_reference(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    kwargs = prepare(case, "file_application", coordinator)
    reference = kwargs["data"]["regulator_reference"]

    event = move(case, coordinator, "file_application", **kwargs)

    case.refresh_from_db()
    assert case.status == S.AWAITING_PERMIT
    assert case.regulator_reference == reference
    pack = case.documents.current().get(kind="regulatory_application")
    assert event.data == {
        "regulator_reference": reference,
        # The exact pack filed: a later version never takes its place in the record.
        "filed_pack": {"document_id": pack.pk, "version": pack.version, "sha256": pack.sha256},
    }


def test_record_permit_stores_the_permit_and_moves_to_supplier_ordering(case_in, coordinator):
    case = case_in(S.AWAITING_PERMIT)
    kwargs = prepare(case, "record_permit", coordinator)
    data = kwargs["data"]

    event = move(case, coordinator, "record_permit", **kwargs)

    case.refresh_from_db()
    assert case.status == S.SUPPLIER_ORDERING
    assert case.permit_number == data["permit_number"]
    assert case.permit_issued_on.isoformat() == data["permit_issued_on"]
    assert case.permit_valid_until.isoformat() == data["permit_valid_until"]
    assert case.permitted_quantity_packs == int(data["permitted_quantity_packs"])
    assert event.data["permit_number"] == data["permit_number"]
    assert event.data["permit_valid_until"] == data["permit_valid_until"]
    assert event.data["permitted_quantity_packs"] == int(data["permitted_quantity_packs"])


def test_dispatch_records_the_shipment_and_moves_to_in_transit(case_in, coordinator):
    case = case_in(S.SUPPLIER_ORDERING)
    kwargs = prepare(case, "dispatch", coordinator)
    data = kwargs["data"]
    supplier = Supplier.objects.get(pk=data["supplier"])

    event = move(case, coordinator, "dispatch", **kwargs)

    case.refresh_from_db()
    assert case.status == S.IN_TRANSIT
    shipment = Shipment.objects.get(case=case)
    assert shipment.supplier == supplier
    assert shipment.batch_number == data["batch_number"]
    assert shipment.expiry_date.isoformat() == data["expiry_date"]
    assert shipment.quantity_packs == int(data["quantity_packs"])
    assert shipment.tracking_number == data["tracking_number"]
    assert shipment.rejected_at is None
    assert event.data["supplier"] == {"id": supplier.pk, "name": str(supplier)}
    assert event.data["batch_number"] == data["batch_number"]
    assert event.data["tracking_number"] == data["tracking_number"]


def test_arrive_moves_the_shipment_to_customs_clearance(case_in, coordinator):
    case = case_in(S.IN_TRANSIT)

    event = move(case, coordinator, "arrive", note=NOTES["arrive"])

    case.refresh_from_db()
    assert case.status == S.CUSTOMS_CLEARANCE
    assert event.data == {}


def test_clear_customs_records_the_bill_of_entry_and_the_duty_paid(case_in, coordinator):
    case = case_in(S.CUSTOMS_CLEARANCE)
    kwargs = prepare(case, "clear_customs", coordinator)
    data = kwargs["data"]

    event = move(case, coordinator, "clear_customs", **kwargs)

    case.refresh_from_db()
    assert case.status == S.OUT_FOR_DELIVERY
    assert case.bill_of_entry_number == data["bill_of_entry_number"]
    assert case.duty_amount == Decimal(data["duty_amount"])
    assert case.clearance_date.isoformat() == data["clearance_date"]
    assert event.data["bill_of_entry_number"] == data["bill_of_entry_number"]
    assert Decimal(event.data["duty_amount"]) == Decimal(data["duty_amount"])


def test_clear_customs_accepts_an_exemption_with_its_accepted_certificate_instead_of_duty(
    case_in, coordinator
):
    case = case_in(S.CUSTOMS_CLEARANCE)
    upload(case, DocumentKind.DUTY_EXEMPTION, coordinator)
    data = demo.customs_data(case, duty_amount="", duty_exemption="rare_disease")

    move(case, coordinator, "clear_customs", data=data)

    case.refresh_from_db()
    assert case.status == S.OUT_FOR_DELIVERY
    assert case.duty_exemption == "rare_disease"
    assert case.duty_amount is None


@pytest.mark.parametrize("source", [S.IN_TRANSIT, S.CUSTOMS_CLEARANCE, S.OUT_FOR_DELIVERY])
def test_quarantine_holds_the_goods_for_a_quality_decision(case_in, coordinator, source):
    case = case_in(source)

    event = move(case, coordinator, "quarantine", note=NOTES["quarantine"])

    case.refresh_from_db()
    assert case.status == S.QUARANTINED
    assert (event.from_state, event.to_state) == (source, S.QUARANTINED)


def test_release_sends_quarantined_goods_out_for_delivery(case_in, coordinator):
    case = reach(case_in, coordinator, S.QUARANTINED)
    kwargs = prepare(case, "release", coordinator)  # the signed quality release

    event = move(case, coordinator, "release", **kwargs)

    case.refresh_from_db()
    assert case.status == S.OUT_FOR_DELIVERY
    assert event.note == NOTES["release"]


def test_reorder_records_the_rejected_lot_and_a_new_lot_can_then_be_dispatched(
    case_in, coordinator
):
    case = reach(case_in, coordinator, S.QUARANTINED)
    rejected = Shipment.objects.get(case=case)

    event = move(case, coordinator, "reorder", note=NOTES["reorder"])

    case.refresh_from_db()
    assert case.status == S.SUPPLIER_ORDERING
    assert (event.from_state, event.to_state) == (S.QUARANTINED, S.SUPPLIER_ORDERING)
    rejected.refresh_from_db()
    assert rejected.rejected_at is not None
    assert rejected.rejection_reason == NOTES["reorder"]
    assert case.current_shipment is None

    # A reorder is a new order: it goes to the supplier again before a lot is shipped.
    new_lot = demo.shipment_data(case, batch_number="LOT-REPLACEMENT-2")
    error = refuse(case, coordinator, "dispatch", data=new_lot)
    assert_refused(error, "the order sent to the supplier")
    case_transition(case=case, actor=coordinator, transition="order_from_supplier")
    move(case, coordinator, "dispatch", data=new_lot)

    case.refresh_from_db()
    assert case.status == S.IN_TRANSIT
    assert case.shipments.count() == 2
    assert case.current_shipment.batch_number == "LOT-REPLACEMENT-2"
    assert case.current_shipment.pk != rejected.pk
    rejected.refresh_from_db()
    assert rejected.batch_number != "LOT-REPLACEMENT-2"
    assert rejected.rejected_at is not None


def test_a_reordered_case_is_delivered_with_the_new_lot(case_in, coordinator, patient):
    case = reach(case_in, coordinator, S.QUARANTINED)
    move(case, coordinator, "reorder", note=NOTES["reorder"])
    case_transition(case=case, actor=coordinator, transition="order_from_supplier")
    move(case, coordinator, "dispatch", data=demo.shipment_data(case, batch_number="LOT-NEW"))
    case = demo.walk_to(
        ImportCase.objects.get(pk=case.pk),
        S.DELIVERED,
        coordinator=coordinator,
        signing_password=PASSWORD,
    )

    case.refresh_from_db()
    assert case.status == S.DELIVERED
    assert case.delivered_lot == "LOT-NEW"


def test_confirm_delivery_by_the_patient_records_them_as_receiver_of_the_shipped_lot(
    case_in, coordinator, patient
):
    case = case_in(S.OUT_FOR_DELIVERY)
    lot = case.current_shipment.batch_number
    before = timezone.now()

    event = move(case, patient.user, "confirm_delivery", note=NOTES["confirm_delivery"])

    case.refresh_from_db()
    assert case.status == S.DELIVERED
    assert case.delivered_to == patient.full_name
    assert case.delivered_lot == lot
    assert case.delivered_at >= before
    assert event.actor == patient.user
    assert event.data["delivered_lot"] == lot
    assert event.data["delivered_to"] == patient.full_name


def test_confirm_delivery_by_a_coordinator_with_proof_of_delivery(case_in, coordinator):
    case = case_in(S.OUT_FOR_DELIVERY)
    kwargs = prepare(case, "confirm_delivery", coordinator)
    data = kwargs["data"]

    event = move(case, coordinator, "confirm_delivery", **kwargs)

    case.refresh_from_db()
    assert case.status == S.DELIVERED
    assert case.delivered_to == data["delivered_to"]
    assert case.delivered_lot == case.current_shipment.batch_number
    assert case.delivered_at == dt.datetime.fromisoformat(data["delivered_at"])
    assert event.data["delivered_lot"] == data["delivered_lot"]


def test_close_completes_a_delivered_case(case_in, coordinator):
    case = case_in(S.DELIVERED)

    event = move(case, coordinator, "close", note=NOTES["close"])

    case.refresh_from_db()
    assert case.status == S.CLOSED
    assert case.is_locked
    assert (event.from_state, event.to_state) == (S.DELIVERED, S.CLOSED)


def test_hold_pauses_the_case_and_remembers_where_it_was(case_in, coordinator):
    case = case_in(S.AWAITING_PERMIT)

    event = move(case, coordinator, "hold", note=NOTES["hold"])

    case.refresh_from_db()
    assert case.status == S.ON_HOLD
    assert case.held_from == S.AWAITING_PERMIT
    assert (event.from_state, event.to_state) == (S.AWAITING_PERMIT, S.ON_HOLD)


def test_resume_returns_the_case_to_where_it_was_held(case_in, coordinator):
    case = reach(case_in, coordinator, S.ON_HOLD, held_from=S.AWAITING_PERMIT)

    event = move(case, coordinator, "resume", note=NOTES["resume"])

    case.refresh_from_db()
    assert case.status == S.AWAITING_PERMIT
    assert case.held_from == ""
    assert (event.from_state, event.to_state) == (S.ON_HOLD, S.AWAITING_PERMIT)


def test_cancel_by_the_physician_withdraws_their_draft(draft_case, physician):
    event = move(draft_case, physician.user, "cancel", note=NOTES["cancel"])

    draft_case.refresh_from_db()
    assert draft_case.status == S.CANCELLED
    assert (event.from_state, event.to_state) == (S.DRAFT, S.CANCELLED)


@pytest.mark.parametrize("source", [S.SUBMITTED, S.AWAITING_PERMIT, S.SUPPLIER_ORDERING])
def test_cancel_by_a_coordinator_withdraws_a_case_before_dispatch(case_in, coordinator, source):
    case = case_in(source)

    event = move(case, coordinator, "cancel", note=NOTES["cancel"])

    case.refresh_from_db()
    assert case.status == S.CANCELLED
    assert (event.from_state, event.to_state) == (source, S.CANCELLED)


def test_cancel_of_a_case_held_before_dispatch_clears_the_held_state(case_in, coordinator):
    case = reach(case_in, coordinator, S.ON_HOLD, held_from=S.SUPPLIER_ORDERING)

    event = move(case, coordinator, "cancel", note=NOTES["cancel"])

    case.refresh_from_db()
    assert case.status == S.CANCELLED
    assert case.held_from == ""
    assert (event.from_state, event.to_state) == (S.ON_HOLD, S.CANCELLED)
