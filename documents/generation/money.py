"""The money papers, made from billing's records: the proforma invoice (the latest
quotation, as the payer reads it), the tax invoice and the credit note.

The payer's papers never show the supplier's price, freight or insurance (the
quotation's internal lines): the medicine is one line, delivered to India. Every
conversion names its rate, its date and its source.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from billing.models import Invoice, InvoiceKind, Quotation
from billing.selectors import case_account, latest_quotation, payer_lines, service_party
from documents.generation import parts
from documents.models import DocumentKind
from orders.display import format_date, format_money, format_percent
from orders.errors import DomainError
from orders.models import ImportCase
from orders.money import rupees_in_words

K = DocumentKind


def _rate(value: Decimal | None) -> str:
    return format_percent(value) if value is not None else ""


def _party(snapshot: dict[str, str]) -> dict[str, Any]:
    return {
        "name": snapshot.get("name", ""),
        "kind": snapshot.get("kind_label", ""),
        "address_lines": [
            line.strip() for line in (snapshot.get("address") or "").splitlines() if line.strip()
        ],
        "state": snapshot.get("state", ""),
        "postal_code": snapshot.get("postal_code", ""),
        "gstin": snapshot.get("gstin", ""),
        "email": snapshot.get("email", ""),
    }


def conversion_text(quotation: Quotation) -> str:
    """'USD converted at ₹88.2500 per USD, rate of 1 January 2026 (source)'."""
    basis = quotation.basis.get("exchange_rate", {})
    if quotation.currency == "INR":
        return "Priced in rupees: no conversion."
    return (
        f"{quotation.currency} converted at ₹{quotation.exchange_rate} per {quotation.currency}, "
        f"rate of {format_date(quotation.exchange_rate_date)} ({basis.get('source', '')})."
    )


def _product_line(case: ImportCase) -> str:
    product = case.product
    return (
        f"{product.brand_name} ({product.generic_name}) {product.strength} "
        f"{product.dosage_form}, {case.quantity_packs} pack"
        f"{'' if case.quantity_packs == 1 else 's'} of {product.units_per_pack}"
    )


def proforma_invoice_data(case: ImportCase) -> dict[str, Any]:
    quotation = latest_quotation(case)
    if quotation is None:
        raise DomainError(f"{case.reference} has no quotation to print.")
    duty = quotation.basis.get("duty", {})
    exemption = quotation.basis.get("exemption")
    lines = [
        {
            "label": line.label,
            "detail": _product_line(case) if line.code == "medicine" else "",
            "code": line.hsn_sac,
            "rate": _rate(line.rate),
            "amount": format_money(line.amount),
        }
        for line in payer_lines(quotation)
    ]
    return {
        **parts.common(case, K.PROFORMA_INVOICE),
        "quotation": {
            "number": f"Q-{case.reference}-v{quotation.version}",
            "version": quotation.version,
            "status": quotation.get_status_display(),
            "issued_on": format_date(quotation.quoted_on),
            "valid_until": format_date(quotation.valid_until),
            "accepted": quotation.is_accepted,
        },
        "supplier": service_party(),
        "payer": _party(quotation.payer),
        "patient_name": case.patient.full_name,
        "lines": lines,
        "assessable_value": format_money(quotation.assessable_value),
        "duty_total": format_money(quotation.duty_total),
        "duty_rates": {
            "effective_from": format_date_iso(duty.get("effective_from", "")),
            "source": duty.get("source", ""),
        },
        "conversion": conversion_text(quotation),
        "exemption": {
            "label": exemption["label"],
            "certificate": exemption["certificate"],
            "source": exemption["source"],
        }
        if exemption
        else None,
        "total": format_money(quotation.total),
        "total_in_words": rupees_in_words(quotation.total),
        "payment_terms": (
            "Payment in full before the order is placed with the manufacturer. The customs "
            "duty is an estimate: the tax invoice at delivery charges the duty customs "
            "actually assess, and any difference is paid or refunded then."
        ),
    }


def format_date_iso(value: str) -> str:
    try:
        return format_date(dt.date.fromisoformat(value))
    except (TypeError, ValueError):
        return ""


def _invoice_lines(invoice: Invoice) -> list[dict[str, Any]]:
    return [
        {
            "label": line["label"],
            "code": line["hsn_sac"],
            "rate": _rate(Decimal(line["rate"])) if line["rate"] else "",
            "amount": format_money(Decimal(line["amount"])),
            "taxable": line["taxable"],
            "tax": line["tax"],
        }
        for line in invoice.lines
    ]


def tax_invoice_data(case: ImportCase) -> dict[str, Any]:
    invoice = Invoice.objects.filter(case=case, kind=InvoiceKind.TAX_INVOICE).first()
    if invoice is None:
        raise DomainError(f"{case.reference} has no tax invoice yet.")
    account = case_account(case)
    difference = (
        invoice.duty_actual - invoice.duty_estimate
        if invoice.duty_actual is not None and invoice.duty_estimate is not None
        else None
    )
    reimbursed = invoice.total - invoice.taxable_value - invoice.tax
    return {
        **parts.common(case, K.TAX_INVOICE),
        "invoice": {
            "number": invoice.number,
            "date": format_date(invoice.issued_on),
            "financial_year": invoice.financial_year,
            "quotation": f"Q-{case.reference}-v{invoice.quotation.version}",
        },
        "supplier": invoice.supplier,
        "recipient": _party(invoice.recipient),
        "place_of_supply": invoice.place_of_supply,
        "patient_name": case.patient.full_name,
        "product_line": _product_line(case),
        "bill_of_entry": case.bill_of_entry_number,
        "lines": _invoice_lines(invoice),
        "taxable_value": format_money(invoice.taxable_value),
        "tax": format_money(invoice.tax),
        "reimbursed": format_money(reimbursed),
        "total": format_money(invoice.total),
        "total_in_words": rupees_in_words(invoice.total),
        "duty": {
            "estimate": format_money(invoice.duty_estimate),
            "actual": format_money(invoice.duty_actual),
            "difference": format_money(difference) if difference is not None else "",
            "shortfall": difference is not None and difference > 0,
        },
        "paid": format_money(account.net_paid),
        "balance_due": format_money(account.balance_due),
        "credit": format_money(account.credit),
    }


def credit_note_data(case: ImportCase) -> dict[str, Any]:
    note = (
        Invoice.objects.filter(case=case, kind=InvoiceKind.CREDIT_NOTE)
        .select_related("refers_to", "refund")
        .order_by("-issued_at", "-pk")
        .first()
    )
    if note is None:
        raise DomainError(f"{case.reference} has no credit note.")
    refund = note.refund
    return {
        **parts.common(case, K.CREDIT_NOTE),
        "note": {
            "number": note.number,
            "date": format_date(note.issued_on),
            "financial_year": note.financial_year,
            "reason": note.reason,
            "refers_to": note.refers_to.number if note.refers_to else "",
            "refers_to_date": format_date(note.refers_to.issued_on) if note.refers_to else "",
        },
        "supplier": note.supplier,
        "recipient": _party(note.recipient),
        "place_of_supply": note.place_of_supply,
        "patient_name": case.patient.full_name,
        "lines": _invoice_lines(note),
        "total": format_money(note.total),
        "total_in_words": rupees_in_words(note.total),
        "refund": {
            "method": refund.get_method_display() if refund else "",
            "reference": refund.reference if refund else "",
            "paid_on": format_date(refund.received_on) if refund else "",
        },
    }
