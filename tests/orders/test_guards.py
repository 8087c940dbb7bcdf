"""Every guard refuses a move whose data is incomplete, names what is missing, and
leaves the case, its shipments, its verification and its history as they were."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from documents.models import DocumentKind
from documents.services import document_review
from orders.errors import CaseConflict, InvalidInput, TransitionNotAvailable
from orders.models import ImportCase, Supplier, Verification
from orders.services import case_transition
from orders.states import CaseStatus
from portals import demo
from tests.conftest import new_case
from tests.orders.helpers import (
    APPLICATION_DOCUMENTS,
    NOTES,
    SOURCE,
    assert_refused,
    prepare,
    provide_application_documents,
    reach,
    refuse,
    stored,
    upload,
)

S = CaseStatus


def days_ago(days: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days)).isoformat()


# --- submit --------------------------------------------------------------------


def test_submit_refuses_a_draft_without_a_prescription_document(draft_case, physician):
    error = refuse(draft_case, physician.user, "submit")

    assert_refused(error, "a prescription document")


def test_submit_refuses_a_draft_whose_only_prescription_was_rejected(
    draft_case, physician, coordinator
):
    prescription = upload(draft_case, DocumentKind.PRESCRIPTION, physician.user)
    document_review(document=prescription, actor=coordinator, accept=False, reason="Unsigned.")

    error = refuse(draft_case, physician.user, "submit")

    assert_refused(error, "a prescription document")


@pytest.mark.parametrize(
    ("field", "empty", "missing"),
    [
        ("prescribed_dose", "", "the prescribed dose"),
        ("daily_units", None, "the number of units taken per day"),
        ("quantity_packs", None, "the quantity (packs)"),
        ("treatment_days", None, "the treatment duration"),
        ("justification", "", "the clinical justification"),
    ],
)
def test_submit_refuses_an_incomplete_request_naming_the_missing_part(
    physician, patient, lupkynis, field, empty, missing
):
    case = new_case(physician=physician, patient=patient, product=lupkynis, **{field: empty})
    upload(case, DocumentKind.PRESCRIPTION, physician.user)

    error = refuse(case, physician.user, "submit")

    assert_refused(error, missing)


def test_submit_refuses_a_quantity_above_the_pathways_day_cap(physician, patient, lupkynis, india):
    # One pack more than the cap allows at the prescribed daily units.
    packs = india.quantity_cap_days * 6 // lupkynis.units_per_pack + 1
    case = new_case(
        physician=physician, patient=patient, product=lupkynis, daily_units=6, quantity_packs=packs
    )
    assert case.days_of_supply > india.quantity_cap_days
    upload(case, DocumentKind.PRESCRIPTION, physician.user)

    error = refuse(case, physician.user, "submit")

    assert_refused(error, f"within the {india.quantity_cap_days}-day cap")


def test_submit_names_every_missing_thing_at_once(physician, patient, lupkynis):
    case = new_case(
        physician=physician, patient=patient, product=lupkynis, prescribed_dose="", justification=""
    )

    error = refuse(case, physician.user, "submit")

    assert_refused(
        error, "the prescribed dose", "the clinical justification", "a prescription document"
    )


# --- verify --------------------------------------------------------------------


@pytest.fixture
def submitted(case_in, coordinator):
    """A submitted case whose prescription the coordinator has accepted."""
    case = case_in(S.SUBMITTED)
    prepare(case, "verify", coordinator)
    return case


def test_verify_refuses_a_case_without_an_accepted_prescription(case_in, coordinator):
    case = case_in(S.SUBMITTED)  # the prescription is uploaded but still pending review

    error = refuse(case, coordinator, "verify", data=demo.verification_data(case))

    assert_refused(error, "an accepted prescription")
    assert not Verification.objects.filter(case=case).exists()


@pytest.mark.parametrize(("field", "label"), Verification.CHECKLIST)
def test_verify_refuses_an_unchecked_checklist_item(submitted, coordinator, field, label):
    data = demo.verification_data(submitted, **{field: False})

    error = refuse(submitted, coordinator, "verify", data=data)

    assert_refused(error, f"the check: {label}")
    assert not Verification.objects.filter(case=submitted).exists()


def test_verify_refuses_a_prescription_older_than_the_validity(submitted, coordinator, india):
    validity = india.prescription_validity_days
    data = demo.verification_data(submitted, prescription_date=days_ago(validity + 1))

    error = refuse(submitted, coordinator, "verify", data=data)

    assert_refused(error, f"a prescription dated within the last {validity} days")


def test_verify_accepts_a_prescription_dated_exactly_the_validity_ago(
    submitted, coordinator, india
):
    data = demo.verification_data(
        submitted, prescription_date=days_ago(india.prescription_validity_days)
    )

    case_transition(case=submitted, actor=coordinator, transition="verify", data=data)

    submitted.refresh_from_db()
    assert submitted.status == S.FORMS_PREPARATION


def test_verify_refuses_a_prescription_dated_in_the_future(submitted, coordinator):
    data = demo.verification_data(submitted, prescription_date=days_ago(-1))

    error = refuse(submitted, coordinator, "verify", data=data)

    assert_refused(error, "a prescription date that is not in the future")


def test_verify_refuses_a_missing_prescription_date(submitted, coordinator):
    data = demo.verification_data(submitted, prescription_date="")

    error = refuse(submitted, coordinator, "verify", data=data)

    assert_refused(error, "the prescription date")


def test_verify_refuses_unreviewed_co_medications(submitted, coordinator):
    data = demo.verification_data(submitted, co_medications_reviewed=False)

    error = refuse(submitted, coordinator, "verify", data=data)

    assert_refused(error, "the review of co-medications")


def test_verify_refuses_a_contraindicated_co_medication(submitted, coordinator, lupkynis):
    data = demo.verification_data(
        submitted, co_medications="mycophenolate mofetil\nClarithromycin 500 mg"
    )

    error = refuse(submitted, coordinator, "verify", data=data)

    assert_refused(error, "without clarithromycin")
    assert f"contraindicated with {lupkynis.brand_name}" in str(error)


def test_verify_refuses_a_contraindicated_co_medication_even_with_a_justification(
    submitted, coordinator
):
    data = demo.verification_data(
        submitted,
        co_medications="ketoconazole 200 mg",
        threshold_justification="Benefit outweighs risk.",
    )

    error = refuse(submitted, coordinator, "verify", data=data)

    assert_refused(error, "without ketoconazole")


def test_verify_refuses_a_missing_egfr(submitted, coordinator):
    data = demo.verification_data(submitted, measure_egfr="")

    error = refuse(submitted, coordinator, "verify", data=data)

    assert_refused(error, "the eGFR measurement")


def test_verify_refuses_an_egfr_of_45_without_a_justification(submitted, coordinator):
    data = demo.verification_data(submitted, measure_egfr="45")

    error = refuse(submitted, coordinator, "verify", data=data)

    assert_refused(error, "a justification for eGFR 45")


def test_verify_refuses_a_blood_pressure_of_170_over_100_without_a_justification(
    submitted, coordinator
):
    data = demo.verification_data(submitted, measure_systolic_bp="170", measure_diastolic_bp="100")

    error = refuse(submitted, coordinator, "verify", data=data)

    assert_refused(error, "a justification for Systolic BP 170")
    assert "Diastolic" not in str(error)


@pytest.mark.parametrize(
    "measurements",
    [
        {"measure_egfr": "45"},
        {"measure_systolic_bp": "170", "measure_diastolic_bp": "100"},
    ],
    ids=["egfr-45", "bp-170-100"],
)
def test_verify_accepts_an_unmet_threshold_with_a_recorded_justification(
    submitted, coordinator, measurements
):
    justification = "Benefit outweighs the risk; nephrologist will monitor weekly."
    data = demo.verification_data(submitted, threshold_justification=justification, **measurements)

    case_transition(case=submitted, actor=coordinator, transition="verify", data=data)

    submitted.refresh_from_db()
    assert submitted.status == S.FORMS_PREPARATION
    assert submitted.verification.threshold_justification == justification


def test_verify_accepts_an_egfr_just_above_45_without_a_justification(submitted, coordinator):
    data = demo.verification_data(submitted, measure_egfr="45.5")

    case_transition(case=submitted, actor=coordinator, transition="verify", data=data)

    submitted.refresh_from_db()
    assert submitted.status == S.FORMS_PREPARATION


def test_a_refused_verification_leaves_an_earlier_checklist_as_it_was(submitted, coordinator):
    refuse(
        submitted, coordinator, "verify", data=demo.verification_data(submitted, measure_egfr="45")
    )
    good = demo.verification_data(submitted)
    case_transition(case=submitted, actor=coordinator, transition="verify", data=good)
    submitted.refresh_from_db()

    assert submitted.status == S.FORMS_PREPARATION
    assert Decimal(submitted.verification.measurements["egfr"]) == Decimal(good["measure_egfr"])


# --- file_application ------------------------------------------------------------


@pytest.mark.parametrize("kind", APPLICATION_DOCUMENTS)
def test_file_application_refuses_without_each_accepted_document(case_in, coordinator, kind):
    case = case_in(S.FORMS_PREPARATION)
    provide_application_documents(case, coordinator, leave_out=kind)

    error = refuse(
        case, coordinator, "file_application", data={"regulator_reference": "SUGAM/12A/000001"}
    )

    assert_refused(error, f"an accepted {DocumentKind(kind).label.lower()}")


def test_file_application_refuses_an_undertaking_the_physician_has_not_signed(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    provide_application_documents(case, coordinator, leave_out=DocumentKind.PHYSICIAN_UNDERTAKING)
    upload(case, DocumentKind.PHYSICIAN_UNDERTAKING, case.physician.user, accept_by=coordinator)

    error = refuse(
        case, coordinator, "file_application", data={"regulator_reference": "SUGAM/12A/000001"}
    )

    assert_refused(error, "electronic signature on the undertaking")


def test_file_application_refuses_an_undertaking_changed_after_it_was_signed(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    provide_application_documents(case, coordinator)
    undertaking = case.documents.current().get(kind=DocumentKind.PHYSICIAN_UNDERTAKING)
    with open(undertaking.file.path, "ab") as stored_file:
        stored_file.write(b"% a clause added after signing")

    error = refuse(
        case, coordinator, "file_application", data={"regulator_reference": "SUGAM/12A/000001"}
    )

    assert_refused(error, "electronic signature on the undertaking")


def test_file_application_refuses_a_consent_not_yet_accepted(case_in, coordinator, patient):
    case = case_in(S.FORMS_PREPARATION)
    provide_application_documents(case, coordinator, leave_out=DocumentKind.PATIENT_CONSENT)
    upload(case, DocumentKind.PATIENT_CONSENT, patient.user)  # pending review

    error = refuse(
        case, coordinator, "file_application", data={"regulator_reference": "SUGAM/12A/000001"}
    )

    assert_refused(error, "an accepted patient consent")


@pytest.mark.parametrize("reference", ["", "   "])
def test_file_application_refuses_without_the_regulators_reference(case_in, coordinator, reference):
    case = case_in(S.FORMS_PREPARATION)
    provide_application_documents(case, coordinator)

    error = refuse(case, coordinator, "file_application", data={"regulator_reference": reference})

    assert_refused(error, "the regulator's reference number")


# --- record_permit ---------------------------------------------------------------


@pytest.fixture
def awaiting_permit(case_in, coordinator):
    case = case_in(S.AWAITING_PERMIT)
    upload(case, DocumentKind.IMPORT_PERMIT, coordinator)
    return case


@pytest.mark.parametrize(
    ("field", "missing"),
    [
        ("permit_number", "the permit number"),
        ("permit_issued_on", "the permit issue date"),
        ("permit_valid_until", "the permit valid-until date"),
        ("permitted_quantity_packs", "the permitted quantity"),
    ],
)
def test_record_permit_refuses_a_missing_permit_field(awaiting_permit, coordinator, field, missing):
    data = demo.permit_data(awaiting_permit, **{field: ""})

    error = refuse(awaiting_permit, coordinator, "record_permit", data=data)

    assert_refused(error, missing)


def test_record_permit_refuses_a_valid_until_date_before_the_issue_date(
    awaiting_permit, coordinator
):
    data = demo.permit_data(
        awaiting_permit, permit_issued_on=days_ago(0), permit_valid_until=days_ago(1)
    )

    error = refuse(awaiting_permit, coordinator, "record_permit", data=data)

    assert_refused(error, "a valid-until date after the issue date")


def test_record_permit_refuses_without_the_permit_document(case_in, coordinator):
    case = case_in(S.AWAITING_PERMIT)

    error = refuse(case, coordinator, "record_permit", data=demo.permit_data(case))

    assert_refused(error, "an accepted import permit")


# --- dispatch ------------------------------------------------------------------------


@pytest.fixture
def ordering(case_in, coordinator):
    """A case whose order went to the supplier (quotation accepted and paid)."""
    return demo.settle_and_order(case_in(S.SUPPLIER_ORDERING), coordinator)


def test_dispatch_refuses_a_supplier_that_is_not_authorised(ordering, coordinator):
    grey = Supplier.objects.create(
        name="Grey Market Pharma", country="AE", kind=Supplier.Kind.OTHER
    )
    data = demo.shipment_data(ordering, supplier=str(grey.pk))

    error = refuse(ordering, coordinator, "dispatch", data=data)

    assert_refused(error, "an authorised supplier (Grey Market Pharma is not authorised)")
    assert not ordering.shipments.exists()


def test_dispatch_refuses_a_lot_that_expires_before_the_end_of_treatment(ordering, coordinator):
    data = demo.shipment_data(ordering, expiry_date=days_ago(-(ordering.treatment_days - 1)))

    error = refuse(ordering, coordinator, "dispatch", data=data)

    assert_refused(error, "an expiry date on or after")


def test_dispatch_accepts_a_lot_that_expires_on_the_last_day_of_treatment(ordering, coordinator):
    data = demo.shipment_data(ordering, expiry_date=days_ago(-ordering.treatment_days))

    case_transition(case=ordering, actor=coordinator, transition="dispatch", data=data)

    ordering.refresh_from_db()
    assert ordering.status == S.IN_TRANSIT


def test_dispatch_refuses_a_lot_below_the_pathways_minimum_remaining_shelf_life(
    ordering, coordinator, india
):
    india.min_remaining_shelf_life_days = 730
    india.save()
    data = demo.shipment_data(ordering, expiry_date=days_ago(-700))

    error = refuse(ordering, coordinator, "dispatch", data=data)

    assert_refused(error, "an expiry date on or after")


def test_dispatch_refuses_a_lot_below_the_pathways_minimum_shelf_life_fraction(
    ordering, coordinator, india
):
    india.min_shelf_life_fraction = Decimal("0.60")
    india.save()
    data = demo.shipment_data(ordering, manufactured_on=days_ago(600), expiry_date=days_ago(-300))

    error = refuse(ordering, coordinator, "dispatch", data=data)

    assert_refused(error, "at least 60% of the shelf life remaining")


def test_dispatch_refuses_a_quantity_above_the_permitted_quantity(ordering, coordinator):
    permitted = ordering.permitted_quantity_packs
    data = demo.shipment_data(ordering, quantity_packs=str(permitted + 1))

    error = refuse(ordering, coordinator, "dispatch", data=data)

    assert_refused(error, f"a quantity no more than the permitted {permitted} packs")


@pytest.mark.parametrize(
    ("field", "missing"),
    [
        ("tracking_number", "the tracking number"),
        ("courier", "the courier"),
        ("batch_number", "the batch/lot number"),
        ("purchase_order_number", "the purchase order number"),
        ("supplier", "the supplier"),
        ("expiry_date", "the expiry date"),
    ],
)
def test_dispatch_refuses_missing_shipment_details(ordering, coordinator, field, missing):
    data = demo.shipment_data(ordering, **{field: ""})

    error = refuse(ordering, coordinator, "dispatch", data=data)

    assert_refused(error, missing)


# --- clear_customs ---------------------------------------------------------------------


@pytest.fixture
def at_customs(case_in):
    return case_in(S.CUSTOMS_CLEARANCE)


def test_clear_customs_refuses_a_clearance_after_the_permit_expired(at_customs, coordinator):
    expired = at_customs.permit_valid_until
    data = demo.customs_data(
        at_customs, clearance_date=(expired + dt.timedelta(days=1)).isoformat()
    )

    error = refuse(at_customs, coordinator, "clear_customs", data=data)

    assert_refused(error, "a permit valid on the clearance date")


def test_clear_customs_refuses_an_exemption_without_its_certificate(at_customs, coordinator):
    data = demo.customs_data(at_customs, duty_amount="", duty_exemption="rare_disease")

    error = refuse(at_customs, coordinator, "clear_customs", data=data)

    assert_refused(error, "an accepted duty exemption certificate")


def test_clear_customs_refuses_when_no_duty_was_paid_and_no_exemption_applies(
    at_customs, coordinator
):
    data = demo.customs_data(at_customs, duty_amount="")

    error = refuse(at_customs, coordinator, "clear_customs", data=data)

    assert_refused(error, "the duty paid (or an exemption)")


def test_clear_customs_refuses_without_the_bill_of_entry_number(at_customs, coordinator):
    data = demo.customs_data(at_customs, bill_of_entry_number="")

    error = refuse(at_customs, coordinator, "clear_customs", data=data)

    assert_refused(error, "the Bill of Entry number")


def test_clear_customs_refuses_without_the_clearance_date(at_customs, coordinator):
    data = demo.customs_data(at_customs, clearance_date="")

    error = refuse(at_customs, coordinator, "clear_customs", data=data)

    assert_refused(error, "the clearance date")


# --- confirm_delivery ----------------------------------------------------------------


@pytest.fixture
def out_for_delivery(case_in):
    return case_in(S.OUT_FOR_DELIVERY)


def test_confirm_delivery_by_a_coordinator_refuses_without_proof_of_delivery(
    out_for_delivery, coordinator
):
    data = demo.delivery_data(out_for_delivery)

    error = refuse(out_for_delivery, coordinator, "confirm_delivery", data=data)

    assert_refused(error, "an accepted proof of delivery")


def test_confirm_delivery_by_a_coordinator_refuses_a_lot_that_was_not_shipped(
    out_for_delivery, coordinator
):
    upload(out_for_delivery, DocumentKind.PROOF_OF_DELIVERY, coordinator)
    shipped = out_for_delivery.current_shipment.batch_number
    data = demo.delivery_data(out_for_delivery, delivered_lot="LOT-COUNTERFEIT")

    error = refuse(out_for_delivery, coordinator, "confirm_delivery", data=data)

    assert_refused(error, "a lot number that matches the shipment")
    assert f"the lot that was shipped ({shipped}); LOT-COUNTERFEIT was recorded" in (
        error.message_for(coordinator)
    )


@pytest.mark.parametrize(
    ("field", "missing"),
    [
        ("delivered_to", "the name of the person who received the medicine"),
        ("delivered_at", "the time of delivery"),
        ("delivered_lot", "the lot delivered"),
    ],
)
def test_confirm_delivery_by_a_coordinator_refuses_incomplete_proof_details(
    out_for_delivery, coordinator, field, missing
):
    upload(out_for_delivery, DocumentKind.PROOF_OF_DELIVERY, coordinator)
    data = demo.delivery_data(out_for_delivery, **{field: ""})

    error = refuse(out_for_delivery, coordinator, "confirm_delivery", data=data)

    assert_refused(error, missing)


def test_confirm_delivery_by_the_patient_refuses_a_lot_that_was_not_shipped(
    out_for_delivery, patient
):
    error = refuse(
        out_for_delivery,
        patient.user,
        "confirm_delivery",
        data={"delivered_lot": "LOT-COUNTERFEIT"},
    )

    assert_refused(error, "a lot number that matches the shipment (LOT-COUNTERFEIT was entered)")


def test_a_wrong_lot_is_named_in_full_only_to_staff(out_for_delivery, patient, coordinator):
    shipped = out_for_delivery.current_shipment.batch_number
    error = refuse(
        out_for_delivery, patient.user, "confirm_delivery", data={"delivered_lot": "LOT-X"}
    )

    for_patient = error.message_for(patient.user)
    assert shipped not in for_patient and shipped not in str(error)
    assert "label" in for_patient and settings.NPP_SERVICE_PHONE in for_patient
    assert shipped in error.message_for(coordinator)
    assert shipped in error.for_staff


# --- reasons, questions and answers ----------------------------------------------------


@pytest.mark.parametrize(
    ("transition", "source", "actor", "missing"),
    [
        ("hold", S.SUBMITTED, "coordinator", "the reason for the hold"),
        ("resume", S.ON_HOLD, "coordinator", "the reason for resuming"),
        ("cancel", S.SUBMITTED, "coordinator", "the reason for cancelling"),
        ("cancel", S.DRAFT, "physician", "the reason for cancelling"),
        ("reject", S.SUBMITTED, "coordinator", "the reason for rejection"),
        ("reject", S.AWAITING_PERMIT, "coordinator", "the reason for rejection"),
        ("request_information", S.SUBMITTED, "coordinator", "the question for the physician"),
        (
            "resubmit",
            S.INFORMATION_REQUESTED,
            "physician",
            "the answer to the coordinator's question",
        ),
        ("quarantine", S.IN_TRANSIT, "coordinator", "the reason for quarantine"),
        # release: its reason is asked with its signature (tests/documents/test_quality_release.py)
        ("reorder", S.QUARANTINED, "coordinator", "the reason the lot is rejected"),
    ],
)
@pytest.mark.parametrize("note", ["", "  \n "], ids=["empty", "blank"])
def test_a_transition_that_needs_a_reason_refuses_without_one(
    request, case_in, coordinator, transition, source, actor, missing, note
):
    case = reach(case_in, coordinator, source)
    person = request.getfixturevalue(actor)
    person = getattr(person, "user", person)

    error = refuse(case, person, transition, note=note)

    assert_refused(error, missing)


def test_cancel_refuses_a_case_held_after_dispatch(case_in, coordinator):
    case = reach(case_in, coordinator, S.ON_HOLD, held_from=S.IN_TRANSIT)

    error = refuse(case, coordinator, "cancel", note=NOTES["cancel"])

    assert_refused(error, "a case that has not been dispatched")
    assert case.held_from == S.IN_TRANSIT


# --- shape of the input, state and staleness ----------------------------------------


@pytest.mark.parametrize(
    ("transition", "field", "value"),
    [
        ("record_permit", "permit_issued_on", "not-a-date"),
        ("record_permit", "permitted_quantity_packs", "three"),
        ("verify", "prescription_date", "not-a-date"),
        ("verify", "measure_egfr", "normal"),
        ("dispatch", "supplier", "999999"),
        ("dispatch", "quantity_packs", "0"),
        ("clear_customs", "duty_amount", "-5"),
        ("clear_customs", "duty_exemption", "because"),
        ("confirm_delivery", "delivered_at", "yesterday-ish"),
    ],
)
def test_an_input_of_the_wrong_shape_is_refused_before_anything_is_stored(
    case_in, coordinator, transition, field, value
):
    case = reach(case_in, coordinator, SOURCE[transition])
    kwargs = prepare(case, transition, coordinator)
    kwargs["data"][field] = value

    error = refuse(case, coordinator, transition, error=InvalidInput, **kwargs)

    assert field in error.errors
    assert field in str(error)


@pytest.mark.parametrize(
    ("state", "transition"),
    [
        (S.DRAFT, "dispatch"),
        (S.DRAFT, "verify"),
        (S.DRAFT, "hold"),
        (S.SUBMITTED, "confirm_delivery"),
        (S.SUBMITTED, "resume"),
        (S.IN_TRANSIT, "cancel"),
        (S.OUT_FOR_DELIVERY, "reorder"),
        (S.DELIVERED, "quarantine"),
        (S.CLOSED, "hold"),
        (S.REJECTED, "resubmit"),
        (S.CANCELLED, "submit"),
    ],
)
def test_a_transition_from_the_wrong_state_is_not_available(
    case_in, coordinator, state, transition
):
    case = reach(case_in, coordinator, state)

    error = refuse(
        case, coordinator, transition, note=NOTES[transition], error=TransitionNotAvailable
    )

    assert "not possible while the case is" in str(error)
    assert case.get_status_display() in str(error)


def test_an_unknown_transition_is_not_available(draft_case, coordinator):
    error = refuse(draft_case, coordinator, "teleport", error=TransitionNotAvailable)

    assert "teleport" in str(error)


def test_acting_on_a_stale_copy_is_a_conflict_and_changes_nothing(case_in, coordinator):
    case = case_in(S.SUBMITTED)
    prepare(case, "verify", coordinator)
    stale = ImportCase.objects.get(pk=case.pk)
    case_transition(
        case=ImportCase.objects.get(pk=case.pk),
        actor=coordinator,
        transition="hold",
        note=NOTES["hold"],
    )
    before = stored(case)

    with pytest.raises(CaseConflict) as caught:
        case_transition(
            case=stale, actor=coordinator, transition="verify", data=demo.verification_data(stale)
        )

    assert "someone else" in str(caught.value)
    assert stored(case) == before
    assert not Verification.objects.filter(case=case).exists()


# --- What a move waits for, before anyone tries it -------------------------------------


def test_waiting_for_names_what_must_happen_elsewhere_not_what_the_form_asks(case_in, coordinator):
    from orders.services import transition_waiting_for

    case = case_in(S.SUPPLIER_ORDERING)
    # Ordering waits for the payer; dispatch for the order (the lot, courier... are typed).
    assert transition_waiting_for(case=case, transition="order_from_supplier") == [
        "a quotation the payer accepted"
    ]
    assert transition_waiting_for(case=case, transition="dispatch") == [
        "the order sent to the supplier"
    ]
    # A move not possible from this state waits for nothing: it is not offered at all.
    assert transition_waiting_for(case=case, transition="verify") == []


def test_a_case_waiting_for_signatures_names_the_undertaking_signature(case_in, coordinator):
    from orders.services import transition_waiting_for

    case = case_in(S.FORMS_PREPARATION)
    provide_application_documents(case, coordinator, leave_out=DocumentKind.PHYSICIAN_UNDERTAKING)
    upload(case, DocumentKind.PHYSICIAN_UNDERTAKING, case.physician.user, accept_by=coordinator)

    assert transition_waiting_for(case=case, transition="file_application") == [
        "the physician's electronic signature on the undertaking"
    ]
