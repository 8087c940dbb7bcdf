"""The patient information sheet and delivery note, given with the medicine."""

from __future__ import annotations

from typing import Any

from documents.generation import parts
from documents.generation.formatting import format_date, format_datetime
from documents.models import DocumentKind
from orders.models import ImportCase

K = DocumentKind


def patient_information_data(case: ImportCase) -> dict[str, Any]:
    shipment = case.current_shipment
    coordinator = case.assigned_coordinator
    delivery = {
        "lot": case.delivered_lot or (shipment.batch_number if shipment else ""),
        "expiry": format_date(shipment.expiry_date) if shipment else "",
        "quantity_packs": (shipment.quantity_packs if shipment else None) or case.quantity_packs,
        "courier": shipment.courier if shipment else "",
        "tracking_number": shipment.tracking_number if shipment else "",
        "received_by": case.delivered_to,
        "received_at": format_datetime(case.delivered_at),
    }
    return {
        **parts.common(case, K.PATIENT_INFORMATION),
        "patient": parts.patient(case),
        "physician": parts.physician(case),
        "product": parts.product(case),
        "request": parts.request(case),
        "pathway": parts.pathway(case),
        "coordinator": {
            "name": coordinator.full_name if coordinator else "",
            "email": coordinator.email if coordinator else "",
        },
        "delivery": delivery,
    }
