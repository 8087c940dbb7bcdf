"""The purchase order sent to the authorised supplier: what, how many, at which price
(the supplier's price list, billing), on which terms, for whom, under which permit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from billing.models import Incoterm
from billing.rates import price_for
from documents.generation import parts
from documents.generation.formatting import format_date
from documents.models import DocumentKind
from orders.display import format_money
from orders.models import ImportCase, Supplier
from orders.states import CaseStatus

K = DocumentKind
S = CaseStatus


def _supplier_of(case: ImportCase, shipment) -> Supplier | None:
    if shipment is not None and shipment.supplier_id:
        return shipment.supplier
    return Supplier.objects.filter(name=case.product.manufacturer).first()


def _contact(supplier: Supplier | None) -> dict[str, Any]:
    if supplier is None:
        return {"address_lines": [], "contact_name": "", "phone": "", "email": ""}
    return {
        "address_lines": [line.strip() for line in supplier.address.splitlines() if line.strip()],
        "contact_name": supplier.contact_name,
        "phone": supplier.phone,
        "email": supplier.contact_email,
    }


def _pricing(case: ImportCase, supplier: Supplier | None, on: dt.date) -> dict[str, Any] | None:
    """Unit price, currency and terms from the supplier's price list on the order date."""
    price = price_for(supplier, case, on)
    if price is None:
        return None
    packs = case.quantity_packs or 0
    place = price.named_place or case.port_of_entry
    return {
        "currency": price.currency,
        "unit_price": format_money(price.unit_price, price.currency),
        "line_total": format_money(price.unit_price * packs, price.currency),
        "incoterm": price.incoterm,
        "incoterm_label": Incoterm(price.incoterm).label,
        "named_place": place,
        "payment_terms": price.payment_terms,
        "price_list": price.source,
    }


def purchase_order_data(case: ImportCase) -> dict[str, Any]:
    shipment = case.current_shipment
    # The order's date: when it went to the supplier, else when ordering began.
    ordered = case.events.filter(transition="order_from_supplier").order_by(
        "-pk"
    ).first() or parts.entered(case, S.SUPPLIER_ORDERING)
    order_date = timezone.localtime(ordered.created_at).date() if ordered else None
    supplier = _supplier_of(case, shipment)
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
            "date": format_date(order_date),
        },
        "supplier": parts.supplier(case, shipment),
        "supplier_contact": _contact(supplier),
        "pricing": _pricing(case, supplier, order_date or timezone.localdate()),
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
