"""The patient sheet in Hindi (issue 12, items 2 and 4): written in the patient's
language from the catalogue's Hindi text, set in Noto Sans Devanagari with its
conjuncts shaped, and its text extracted back from the PDF as the catalogue wrote it."""

from __future__ import annotations

import re
import subprocess
import unicodedata

import pytest
from django.utils import translation

from documents.generation.papers import data_version, render_document_pdf
from documents.models import DocumentKind
from orders.states import CaseStatus

K = DocumentKind
S = CaseStatus


@pytest.fixture(autouse=True)
def _back_to_english():
    yield
    translation.activate("en")


@pytest.fixture
def hindi_case(case_in, patient, settings):
    settings.NPP_SERVICE_PHONE = "+91 80 4718 2200"
    case = case_in(S.OUT_FOR_DELIVERY)
    patient.user.language = "hi"
    patient.user.save(update_fields=["language"])
    case.refresh_from_db()
    return case


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True)
    return unicodedata.normalize("NFC", out.stdout.decode())


def words(text: str) -> str:
    return " ".join(text.split())


def test_the_sheet_is_in_the_patients_language_and_a_new_version_when_it_changes(
    hindi_case, patient
):
    hindi = data_version(hindi_case, K.PATIENT_INFORMATION)
    patient.user.language = "en"
    patient.user.save(update_fields=["language"])
    hindi_case.refresh_from_db()

    assert data_version(hindi_case, K.PATIENT_INFORMATION) != hindi


def test_the_hindi_sheet_is_set_in_noto_sans_devanagari_with_every_glyph_found(
    hindi_case, tmp_path, caplog
):
    pdf, _version = render_document_pdf(hindi_case, K.PATIENT_INFORMATION)
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)

    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "NotoSansDevanagari" in fonts.replace("-", "")
    assert ".notdef" not in caplog.text  # WeasyPrint warns of every glyph no font had
    text = words(pdf_text(pdf, tmp_path))
    # Words without a vowel sign before their consonant read back whole.
    for fact in ("आपकी दवा: Lupkynis (voclosporin)", "खुराक", "पृष्ठ 1 / 3", "केस NPP-"):
        assert fact in text, fact


def test_the_hindi_sheets_text_reads_back_as_the_catalogue_wrote_it(hindi_case, tmp_path, lupkynis):
    pdf, _version = render_document_pdf(hindi_case, K.PATIENT_INFORMATION)
    text = words(pdf_text(pdf, tmp_path))
    hindi = lupkynis.translations["hi"]

    for fact in (
        hindi["indication"],
        hindi["administration"],
        hindi["missed_dose"],
        hindi["avoid"],
        hindi["storage_notes"],
        *(entry["signs"] for entry in hindi["side_effects"]),
        *hindi["monitoring"],
        "आपकी दवा: Lupkynis (voclosporin)",
        "किन दुष्प्रभावों पर ध्यान दें",
        "डिलीवरी नोट",
    ):
        assert words(fact) in text, fact
    assert re.search(
        r"\d+ (जनवरी|फ़रवरी|मार्च|अप्रैल|मई|जून|जुलाई|अगस्त|सितंबर|अक्टूबर|नवंबर|दिसंबर) 20\d\d", text
    )


# --- The consent she signs ------------------------------------------------------------------


def test_her_consent_is_written_in_hindi_and_the_application_pack_keeps_it_in_english(
    case_in, patient, tmp_path
):
    from documents.generation.papers import document_data, render_document_pdf

    case = case_in(S.FORMS_PREPARATION)
    english = data_version(case, K.PATIENT_CONSENT)
    assert "language" not in document_data(case, K.PATIENT_CONSENT)  # as before languages
    patient.user.language = "hi"
    patient.user.save(update_fields=["language"])
    case.refresh_from_db()

    assert data_version(case, K.PATIENT_CONSENT) != english
    consent = words(pdf_text(render_document_pdf(case, K.PATIENT_CONSENT)[0], tmp_path))
    assert "मरीज़ की सहमति और घोषणा" in consent
    assert "यह दवा केवल मेरे अपने निजी उपयोग के लिए है।" in consent
    assert "डॉ. Anil Rao ने मुझे समझाया है" in consent
    assert "मरीज़ की सहमति: Priya Menon" in consent  # the footer, in her language too
    assert "CDSCO (SUGAM पोर्टल)" in consent and "portal" not in consent
    assert "Patient consent" not in consent
    pack = words(pdf_text(render_document_pdf(case, K.REGULATORY_APPLICATION)[0], tmp_path))
    assert "The medicine is for my own personal use only." in pack
    assert "निजी उपयोग" not in pack


def test_her_consent_writes_her_birth_date_and_identity_document_in_hindi(
    case_in, patient, tmp_path
):
    """The date as Hindi writes it and the document's name in Hindi; the data its
    signature seals keeps the English words, and so does the pack's English text."""
    from documents.generation.papers import document_data, render_document_pdf

    case = case_in(S.FORMS_PREPARATION)
    patient.user.language = "hi"
    patient.user.save(update_fields=["language"])
    case.refresh_from_db()

    data = document_data(case, K.PATIENT_CONSENT)["patient"]
    assert (data["date_of_birth"], data["id_document"]) == ("17 May 1990", "Aadhaar")
    consent = words(pdf_text(render_document_pdf(case, K.PATIENT_CONSENT)[0], tmp_path))
    assert "जन्म 17 मई 1990" in consent
    assert "मेरा पहचान पत्र (आधार XXXXXXXX9012)" in consent
    assert "यह भारत में स्वीकृत नहीं है" in consent
    assert "May" not in consent and "Aadhaar" not in consent
    pack = words(pdf_text(render_document_pdf(case, K.REGULATORY_APPLICATION)[0], tmp_path))
    assert "born 17 May 1990" in pack
    assert "my identity document (Aadhaar XXXXXXXX9012)" in pack
    assert "it is not approved in India" in pack


def test_her_consent_page_shows_the_same_hindi_words(client, case_in, patient):
    case = case_in(S.FORMS_PREPARATION)
    patient.user.language = "hi"
    patient.user.save(update_fields=["language"])
    client.force_login(patient.user)

    html = words(client.get(f"/my/orders/{case.pk}/consent/").content.decode())

    assert "जन्म 17 मई 1990" in html
    assert "आधार XXXXXXXX9012" in html


def test_the_doctors_dose_in_his_words_is_said_again_as_a_daily_count_in_hers(hindi_case, tmp_path):
    """The prescribed dose is the doctor's free text ("23.7 mg (3 capsules) twice
    daily"), English in a Hindi sheet: the daily count follows it in Hindi."""
    text = words(pdf_text(render_document_pdf(hindi_case, K.PATIENT_INFORMATION)[0], tmp_path))

    assert "23.7 mg (3 capsules) twice daily" in text
    assert "रोज़ 6 कैप्सूल।" in text
