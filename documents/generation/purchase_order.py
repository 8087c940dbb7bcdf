"""The purchase order sent to the authorised supplier."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from documents.generation import parts
from documents.generation.formatting import format_date
from documents.models import DocumentKind
from orders.models import ImportCase
from orders.states import CaseStatus

K = DocumentKind
S = CaseStatus


def purchase_order_data(case: ImportCase) -> dict[str, Any]:
    shipment = case.current_shipment
    ordered = parts.entered(case, S.SUPPLIER_ORDERING)
    pathway = case.pathway
    shelf_life = []
    if case.treatment_days:
        shelf_life.append(f"cover the treatment period of {case.treatment_days} days")
    if pathway.min_remaining_shelf_life_days:
        shelf_life.append(f"be at least {pathway.min_remaining_shelf_life_days} days")
    if pathway.min_shelf_life_fraction:
        share = int(pathway.min_shelf_life_fraction * 100)
        shelf_life.append(f"be at least {share}% of the total shelf life")
    return {
        **parts.common(case, K.PURCHASE_ORDER),
        "order": {
            "number": parts.order_number(case, shipment),
            "date": format_date(timezone.localtime(ordered.created_at).date()) if ordered else "",
        },
        "supplier": parts.supplier(case, shipment),
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
        "shelf_life": shelf_life,
    }
