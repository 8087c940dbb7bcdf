"""The money papers, made from billing's records: the proforma invoice (the latest
quotation, as the payer reads it), the tax invoice and the credit note.

The payer's papers never show the supplier's price, freight or insurance (the
quotation's internal lines): the medicine is one line, delivered to India. Every
conversion names its rate, its date and its source.

Each is written in its reader's language (issue 12): the patient's, when she or her
family pays and downloads them from her documents; the service's otherwise. Only the
words change: the amounts are formatted as they are in English (₹, lakh grouping),
from the same records, and the statutory terms (GSTIN, HSN/SAC, IGST) stay as the law
writes them. The language is part of the data, so another one makes a new version.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext

from billing.models import PAID_BY_PATIENT_SIDE, Invoice, InvoiceKind, Quotation
from billing.selectors import case_account, latest_quotation, payer_lines, service_party
from documents.generation import parts
from documents.models import DocumentKind
from npp.accounts.languages import language_of
from orders.display import format_date, format_money, format_percent
from orders.errors import DomainError
from orders.models import ImportCase
from orders.money import amount_in_words

K = DocumentKind


def _rate(value: Decimal | None) -> str:
    return format_percent(value) if value is not None else ""


def reader_language(case: ImportCase, payer: dict[str, str]) -> str:
    """The language of a money paper: the patient's when the payer on it is she or her
    family (the papers are hers to download, billing.access); the service's for a
    hospital, an insurer or a charity, who never read them in her account."""
    if payer.get("kind") in PAID_BY_PATIENT_SIDE:
        return language_of(case.patient.user)
    return settings.LANGUAGE_CODE


def _written(case: ImportCase, payer: dict[str, str], build, record) -> dict[str, Any]:
    """`build`'s data with the reader's language active, and that language recorded (the
    renderer writes the paper in it, papers.render_document_pdf). An English paper's
    data is what it was before languages, so its version (and every stored one) stands,
    as the consent's does (declarations.patient_consent_data)."""
    language = reader_language(case, payer)
    with translation.override(language):
        data = build(case, record, language)
    if language != settings.LANGUAGE_CODE:
        data["language"] = language
        # The heading's words in the footer and the PDF's title too: "कर बीजक (Tax
        # Invoice)", the statutory name kept recognisable, on every page.
        with translation.override(language):
            data["title"] = pgettext("money paper heading", data["title"])
    return data


def _date(value: dt.date | None) -> str:
    return format_date(value, localized=True)


def _party(snapshot: dict[str, str]) -> dict[str, Any]:
    return {
        "name": snapshot.get("name", ""),
        # The kind's label as recorded is the catalogue's word (billing.models.PayerKind).
        "kind": gettext(snapshot["kind_label"]) if snapshot.get("kind_label") else "",
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
        return gettext("Priced in rupees: no conversion.")
    return gettext(
        "%(currency)s converted at ₹%(rate)s per %(currency)s, rate of %(date)s (%(source)s)."
    ) % {
        "currency": quotation.currency,
        "rate": quotation.exchange_rate,
        "date": _date(quotation.exchange_rate_date),
        "source": basis.get("source", ""),
    }


def _product_line(case: ImportCase) -> str:
    """'Lupkynis (voclosporin) 7.9 mg capsule, 3 packs of 30': the names as the
    catalogue spells them, the dosage form in the paper's language."""
    product = case.product
    packs = case.quantity_packs or 0
    return ngettext(
        "%(product)s, %(packs)s pack of %(units)s",
        "%(product)s, %(packs)s packs of %(units)s",
        packs,
    ) % {
        "product": (
            f"{product.brand_name} ({product.generic_name}) {product.strength} "
            f"{gettext(product.dosage_form)}"
        ),
        "packs": case.quantity_packs,
        "units": product.units_per_pack,
    }


def _line_label(label: str) -> str:
    """A line's label as recorded is the catalogue's word (billing.calculation)."""
    return gettext(label) if label else ""


def proforma_invoice_data(case: ImportCase) -> dict[str, Any]:
    quotation = latest_quotation(case)
    if quotation is None:
        raise DomainError(f"{case.reference} has no quotation to print.")
    return _written(case, quotation.payer, _proforma_invoice_data, quotation)


def _proforma_invoice_data(case: ImportCase, quotation: Quotation, language: str) -> dict[str, Any]:
    duty = quotation.basis.get("duty", {})
    exemption = quotation.basis.get("exemption")
    lines = [
        {
            "label": _line_label(line.label),
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
            "status": gettext(quotation.get_status_display()),
            "issued_on": _date(quotation.quoted_on),
            "valid_until": _date(quotation.valid_until),
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
        "total_in_words": amount_in_words(quotation.total, language),
        "payment_terms": gettext(
            "Payment in full before the order is placed with the manufacturer. The customs "
            "duty is an estimate: the tax invoice at delivery charges the duty customs "
            "actually assess, and any difference is paid or refunded then."
        ),
    }


def format_date_iso(value: str) -> str:
    try:
        return _date(dt.date.fromisoformat(value))
    except (TypeError, ValueError):
        return ""


def _invoice_lines(invoice: Invoice) -> list[dict[str, Any]]:
    return [
        {
            "label": _line_label(line["label"]),
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
    return _written(case, invoice.recipient, _tax_invoice_data, invoice)


def _tax_invoice_data(case: ImportCase, invoice: Invoice, language: str) -> dict[str, Any]:
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
            "date": _date(invoice.issued_on),
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
        "total_in_words": amount_in_words(invoice.total, language),
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
    return _written(case, note.recipient, _credit_note_data, note)


def _credit_note_data(case: ImportCase, note: Invoice, language: str) -> dict[str, Any]:
    refund = note.refund
    return {
        **parts.common(case, K.CREDIT_NOTE),
        "note": {
            "number": note.number,
            "date": _date(note.issued_on),
            "financial_year": note.financial_year,
            "reason": note.reason,
            "refers_to": note.refers_to.number if note.refers_to else "",
            "refers_to_date": _date(note.refers_to.issued_on) if note.refers_to else "",
        },
        "supplier": note.supplier,
        "recipient": _party(note.recipient),
        "place_of_supply": note.place_of_supply,
        "patient_name": case.patient.full_name,
        "lines": [
            {**shown, "label": _refund_label(note)} if stored.get("code") == "refund" else shown
            for stored, shown in zip(note.lines, _invoice_lines(note), strict=True)
        ],
        "total": format_money(note.total),
        "total_in_words": amount_in_words(note.total, language),
        "refund": {
            # The method's label is the catalogue's word (billing.models.PaymentMethod).
            "method": gettext(refund.get_method_display()) if refund else "",
            "reference": refund.reference if refund else "",
            "paid_on": _date(refund.received_on) if refund else "",
        },
    }


def _refund_label(note: Invoice) -> str:
    """The refund's line, as billing recorded it in English (services._credit_note),
    said again in the paper's language."""
    if note.refers_to:
        return gettext("Refund against tax invoice %(number)s") % {"number": note.refers_to.number}
    return gettext("Refund of advance received")
