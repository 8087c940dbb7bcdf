"""The case record: the whole history an inspector reads, rendered when a case closes."""

from __future__ import annotations

from typing import Any

from documents.generation import parts
from documents.generation.formatting import (
    action_label,
    flatten,
    format_date,
    format_datetime,
    person_name,
)
from documents.models import DocumentKind
from orders.models import ImportCase

K = DocumentKind


def case_record_data(case: ImportCase) -> dict[str, Any]:
    events = [
        {
            "at": format_datetime(event.created_at, short=True),
            "who": event.actor.full_name,
            "role": event.actor.get_role_display().lower(),
            "on_behalf_of": person_name(event.on_behalf_of),
            "transition": action_label(event.transition),
            "from": event.get_from_state_display() if event.from_state else "",
            "to": event.get_to_state_display() if event.to_state else "",
            "note": event.note,
            "data": flatten(event.data),
        }
        for event in case.events.select_related("actor", "on_behalf_of").order_by(
            "created_at", "pk"
        )
    ]
    documents = []
    for doc in (
        case.documents.select_related("uploaded_by", "reviewed_by", "superseded_by")
        .prefetch_related("signatures__signer")
        .order_by("created_at", "pk")
    ):
        superseded = getattr(doc, "superseded_by", None)
        documents.append(
            {
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
                "signatures": [
                    f"{sig.printed_name}, {sig.get_meaning_display().lower()}, "
                    f"{format_datetime(sig.signed_at, short=True)}"
                    for sig in doc.signatures.all()
                ],
            }
        )
    shipments = [
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
    return {
        **parts.common(case, K.CASE_RECORD),
        "patient": parts.patient(case),
        "physician": parts.physician(case),
        "product": parts.product(case),
        "request": parts.request(case),
        "pathway": parts.pathway(case),
        "permit": {
            "number": case.permit_number,
            "issued_on": format_date(case.permit_issued_on),
            "valid_until": format_date(case.permit_valid_until),
            "quantity_packs": case.permitted_quantity_packs,
        },
        "customs": {
            "bill_of_entry_number": case.bill_of_entry_number,
            "assessable_value": str(case.assessable_value or ""),
            "duty_amount": str(case.duty_amount or ""),
            "duty_exemption": case.get_duty_exemption_display() if case.duty_exemption else "",
            "clearance_date": format_date(case.clearance_date),
        },
        "delivery": {
            "received_by": case.delivered_to,
            "received_at": format_datetime(case.delivered_at),
            "lot": case.delivered_lot,
        },
        "events": events,
        "documents": documents,
        "shipments": shipments,
    }
