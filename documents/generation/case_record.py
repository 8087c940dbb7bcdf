"""The case record: the whole history an inspector reads, rendered when a case closes.

Every fact is written the way a person reads it: events with the labels of the one
table the case page's timeline uses too (orders.timeline), amounts in rupees, lists
as lists, each signature with its manifestation (who, when, meaning what)."""

from __future__ import annotations

from typing import Any

from billing.rates import RatesMissing, customs_duty
from documents.generation import parts
from documents.generation.formatting import (
    format_date,
    format_datetime,
    format_money,
    format_percent,
    person_name,
)
from documents.models import Document, DocumentKind
from documents.temperature_logs import summary_of_document
from orders.models import ImportCase, Verification
from orders.temperature import duration
from orders.timeline import event_details, event_title

K = DocumentKind


def case_record_data(case: ImportCase) -> dict[str, Any]:
    documents = list(
        case.documents.select_related("uploaded_by", "reviewed_by", "superseded_by")
        .prefetch_related("signatures__signer")
        .order_by("created_at", "pk")
    )
    filings = _filings(case)
    common = parts.common(case, K.CASE_RECORD)
    common["case"]["status"] = case.get_status_display()
    return {
        **common,
        "patient": parts.patient(case),
        "physician": parts.physician(case),
        "product": parts.product(case),
        "request": parts.request(case),
        "pathway": parts.pathway(case),
        "resupply_of": case.resupply_of.reference if case.resupply_of_id else "",
        "verification": _verification(case),
        "permit": {
            "number": case.permit_number,
            "issued_on": format_date(case.permit_issued_on),
            "valid_until": format_date(case.permit_valid_until),
            "quantity_packs": case.permitted_quantity_packs,
        },
        "customs": _customs(case),
        "delivery": {
            "received_by": case.delivered_to,
            "received_at": format_datetime(case.delivered_at),
            "lot": case.delivered_lot,
        },
        "events": _events(case),
        "filed_pack": filings[-1] if filings else None,
        "documents": [_document(doc, filings) for doc in documents],
        "signatures": _signatures(documents),
        "shipments": _shipments(case),
        "temperature_logs": _temperature_logs(case, documents),
        "adverse_events": _adverse_events(case),
    }


def _events(case: ImportCase) -> list[dict[str, Any]]:
    return [
        {
            "at": format_datetime(event.created_at, short=True),
            "who": event.actor.full_name,
            "role": event.actor.get_role_display().lower(),
            "on_behalf_of": person_name(event.on_behalf_of),
            "title": event_title(event),
            "from": event.get_from_state_display() if event.from_state else "",
            "to": event.get_to_state_display() if event.to_state else "",
            "moved": event.from_state != event.to_state,
            "note": event.note,
            "details": event_details(event, product=case.product),
        }
        for event in case.events.select_related("actor", "on_behalf_of").order_by(
            "created_at", "pk"
        )
    ]


def _filings(case: ImportCase) -> list[dict[str, Any]]:
    """Each filing with the regulator and the exact pack it filed, as its event recorded
    them (a later version of the pack is not the filed one)."""
    filings = []
    for event in case.events.filter(transition="file_application").order_by("created_at", "pk"):
        pack = (event.data or {}).get("filed_pack")
        if pack:
            filings.append(
                {
                    "document_id": pack["document_id"],
                    "version": pack["version"],
                    "sha256": pack["sha256"],
                    "on": format_datetime(event.created_at, short=True),
                    "reference": (event.data or {}).get("regulator_reference", ""),
                }
            )
    return filings


def _document(doc: Document, filings: list[dict[str, Any]]) -> dict[str, Any]:
    superseded = getattr(doc, "superseded_by", None)
    filed = [f for f in filings if f["document_id"] == doc.pk and f["sha256"] == doc.sha256]
    return {
        "kind": doc.get_kind_display(),
        "version": doc.version,
        "generated": doc.generated,
        "sha256": doc.sha256,
        "size": doc.size,
        "content_type": doc.content_type,
        "added_at": format_datetime(doc.created_at, short=True),
        "added_by": person_name(doc.uploaded_by),
        "review": doc.get_review_status_display(),
        "reviewed_by": person_name(doc.reviewed_by),
        "reviewed_at": format_datetime(doc.reviewed_at, short=True),
        "review_reason": doc.review_reason,
        "superseded_by": superseded.version if superseded else None,
        "signed": bool(doc.signatures.all()),
        "filed_on": [filing["on"] for filing in filed],
    }


def _signatures(documents: list[Document]) -> list[dict[str, Any]]:
    """Each electronic signature's manifestation: the printed name, the date and time,
    what it means; with the signer's account, the bytes signed and whether its seal
    still verifies against the stored file."""
    found = []
    for doc in documents:
        for signature in doc.signatures.all():
            found.append(
                {
                    "document": f"{doc.get_kind_display()}, version {doc.version}",
                    "printed_name": signature.printed_name,
                    # A minor's consent: the parent or guardian who signed it, as what.
                    "capacity": signature.capacity_label,
                    "signer": person_name(signature.signer),
                    "meaning": signature.get_meaning_display(),
                    "signed_at": format_datetime(signature.signed_at),
                    "content_sha256": signature.content_sha256,
                    "verifies": signature.verifies(),
                }
            )
    return found


