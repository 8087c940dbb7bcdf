"""Guards of the import-case state machine.

Each guard is a django-fsm condition (true when the move may happen) that can also
say, in words a coordinator understands, what is missing. The FSM calls them on
every transition from every entry point; the service layer asks them for their
problems first so the refusal names what to fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import form_fields, safety
from orders.display import format_money
from orders.money import QuotationStatus
from orders.papers import (
    SIGNED_ON_PAPER,
    DocumentKind,
    ReviewStatus,
    SignatureMeaning,
    paper_signatures,
)
from orders.states import BEFORE_DISPATCH, CaseStatus

if TYPE_CHECKING:
    from orders.models import ImportCase

Check = Callable[["ImportCase"], Iterable[str]]


class Problem(str):
    """What a guard found missing, in words anyone on the case may read, with `staff`:
    the same in full for coordinators (e.g. the lot that was shipped, which a patient
    must not learn by guessing)."""

    staff: str

    def __new__(cls, text: str, *, staff: str) -> Problem:
        problem = super().__new__(cls, text)
        problem.staff = staff
        return problem


class Guard:
    """A condition for `@transition(conditions=[...])` that explains itself.

    `answered_by_input`: what it asks for is typed into the transition's own form
    (orders.inputs), so it is not something to wait for before the form is shown."""

    def __init__(self, check: Check, *, answered_by_input: bool = False) -> None:
        self.check = check
        self.answered_by_input = answered_by_input
        self.__name__ = check.__name__
        self.__doc__ = check.__doc__

    def __call__(self, case: ImportCase) -> bool:
        return not self.problems(case)

    def problems(self, case: ImportCase) -> list[str]:
        return list(self.check(case))

    def __repr__(self) -> str:
        return f"<Guard {self.__name__}>"


def guard(check: Check) -> Guard:
    return Guard(check)


def input_guard(check: Check) -> Guard:
    """A guard the transition's own form answers (the permit's number, the lot...)."""
    return Guard(check, answered_by_input=True)


def problems_of(conditions: Iterable[Callable[[ImportCase], bool]], case: ImportCase) -> list[str]:
    found: list[str] = []
    for condition in conditions:
        if isinstance(condition, Guard):
            found.extend(condition.problems(case))
        elif not condition(case):
            found.append(f"condition {getattr(condition, '__name__', condition)} is not met")
    return found


def waiting_for(conditions: Iterable[Callable[[ImportCase], bool]], case: ImportCase) -> list[str]:
    """What must happen elsewhere before a transition can succeed: the problems of its
    guards that its own form does not answer (a signature, a document accepted, a
    payment). A page lists them instead of offering a button that would be refused."""
    return problems_of((c for c in conditions if not getattr(c, "answered_by_input", False)), case)


def today() -> dt.date:
    return timezone.localdate()


# --- Documents, as the pathway lists them per transition ---------------------


KIND_ORDER = list(DocumentKind.values)


def documents_required(transition: str) -> Guard:
    """The documents the case's pathway asks for before `transition`.

    Pathway.required_documents maps a transition to {kind: "uploaded" | "accepted"}.
    """

    def check(case: ImportCase) -> Iterable[str]:
        wanted = case.pathway.required_documents.get(transition, {})
        if not wanted:
            return
        # Values, not instances: a deferred-field model would load each row again.
        current = set(case.documents.current().values_list("kind", "review_status"))
        # In the order the kinds are declared: PostgreSQL's jsonb keeps no key order,
        # and a refusal should read the same on every database.
        for kind in sorted(wanted, key=KIND_ORDER.index):
            level = wanted[kind]
            label = DocumentKind(kind).label.lower()
            if level == "accepted":
                if (kind, ReviewStatus.ACCEPTED) not in current:
                    yield f"an accepted {label}"
            elif not any(k == kind and status != ReviewStatus.REJECTED for k, status in current):
                yield f"a {label} document"

    check.__name__ = f"documents_for_{transition}"
    return Guard(check)


# --- Request -----------------------------------------------------------------


# The request's own fields a submission needs, in the words the guard names them
# (the physician's request form marks and checks the same fields before it is sent).
REQUEST_NEEDS = {
    "product": "the product",
    "prescribed_dose": "the prescribed dose",
    "daily_units": "the number of units taken per day",
    "quantity_packs": "the quantity (packs)",
    "treatment_days": "the treatment duration",
    "justification": "the clinical justification",
}


def blank(value: object) -> bool:
    return not (value.strip() if isinstance(value, str) else value)


@guard
def request_complete(case: ImportCase) -> Iterable[str]:
    """Everything a physician must give before a coordinator can verify."""
    if case.patient_id is None:
        yield "the patient"
    if case.physician_id is None:
        yield "the physician"
    for field, words in REQUEST_NEEDS.items():
        value = case.product_id if field == "product" else getattr(case, field)
        if blank(value):
            yield words


@guard
def quantity_within_cap(case: ImportCase) -> Iterable[str]:
    """Personal imports are limited to a reasonable supply (pathway cap, in days)."""
    days = case.days_of_supply
    cap = case.pathway.quantity_cap_days
    if days is not None and cap and days > cap:
        yield (
            f"a quantity within the {cap}-day cap of the {case.pathway.name} pathway "
            f"({case.quantity_packs} packs last {days} days)"
        )


# --- Verification ------------------------------------------------------------


@input_guard
def verification_complete(case: ImportCase) -> Iterable[str]:
    """The verification checklist and the product's safety screen."""
    verification = getattr(case, "verification", None)
    if verification is None:
        yield "the verification checklist"
        return
    for field, label in verification.CHECKLIST:
        if not getattr(verification, field):
            yield f"the check: {label}"
    if verification.prescription_date is None:
        yield "the prescription date"
    else:
        validity = case.pathway.prescription_validity_days
        if verification.prescription_date > today():
            yield "a prescription date that is not in the future"
        elif (today() - verification.prescription_date).days > validity:
            yield f"a prescription dated within the last {validity} days"
    if not verification.co_medications_reviewed:
        yield "the review of co-medications"
    screen = safety.screen(
        case.product,
        co_medications=verification.co_medications,
        measurements=verification.measurements,
    )
    for drug in screen.contraindicated:
        yield (
            f"a co-medication list without {drug}, which is contraindicated with "
            f"{case.product.brand_name}"
        )
    for label in screen.missing:
        yield f"the {label} measurement"
    if screen.unmet and not verification.threshold_justification.strip():
        yield "a justification for " + ", ".join(screen.unmet)


