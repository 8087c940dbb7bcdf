"""The patient information sheet and delivery note, given with the medicine.

Nothing on it may be blank: a sheet whose catalogue data (what the medicine is for,
its side effects) or whose case data (the permit, the Bill of Entry, the lot) is
missing is refused, naming each missing fact, rather than printed with a gap."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from documents.generation import parts
from documents.generation.formatting import format_date, format_datetime
from documents.models import DocumentKind
from orders.models import ImportCase, SideEffectUrgency

K = DocumentKind


def patient_information_data(case: ImportCase) -> dict[str, Any]:
    shipment = case.current_shipment
    coordinator = case.assigned_coordinator
    product = case.product
    delivery = {
        "lot": case.delivered_lot or (shipment.batch_number if shipment else ""),
        "expiry": format_date(shipment.expiry_date) if shipment else "",
        "quantity_packs": (shipment.quantity_packs if shipment else None) or case.quantity_packs,
        "courier": shipment.courier if shipment else "",
        "tracking_number": shipment.tracking_number if shipment else "",
        "received_by": case.delivered_to,
        "received_at": format_datetime(case.delivered_at),
    }
    customs = {
        "permit_number": case.permit_number,
        "permit_valid_until": format_date(case.permit_valid_until),
        "bill_of_entry_number": case.bill_of_entry_number,
        "clearance_date": format_date(case.clearance_date),
    }
    side_effects = [
        {
            "urgency": urgency.value,
            "heading": urgency.label,
            "signs": [
                str(entry["signs"]).strip()
                for entry in product.side_effects
                if entry.get("urgency") == urgency.value
            ],
        }
        for urgency in SideEffectUrgency
    ]
    emergency_number = case.pathway.emergency_number.strip()
    parts.require(
        "The patient information sheet and delivery note",
        {
            "what the medicine is for (the product's indication)": product.indication,
            "the side effects to watch for (the product's side effects)": product.side_effects,
            "how to take it (the product's administration)": product.administration,
            "the emergency number (the pathway's)": emergency_number,
            "the service's phone number (NPP_SERVICE_PHONE)": settings.NPP_SERVICE_PHONE,
            "the permit number": customs["permit_number"],
            "the Bill of Entry number": customs["bill_of_entry_number"],
            "the lot number": delivery["lot"],
            "the lot's expiry date": delivery["expiry"],
        },
    )
    return {
        **parts.common(case, K.PATIENT_INFORMATION),
        "patient": parts.patient(case),
        "physician": parts.physician(case),
        "product": parts.product(case),
        "indication": product.indication.strip(),
        "side_effects": [group for group in side_effects if group["signs"]],
        "emergency_number": emergency_number,
        "request": parts.request(case),
        "pathway": parts.pathway(case),
        "coordinator": {
            "name": coordinator.full_name if coordinator else "",
            "email": coordinator.email if coordinator else "",
        },
        "delivery": delivery,
        "customs": customs,
    }