def _verification(case: ImportCase) -> dict[str, Any] | None:
    verification = getattr(case, "verification", None)
    if verification is None:
        return None
    thresholds = {t["measure"]: t for t in case.product.safety_thresholds}
    measurements = []
    for measure, value in verification.measurements.items():
        threshold = thresholds.get(measure, {})
        label = threshold.get("label", measure.replace("_", " "))
        measurements.append(f"{label}: {value} {threshold.get('unit', '')}".strip())
    return {
        "checks": [
            {"label": label[0].upper() + label[1:], "done": getattr(verification, field)}
            for field, label in Verification.CHECKLIST
        ],
        "prescription_date": format_date(verification.prescription_date),
        "co_medications_reviewed": verification.co_medications_reviewed,
        "co_medications": list(verification.co_medications),
        "measurements": measurements,
        "threshold_justification": verification.threshold_justification,
        "by": person_name(verification.updated_by),
    }


def _customs(case: ImportCase) -> dict[str, Any]:
    customs: dict[str, Any] = {
        "bill_of_entry_number": case.bill_of_entry_number,
        "assessable_value": format_money(case.assessable_value),
        "duty_amount": format_money(case.duty_amount),
        "duty_exemption": case.get_duty_exemption_display() if case.duty_exemption else "",
        "clearance_date": format_date(case.clearance_date),
        "duty_lines": [],
        "duty_total": "",
        "rates_missing": "",
    }
    if case.assessable_value is None or case.clearance_date is None:
        return customs
    # The rates in force on the clearance date, as the quotation's on its date.
    try:
        duty = customs_duty(case, case.assessable_value, on=case.clearance_date)
    except RatesMissing as missing:
        customs["rates_missing"] = str(missing)
        return customs
    customs["duty_lines"] = [
        {
            "name": line.label,
            "rate": format_percent(line.rate),
            "base": format_money(line.base),
            "amount": format_money(line.amount),
        }
        for line in duty.lines
    ]
    customs["duty_total"] = format_money(duty.total)
    customs["duty_matches"] = case.duty_amount is not None and case.duty_amount == duty.total
    customs["rates_source"] = (
        f"{duty.rates.source}, in force from {format_date(duty.rates.effective_from)}"
    )
    if duty.exemption:
        customs["rates_source"] += f"; exemption: {duty.exemption.source}"
    return customs


def _shipments(case: ImportCase) -> list[dict[str, Any]]:
    return [
        {
            "supplier": str(s.supplier) if s.supplier_id else "",
            "purchase_order_number": s.purchase_order_number,
            "lot": s.batch_number,
            "expiry": format_date(s.expiry_date),
            "quantity_packs": s.quantity_packs,
            "courier": s.courier,
            "tracking_number": s.tracking_number,
            "rejected": format_datetime(s.rejected_at),
            "rejection_reason": s.rejection_reason,
        }
        for s in case.shipments.select_related("supplier").order_by("pk")
    ]


def _temperature_logs(case: ImportCase, documents: list[Document]) -> list[dict[str, Any]]:
    """Each logger record on the case, summed up against the product's ranges."""
    logs = []
    for doc in documents:
        if doc.kind != K.TEMPERATURE_LOG:
            continue
        summary = summary_of_document(doc, case.product)
        entry: dict[str, Any] = {
            "document": f"{doc.get_kind_display()}, version {doc.version}",
            "added_at": format_datetime(doc.created_at, short=True),
            "read": summary is not None,
        }
        if summary is not None:
            entry.update(
                {
                    "readings": len(summary.readings),
                    "from": format_datetime(summary.started, short=True),
                    "to": format_datetime(summary.ended, short=True),
                    "minimum": f"{summary.minimum:.1f} °C",
                    "maximum": f"{summary.maximum:.1f} °C",
                    "storage": str(summary.storage),
                    "excursion": str(summary.excursion),
                    "outside_storage": duration(summary.minutes_outside_storage),
                    "outside_excursion": duration(summary.minutes_outside_excursion),
                    "verdict": (
                        "Excursion outside the allowed range: the lot was held for a "
                        "quality decision."
                        if summary.breached
                        else "Every reading within the storage range."
                        if summary.within_storage
                        else "Outside the storage range for a while, within the allowed excursion."
                    ),
                }
            )
        logs.append(entry)
    return logs


def _adverse_events(case: ImportCase) -> list[dict[str, Any]]:
    return [
        {
            "number": report.pk,
            "reported_at": format_datetime(report.reported_at, short=True),
            "reported_by": person_name(report.reported_by),
            "onset": format_date(report.onset_date),
            "seriousness": report.get_seriousness_display(),
            "outcome": report.get_outcome_display(),
            "lot": report.lot_number,
            "description": report.description,
            "due_on": format_date(report.due_on),
            "forwarded_at": format_datetime(report.forwarded_at, short=True),
            "forwarded_to": report.forwarded_to,
            "forwarded_by": person_name(report.forwarded_by),
        }
        for report in case.adverse_events.select_related("reported_by", "forwarded_by").order_by(
            "reported_at", "pk"
        )
    ]