# --- Application and permit --------------------------------------------------


@guard
def undertaking_signed(case: ImportCase) -> Iterable[str]:
    """The prescribing physician's electronic signature on the current undertaking,
    still matching the signed bytes."""
    undertaking = case.documents.current().filter(kind=DocumentKind.PHYSICIAN_UNDERTAKING).first()
    if undertaking is None:
        required = case.pathway.required_documents.get("file_application", {})
        if DocumentKind.PHYSICIAN_UNDERTAKING not in required:
            yield "the physician's undertaking"
        return  # otherwise documents_required already asks for it
    # A resupply's reused undertaking counts by the signature on the one it reuses.
    if not paper_signatures(case, undertaking):
        yield "the physician's electronic signature on the undertaking"


@guard
def consent_signed(case: ImportCase) -> Iterable[str]:
    """The patient's consent: the one the system generated, signed electronically in
    the tracker by the patient (or a minor's parent or guardian, on the patient's
    account) and still matching the signed bytes; or a scan signed on paper, which a
    coordinator accepts (documents_required asks for that)."""
    consent = case.documents.current().filter(kind=DocumentKind.PATIENT_CONSENT).first()
    if consent is None or (not consent.generated and consent.kind in SIGNED_ON_PAPER):
        return
    # A resupply's reused consent carries the signature given on the case it comes from.
    if not paper_signatures(case, consent):
        yield (
            "the patient's signature on the consent (signed in the tracker, or a scan "
            "signed on paper)"
        )


