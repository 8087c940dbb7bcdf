"""The quality release after a quarantine: the coordinator's decision written as a
statement (the lot, why it was held, what the logger showed, the decision), which the
coordinator signs electronically with the meaning "quality release"; the `release`
transition's guard asks for that signature (orders.guards.quality_release_signed).

Order: the password is checked (and counted) first, the statement is rendered outside
any transaction, stored and signed, then the case is released. Should the release
itself then be refused (someone moved the case meanwhile), the signed statement stays
as a record of the decision, and the next release signs a new one."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from documents.generation import parts
from documents.generation.formatting import format_date, format_datetime
from documents.generation.papers import version_of
from documents.models import Document, DocumentKind, Signature, SignatureMeaning
from documents.rendering import render_pdf
from documents.selectors import latest_temperature_log
from documents.services import document_store
from documents.signatures import document_sign, signer_confirmed
from documents.temperature_logs import summary_of_document
from orders.errors import GuardFailed
from orders.models import ImportCase, transition_label
from orders.services import case_transition
from orders.states import CaseStatus
from orders.temperature import duration

K = DocumentKind
S = CaseStatus

# The transitions signed electronically where they are taken (pages and API): the
# person types their name and re-enters their password with the move's own fields.
SIGNED_TRANSITIONS = ("release",)


def quality_release_data(case: ImportCase, *, decision: str, by) -> dict[str, Any]:
    shipment = case.current_shipment
    held = parts.entered(case, S.QUARANTINED)
    log = latest_temperature_log(case)
    summary = summary_of_document(log, case.product) if log else None
    return {
        **parts.common(case, K.QUALITY_RELEASE),
        "patient": parts.patient(case),
        "product": parts.product(case),
        "lot": {
            "number": shipment.batch_number if shipment else "",
            "expiry": format_date(shipment.expiry_date) if shipment else "",
            "quantity_packs": shipment.quantity_packs if shipment else None,
            "courier": shipment.courier if shipment else "",
            "tracking_number": shipment.tracking_number if shipment else "",
        },
        "quarantine": {
            "at": format_datetime(held.created_at) if held else "",
            "by": held.actor.full_name if held else "",
            "reason": held.note if held else "",
        },
        "temperature": {
            "readings": len(summary.readings),
            "minimum": f"{summary.minimum:.1f} °C",
            "maximum": f"{summary.maximum:.1f} °C",
            "storage": str(summary.storage),
            "excursion": str(summary.excursion),
            "outside_storage": duration(summary.minutes_outside_storage),
            "outside_excursion": duration(summary.minutes_outside_excursion),
        }
        if summary
        else None,
        "decision": decision,
        "released_by": by.full_name,
        "decided_at": format_datetime(timezone.now().replace(microsecond=0)),
    }


def quality_release_sign(
    *,
    case: ImportCase,
    actor,
    decision: str,
    printed_name: str,
    password: str,
    ip_address: str | None = None,
) -> ImportCase:
    """Release quarantined goods with the coordinator's signed quality decision."""
    decision = (decision or "").strip()
    quality_release_statement_sign(
        case=case,
        actor=actor,
        decision=decision,
        printed_name=printed_name,
        password=password,
        ip_address=ip_address,
    )
    return case_transition(case=case, actor=actor, transition="release", note=decision)


def case_move(
    *,
    case: ImportCase,
    actor,
    transition: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    printed_name: str = "",
    password: str = "",
    ip_address: str | None = None,
) -> ImportCase:
    """Take `transition` on `case` as a person does it, from a page or the API: a
    transition signed where it is taken (SIGNED_TRANSITIONS) is signed with the
    person's printed name and password, `note` being the decision signed; any other
    goes to orders.services.case_transition with its `data`."""
    if transition in SIGNED_TRANSITIONS:
        return quality_release_sign(
            case=case,
            actor=actor,
            decision=note,
            printed_name=printed_name,
            password=password,
            ip_address=ip_address,
        )
    return case_transition(
        case=case, actor=actor, transition=transition, note=note, data=data or {}
    )


def quality_release_statement_sign(
    *,
    case: ImportCase,
    actor,
    decision: str,
    printed_name: str,
    password: str,
    ip_address: str | None = None,
) -> Signature:
    """Write the quality decision as a statement and sign it, meaning "quality
    release". Refused, with nothing stored, without a decision, the coordinator's own
    name or the right password."""
    if not actor.is_coordinator:
        raise PermissionDenied("Only a coordinator releases goods after a quality review.")
    decision = (decision or "").strip()
    if case.status != S.QUARANTINED:
        raise GuardFailed(transition_label("release"), ["goods held in quarantine"])
    if not decision:
        raise GuardFailed(transition_label("release"), ["the quality decision and its reason"])
    # The name and the password before the statement is rendered and stored.
    printed_name = signer_confirmed(
        case=case,
        signer=actor,
        password=password,
        printed_name=printed_name,
        meaning=SignatureMeaning.RELEASE,
    )
    data = quality_release_data(case, decision=decision, by=actor)
    pdf = render_pdf("documents/quality_release.html", {**data, "data_version": version_of(data)})
    statement: Document = document_store(
        case=case,
        kind=K.QUALITY_RELEASE,
        content=pdf,
        content_type="application/pdf",
        original_filename=f"{case.reference}-quality-release.pdf",
        actor=actor,
        generated=True,
    )
    return document_sign(
        document=statement,
        signer=actor,
        password=password,
        printed_name=printed_name,
        meaning=SignatureMeaning.RELEASE,
        ip_address=ip_address,
    )
