"""The money papers in the patient's language (issue 12): the proforma invoice, the tax
invoice and the credit note she downloads are written in Hindi when hers is Hindi,
with the statutory terms kept as the law writes them (GSTIN, HSN/SAC, CGST), and with
exactly the amounts the English paper has: the language changes the words only."""

from __future__ import annotations

import re
import subprocess
import unicodedata

import pytest
from django.utils import timezone, translation

from billing import services as billing
from billing.handlers import invoice_on_delivery
from billing.models import PayerKind
from documents.generation.papers import data_version, document_data, render_document_pdf
from documents.models import DocumentKind
from orders.models import CaseEvent, ImportCase, Importer
from orders.states import CaseStatus
from portals import demo
from tests.documents.test_money_papers import refunded

K = DocumentKind
S = CaseStatus
AMOUNT = re.compile(r"-?₹[\d,]+\.\d\d")
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
# As pdftotext gives them back (NFC: फ़ is फ and its nukta), any month the tests run in.
HINDI_MONTHS = unicodedata.normalize(
    "NFC", "जनवरी फ़रवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्टूबर नवंबर दिसंबर"
).split()


@pytest.fixture(autouse=True)
def _back_to_english():
    yield
    translation.activate("en")


def speaks(patient, language: str, case: ImportCase) -> ImportCase:
    patient.user.language = language
    patient.user.save(update_fields=["language"])
    return ImportCase.objects.get(pk=case.pk)


def text_of(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True)
    return " ".join(unicodedata.normalize("NFC", out.stdout.decode()).split())


def amounts(text: str) -> list[str]:
    """Every amount printed, in order of value (the reading order of a table's cells
    differs with the width of its words)."""
    return sorted(AMOUNT.findall(text), key=lambda a: (a.replace(",", ""), a))


def both(case: ImportCase, patient, kind: str, tmp_path) -> tuple[str, str]:
    """The paper's text in English, then in Hindi, from the same records."""
    english = text_of(render_document_pdf(speaks(patient, "en", case), kind)[0], tmp_path)
    hindi = text_of(render_document_pdf(speaks(patient, "hi", case), kind)[0], tmp_path)
    return english, hindi


@pytest.fixture
def invoiced(case_in):
    case = case_in(S.DELIVERED)
    invoice_on_delivery(CaseEvent.objects.get(case=case, transition="confirm_delivery"))
    return case


def test_her_tax_invoice_is_in_hindi_with_the_same_amounts_as_the_english(
    invoiced, patient, tmp_path, caplog
):
    english, hindi = both(invoiced, patient, K.TAX_INVOICE, tmp_path)

    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "paper.pdf")], capture_output=True, text=True
    ).stdout
    assert "NotoSansDevanagari" in fonts.replace("-", "")
    assert ".notdef" not in caplog.text  # WeasyPrint warns of every glyph no font had

    assert "कर बीजक (Tax Invoice)" in hindi
    assert amounts(hindi) == amounts(english)
    assert "₹24,68,689.69" in amounts(hindi)  # the total, lakh grouping kept
    for statutory in (
        f"GSTIN: {Importer.current().gstin}",
        "HSN/SAC",
        "30049099",
        "998599",
        "सेवा शुल्क पर CGST",
        "आपूर्ति का स्थान (Place of supply): Karnataka (29)",
        invoiced.bill_of_entry_number,
    ):
        assert statutory in hindi, statutory
    assert "चौबीस लाख अड़सठ हज़ार छह सौ नवासी रुपये और उनहत्तर पैसे मात्र" in hindi
    today = timezone.localdate()  # the invoice's date: it is issued on delivery
    assert f"बीजक तिथि {today.day} {HINDI_MONTHS[today.month - 1]} {today.year}" in hindi
    assert hindi.count("कर बीजक (Tax Invoice)") == 2  # the heading and the footer
    for english_word in ("Tax invoice", "Invoice date", "Rupees", "Customs duty paid"):
        assert english_word not in hindi, english_word


def test_her_english_tax_invoice_is_unchanged_and_keeps_its_data_version(invoiced, patient):
    """No language in an English paper's data: every version stored before stands."""
    data = document_data(invoiced, K.TAX_INVOICE)
    english = data_version(invoiced, K.TAX_INVOICE)

    assert "language" not in data
    assert data["invoice"]["date"] == f"{timezone.localdate():%-d %B %Y}"
    assert data["total_in_words"].startswith("Rupees twenty-four lakh sixty-eight thousand")
    assert data_version(speaks(patient, "hi", invoiced), K.TAX_INVOICE) != english


def test_her_proforma_invoice_is_in_hindi_with_the_same_amounts(
    case_in, coordinator, patient, tmp_path
):
    case = case_in(S.SUPPLIER_ORDERING)
    billing.payer_set(case=case, actor=coordinator, **demo.payer_data(case))
    billing.quotation_issue(case=case, actor=coordinator)

    english, hindi = both(case, patient, K.PROFORMA_INVOICE, tmp_path)

    assert amounts(hindi) == amounts(english)
    assert "₹24,68,689.69" in hindi
    for fact in (
        "प्रोफ़ॉर्मा बीजक (Proforma Invoice)",
        "कुल देय राशि ₹24,68,689.69",
        "आयात पर IGST (अनुमान)",
        "USD को ₹88.2500 प्रति USD की दर से बदला गया, 1 जनवरी 2026 की दर",
        "चौबीस लाख अड़सठ हज़ार छह सौ नवासी रुपये",
        "GSTIN: अपंजीकृत",
    ):
        assert fact in hindi, fact
    for english_word in ("Total payable", "Charges", "Terms", "converted at", "Rupees"):
        assert english_word not in hindi, english_word


def test_her_credit_note_is_in_hindi_with_the_same_amounts(case_in, coordinator, patient, tmp_path):
    case = refunded(case_in, coordinator, method="cheque", reference="CHQ-1")

    english, hindi = both(case, patient, K.CREDIT_NOTE, tmp_path)

    assert amounts(hindi) == amounts(english) == ["₹24,39,189.69"] * 2
    for fact in ("जमा पत्र (Credit Note)", "प्राप्त अग्रिम की धनवापसी", "चेक संदर्भ CHQ-1"):
        assert fact in hindi, fact
    assert "Refund of advance received" in english and "Cheque reference CHQ-1" in english
    assert "Refund" not in hindi and "Cheque" not in hindi


def test_a_hospitals_papers_stay_in_english_whatever_her_language(
    case_in, coordinator, patient, tmp_path
):
    """The hospital reads them, not she (they are not in her documents)."""
    case = case_in(S.SUPPLIER_ORDERING)
    billing.payer_set(
        case=case,
        actor=coordinator,
        **demo.payer_data(case, kind=PayerKind.HOSPITAL, name="City Hospital"),
    )
    billing.quotation_issue(case=case, actor=coordinator)
    case = speaks(patient, "hi", case)

    text = text_of(render_document_pdf(case, K.PROFORMA_INVOICE)[0], tmp_path)

    assert "Proforma invoice" in text and "Total payable" in text
    assert not DEVANAGARI.search(text)
    assert "language" not in document_data(case, K.PROFORMA_INVOICE)