@input_guard
def quality_release_signed(case: ImportCase) -> Iterable[str]:
    """A coordinator's electronic signature meaning "quality release" on the quality
    release statement made since the goods were last quarantined, still matching the
    signed bytes. Given on the release's own form (name and password)."""
    quarantined = (
        case.events.filter(to_state=CaseStatus.QUARANTINED)
        .exclude(from_state=CaseStatus.QUARANTINED)
        .order_by("-pk")
        .first()
    )
    statements = case.documents.current().filter(kind=DocumentKind.QUALITY_RELEASE)
    if quarantined is not None:
        statements = statements.filter(created_at__gte=quarantined.created_at)
    statement = statements.first()
    signatures = (
        statement.signatures.filter(meaning=SignatureMeaning.RELEASE).select_related("signer")
        if statement
        else []
    )
    if not any(s.signer.is_coordinator and s.verifies() for s in signatures):
        yield (
            'the coordinator\'s electronic signature meaning "quality release" '
            "(re-enter your password to sign the release)"
        )


@guard
def application_complete(case: ImportCase) -> Iterable[str]:
    """Every field the pathway requires of the pack's forms (Form 12A's applicant,
    occupation, source and country of supply, port of entry...) is filled."""
    yield from form_fields.blank_fields(case, case.pathway.forms)


@input_guard
def regulator_reference_recorded(case: ImportCase) -> Iterable[str]:
    if not case.regulator_reference.strip():
        yield "the regulator's reference number"


@input_guard
def permit_recorded(case: ImportCase) -> Iterable[str]:
    if not case.permit_number.strip():
        yield "the permit number"
    if case.permit_issued_on is None:
        yield "the permit issue date"
    if case.permit_valid_until is None:
        yield "the permit valid-until date"
    elif case.permit_issued_on and case.permit_valid_until < case.permit_issued_on:
        yield "a valid-until date after the issue date"
    if not case.permitted_quantity_packs:
        yield "the permitted quantity"


# --- Supply ------------------------------------------------------------------


@input_guard
def shipment_ready(case: ImportCase) -> Iterable[str]:
    """Authentic stock, enough shelf life, no more than the permit allows, tracked."""
    shipment = case.current_shipment
    if shipment is None:
        yield "the shipment details"
        return
    if shipment.supplier_id is None:
        yield "the supplier"
    elif not shipment.supplier.is_authorised:
        yield f"an authorised supplier ({shipment.supplier.name} is not authorised)"
    if not shipment.purchase_order_number.strip():
        yield "the purchase order number"
    if not shipment.batch_number.strip():
        yield "the batch/lot number"
    if shipment.expiry_date is None:
        yield "the expiry date"
    else:
        yield from _shelf_life_problems(case, shipment)
    if not shipment.quantity_packs:
        yield "the shipped quantity"
    elif case.permitted_quantity_packs and shipment.quantity_packs > case.permitted_quantity_packs:
        yield (
            f"a quantity no more than the permitted {case.permitted_quantity_packs} packs "
            f"(shipment has {shipment.quantity_packs})"
        )
    if not shipment.courier.strip():
        yield "the courier"
    if not shipment.tracking_number.strip():
        yield "the tracking number"


def _shelf_life_problems(case: ImportCase, shipment) -> Iterable[str]:
    pathway = case.pathway
    needed_until = today() + dt.timedelta(days=case.treatment_days or 0)
    if pathway.min_remaining_shelf_life_days:
        needed_until = max(
            needed_until, today() + dt.timedelta(days=pathway.min_remaining_shelf_life_days)
        )
    if shipment.expiry_date < needed_until:
        yield (
            f"an expiry date on or after {needed_until:%d %b %Y} "
            f"(lot expires {shipment.expiry_date:%d %b %Y})"
        )
    fraction = pathway.min_shelf_life_fraction
    if fraction and shipment.manufactured_on:
        total = (shipment.expiry_date - shipment.manufactured_on).days
        remaining = (shipment.expiry_date - today()).days
        if total > 0 and remaining / total < float(fraction):
            yield f"at least {float(fraction):.0%} of the shelf life remaining"


@guard
def quotation_paid_or_waived(case: ImportCase) -> Iterable[str]:
    """No order goes to the supplier until the payer accepted a quotation and paid it,
    or a coordinator waived the payment with a reason. Billing's rows are reached
    through the case (`case.quotations`), as the document guards reach documents:
    orders does not import billing."""
    accepted = case.quotations.filter(status=QuotationStatus.ACCEPTED).first()
    if accepted is None:
        yield "a quotation the payer accepted"
        return
    if accepted.waived_at is None and accepted.balance_due > 0:
        yield (
            f"payment of the accepted quotation ({format_money(accepted.balance_due)} still "
            "due), or a coordinator's waiver with its reason"
        )


ORDERING_ENTRIES = ("record_permit", "reorder")


@guard
def supplier_ordered(case: ImportCase) -> Iterable[str]:
    """The order went to the supplier since the case last came to ordering (a permit,
    or a rejected lot reordered)."""
    entry = (
        case.events.filter(transition__in=ORDERING_ENTRIES, to_state=CaseStatus.SUPPLIER_ORDERING)
        .order_by("-pk")
        .first()
    )
    sent = case.events.filter(transition="order_from_supplier")
    if entry is not None:
        sent = sent.filter(pk__gt=entry.pk)
    if not sent.exists():
        yield "the order sent to the supplier"


# --- Customs -----------------------------------------------------------------


@input_guard
def customs_cleared(case: ImportCase) -> Iterable[str]:
    if not case.bill_of_entry_number.strip():
        yield "the Bill of Entry number"
    if case.duty_exemption:
        has_certificate = (
            case.documents.current().accepted().filter(kind=DocumentKind.DUTY_EXEMPTION).exists()
        )
        if not has_certificate:
            yield "an accepted duty exemption certificate"
    elif case.duty_amount is None:
        yield "the duty paid (or an exemption)"
    if case.clearance_date is None:
        yield "the clearance date"
    elif case.permit_valid_until and case.clearance_date > case.permit_valid_until:
        yield (
            f"a permit valid on the clearance date (permit expired "
            f"{case.permit_valid_until:%d %b %Y})"
        )


# --- Delivery ----------------------------------------------------------------


@input_guard
def delivery_recorded(case: ImportCase) -> Iterable[str]:
    """Who received which lot, when; the lot must be the one that was shipped."""
    # A patient confirming her delivery reads these: in her language (the staff's
    # detail stays in English, for the coordinators' pages).
    if not case.delivered_to.strip():
        yield _("the name of the person who received the medicine")
    if case.delivered_at is None:
        yield _("the time of delivery")
    if not case.delivered_lot.strip():
        yield _("the lot delivered")
    else:
        shipment = case.current_shipment
        if shipment and shipment.batch_number and case.delivered_lot != shipment.batch_number:
            # Whoever typed the lot learns only that it does not match: showing the
            # right one would let anyone holding another pack confirm it as ours.
            yield Problem(
                _(
                    "a lot number that matches the shipment (%(entered)s was entered). "
                    "Check the lot number printed on the pack's label and enter it again; "
                    "if the label shows the number entered, do not use the medicine and "
                    "call the service on %(phone)s"
                )
                % {"entered": case.delivered_lot, "phone": settings.NPP_SERVICE_PHONE},
                staff=(
                    f"the lot that was shipped ({shipment.batch_number}); "
                    f"{case.delivered_lot} was recorded"
                ),
            )


# --- Hold and cancel ---------------------------------------------------------


@guard
def held_before_dispatch(case: ImportCase) -> Iterable[str]:
    """A paused case can be cancelled only if it was paused before dispatch."""
    if case.status == CaseStatus.ON_HOLD and case.held_from not in BEFORE_DISPATCH:
        yield "a case that has not been dispatched (goods are already on their way)"
