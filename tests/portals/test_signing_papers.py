"""Sign what you read: the patient's consent in the tracker (or a minor's parent or
guardian), the physician's undertaking, the guards that ask for both, and the pack
that then shows each signature's manifestation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfReader

from documents.generation.jobs import render_job_run
from documents.generation.papers import data_version
from documents.generation.requests import request_render
from documents.generation.signing import paper_sign
from documents.models import DocumentKind, Signature, SignatureMeaning, SignerCapacity
from orders import guards
from orders.errors import DomainError
from orders.states import CaseStatus
from tests.conftest import PASSWORD
from tests.documents import files
from tests.orders.helpers import upload

pytestmark = pytest.mark.django_db
S = CaseStatus
K = DocumentKind


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def read_version(response) -> str:
    return re.search(r'name="read_version" value="([0-9a-f]{64})"', response.content.decode())[1]


def consent_url(case) -> str:
    return f"/my/orders/{case.pk}/consent/"


def sign_consent(client, case, **fields):
    page = client.get(consent_url(case))
    posted = {
        "printed_name": "Priya Menon",
        "password": PASSWORD,
        "confirm": "on",
        "read_version": read_version(page),
    }
    posted.update(fields)
    return client.post(consent_url(case), posted)


def pdf_text(document) -> str:
    with document.file.open("rb") as stored:
        text = "\n".join(page.extract_text() for page in PdfReader(stored).pages)
    return " ".join(text.split())  # lines as laid out on the page, joined


@pytest.fixture
def preparing(case_in):
    return case_in(S.FORMS_PREPARATION)


def test_the_patient_reads_the_consent_in_the_tracker(preparing, patient):
    priya = signed_in(patient.user)

    order = priya.get(f"/my/orders/{preparing.pk}/").content.decode()
    assert "Read and sign your consent" in order
    response = priya.get(consent_url(preparing))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Patient's consent and declaration" in html
    assert "Dr Anil Rao has explained to me" in html
    assert "Priya Menon" in html
    assert read_version(response) == data_version(preparing, K.PATIENT_CONSENT)


def test_the_patient_signs_the_generated_consent(preparing, patient):
    priya = signed_in(patient.user)

    response = sign_consent(priya, preparing)

    assert response.status_code == 302
    signature = Signature.objects.get(meaning=SignatureMeaning.CONSENT)
    assert signature.signer == patient.user
    assert signature.capacity == SignerCapacity.PATIENT
    assert signature.document.generated
    assert signature.verifies()
    assert "Dr Anil Rao has explained to me" in pdf_text(signature.document)
    assert not guards.consent_signed.problems(preparing)
    order = priya.get(f"/my/orders/{preparing.pk}/").content.decode()
    assert "Signed: Priya Menon" in order


def test_a_wrong_password_refuses_the_consent_and_stores_nothing(preparing, patient):
    response = sign_consent(signed_in(patient.user), preparing, password="not-mine")

    assert response.status_code == 400
    assert "password is not correct" in response.content.decode()
    assert not Signature.objects.filter(meaning=SignatureMeaning.CONSENT).exists()
    assert not preparing.documents.filter(kind=K.PATIENT_CONSENT).exists()


def test_someone_elses_consent_is_not_found(preparing, other_patient, other_physician):
    omar = signed_in(other_patient.user)
    assert omar.get(consent_url(preparing)).status_code == 404
    assert omar.post(consent_url(preparing), {"password": PASSWORD}).status_code == 404
    bela = signed_in(other_physician.user)
    assert bela.get(f"/physician/cases/{preparing.pk}/sign/").status_code == 404
    assert not Signature.objects.filter(meaning=SignatureMeaning.CONSENT).exists()


def test_the_physician_may_not_sign_the_patients_consent(preparing, physician):
    with pytest.raises(Exception, match="may not sign"):
        paper_sign(
            case=preparing,
            kind=K.PATIENT_CONSENT,
            signer=physician.user,
            password=PASSWORD,
            printed_name="Anil Rao",
            read_version=data_version(preparing, K.PATIENT_CONSENT),
        )
    assert not Signature.objects.exists()


def a_minor_whose_parent_holds_the_account(patient, parent: str = "Ravi Menon"):
    patient.date_of_birth = dt.date.today().replace(year=dt.date.today().year - 12)
    patient.save()
    patient.user.full_name = parent
    patient.user.save(update_fields=["full_name"])


def test_a_minors_consent_is_signed_by_a_parent_and_says_so(preparing, patient):
    a_minor_whose_parent_holds_the_account(patient)
    priya = signed_in(patient.user)
    page = priya.get(consent_url(preparing)).content.decode()
    assert "is under 18" in page
    assert "Signature of a parent or legal guardian" in page

    refused = sign_consent(priya, preparing, printed_name="Ravi Menon")
    assert refused.status_code == 400
    assert not Signature.objects.filter(meaning=SignatureMeaning.CONSENT).exists()

    response = sign_consent(priya, preparing, printed_name="Ravi Menon", capacity="parent")

    assert response.status_code == 302
    signature = Signature.objects.get(meaning=SignatureMeaning.CONSENT)
    assert (signature.printed_name, signature.capacity) == ("Ravi Menon", SignerCapacity.PARENT)
    assert signature.verifies()
    assert "Ravi Menon, parent of the patient" in signature.manifestation
    order = priya.get(f"/my/orders/{preparing.pk}/").content.decode()
    assert "Signed: Ravi Menon, parent of the patient" in order

    # One capacity label (Signature.capacity_label) on the pack and the case record.
    from documents.generation.application_pack import regulatory_application_data
    from documents.generation.case_record import case_record_data

    pack = regulatory_application_data(preparing)["signed"][K.PATIENT_CONSENT]["signatures"]
    record = [
        s for s in case_record_data(preparing)["signatures"] if s["printed_name"] == "Ravi Menon"
    ]
    assert signature.capacity_label == "Parent of the patient"
    assert (
        [s["capacity"] for s in pack]
        == [s["capacity"] for s in record]
        == [signature.capacity_label]
    )


def files_on_disk(tmp_path) -> list[str]:
    """Every file in this test's private storage (tests/conftest.py keeps it there)."""
    return sorted(str(p) for p in (tmp_path / "private").rglob("*") if p.is_file())


def name_error(response, field: str = "printed_name") -> str:
    """The error shown beside the name field (includes/form_field.html), or ''."""
    found = re.search(
        rf'<p class="field-error" id="id_{field}_error">([^<]*)</p>', response.content.decode()
    )
    return found[1] if found else ""


def test_another_name_than_hers_is_refused_beside_the_name_and_stores_nothing(
    preparing, patient, tmp_path
):
    priya = signed_in(patient.user)
    on_disk = files_on_disk(tmp_path)

    response = sign_consent(priya, preparing, printed_name="Someone Else")

    assert response.status_code == 400
    assert name_error(response).startswith("That is not your name on record (Priya Menon)")
    assert "Nothing was signed." in name_error(response)
    assert not Signature.objects.exists()
    assert not preparing.documents.filter(kind=K.PATIENT_CONSENT).exists()
    assert files_on_disk(tmp_path) == on_disk
    assert "Signed: Someone Else" not in priya.get(f"/my/orders/{preparing.pk}/").content.decode()


def test_another_name_than_hers_is_refused_in_hindi(preparing, patient, tmp_path):
    patient.user.language = "hi"
    patient.user.save(update_fields=["language"])
    priya = signed_in(patient.user)
    on_disk = files_on_disk(tmp_path)

    response = sign_consent(priya, preparing, printed_name="Someone Else")

    assert response.status_code == 400
    assert name_error(response) == (
        "यह आपका दर्ज नाम (Priya Menon) नहीं है: हस्ताक्षर पर हस्ताक्षर करने वाले का "
        "अपना नाम होता है। कोई हस्ताक्षर नहीं हुआ।"
    )
    assert not Signature.objects.exists()
    assert files_on_disk(tmp_path) == on_disk


def test_her_own_name_typed_in_another_case_and_spacing_signs_as_on_record(preparing, patient):
    response = sign_consent(signed_in(patient.user), preparing, printed_name="  priya   MENON ")

    assert response.status_code == 302
    signature = Signature.objects.get(meaning=SignatureMeaning.CONSENT)
    assert signature.printed_name == "Priya Menon"
    assert signature.verifies()


def test_a_parent_signs_a_minors_consent_with_the_name_on_the_account_only(
    preparing, patient, tmp_path
):
    a_minor_whose_parent_holds_the_account(patient)
    priya = signed_in(patient.user)
    on_disk = files_on_disk(tmp_path)

    for other in ("Someone Else", "Priya Menon"):  # nor the child's own name
        refused = sign_consent(priya, preparing, printed_name=other, capacity="parent")
        assert refused.status_code == 400
        assert name_error(refused).startswith("That is not your name on record (Ravi Menon)")
    assert not Signature.objects.exists()
    assert files_on_disk(tmp_path) == on_disk

    response = sign_consent(priya, preparing, printed_name="ravi  menon", capacity="parent")

    assert response.status_code == 302
    signature = Signature.objects.get(meaning=SignatureMeaning.CONSENT)
    assert (signature.printed_name, signature.capacity) == ("Ravi Menon", SignerCapacity.PARENT)


def test_a_parent_on_a_minors_account_in_her_own_name_declares_their_name(
    preparing, patient, tmp_path
):
    """The account patient_create opens carries the patient's name: for a minor that
    records no parent or guardian, so the one signing declares their own name under the
    account's password; only the child's name is refused."""
    a_minor_whose_parent_holds_the_account(patient, parent="Priya Menon")
    priya = signed_in(patient.user)
    on_disk = files_on_disk(tmp_path)

    refused = sign_consent(priya, preparing, printed_name=" priya  MENON ", capacity="parent")

    assert refused.status_code == 400
    assert name_error(refused).startswith("That is the patient&#x27;s name")
    assert not Signature.objects.exists()
    assert files_on_disk(tmp_path) == on_disk

    response = sign_consent(priya, preparing, printed_name="Ravi  Menon", capacity="guardian")

    assert response.status_code == 302
    signature = Signature.objects.get(meaning=SignatureMeaning.CONSENT)
    assert (signature.printed_name, signature.capacity) == ("Ravi Menon", SignerCapacity.GUARDIAN)
    assert signature.verifies()


def test_a_patients_own_signature_carries_no_capacity_word(preparing, patient):
    sign_consent(signed_in(patient.user), preparing)
    signature = Signature.objects.get(meaning=SignatureMeaning.CONSENT)

    assert signature.capacity == SignerCapacity.PATIENT
    assert signature.capacity_label == ""
    assert signature.manifestation.startswith("Priya Menon · ")


def test_an_adult_signs_their_own_consent(preparing, patient):
    with pytest.raises(DomainError, match="adult"):
        paper_sign(
            case=preparing,
            kind=K.PATIENT_CONSENT,
            signer=patient.user,
            password=PASSWORD,
            printed_name="Ravi Menon",
            capacity=SignerCapacity.GUARDIAN,
            read_version=data_version(preparing, K.PATIENT_CONSENT),
        )


def test_a_capacity_changed_after_signing_breaks_the_seal(preparing, patient):
    sign_consent(signed_in(patient.user), preparing)
    signature = Signature.objects.get(meaning=SignatureMeaning.CONSENT)

    Signature.objects.filter(pk=signature.pk).update(capacity=SignerCapacity.GUARDIAN)

    signature.refresh_from_db()
    assert not signature.verifies()


def sign_undertaking(case, physician) -> Signature:
    return paper_sign(
        case=case,
        kind=K.PHYSICIAN_UNDERTAKING,
        signer=physician.user,
        password=PASSWORD,
        printed_name="Anil Rao",
        read_version=data_version(case, K.PHYSICIAN_UNDERTAKING),
    )


def test_the_physician_signs_the_undertaking_with_his_own_name_only(preparing, physician, tmp_path):
    rao = signed_in(physician.user)
    url = f"/physician/cases/{preparing.pk}/sign/"
    page = rao.get(url)
    on_disk = files_on_disk(tmp_path)
    posted = {"password": PASSWORD, "confirm": "on", "read_version": read_version(page)}

    refused = rao.post(url, {**posted, "printed_name": "Someone Else"})
    scan = rao.post(
        url,
        {
            "scan-undertaking": SimpleUploadedFile(
                "undertaking.pdf", files.pdf("I undertake"), content_type="application/pdf"
            ),
            "scan-printed_name": "Bela Shah",
            "scan-password": PASSWORD,
            "scan-confirm": "on",
        },
    )

    assert refused.status_code == scan.status_code == 400
    assert name_error(refused).startswith("That is not your name on record (Anil Rao)")
    assert name_error(scan, "scan-printed_name").startswith("That is not your name on record")
    assert not Signature.objects.exists()
    assert not preparing.documents.filter(kind=K.PHYSICIAN_UNDERTAKING).exists()
    assert files_on_disk(tmp_path) == on_disk

    signed = rao.post(url, {**posted, "printed_name": "Dr.  anil rao"})

    assert signed.status_code == 302
    assert Signature.objects.get().printed_name == "Anil Rao"


def test_a_signature_on_a_generated_pdf_whose_bytes_changed_no_longer_verifies(
    preparing, physician
):
    signature = sign_undertaking(preparing, physician)
    assert signature.verifies()
    assert not guards.undertaking_signed.problems(preparing)

    with open(signature.document.file.path, "ab") as stored:
        stored.write(b"\n% one more clause")

    assert not signature.verifies()
    assert guards.undertaking_signed.problems(preparing) == [
        "the physician's electronic signature on the undertaking"
    ]


def test_an_unsigned_generated_consent_stops_the_filing_naming_it(preparing, coordinator):
    job = request_render(case=preparing, kind=K.PATIENT_CONSENT, actor=coordinator)
    render_job_run(job.pk)

    assert guards.consent_signed.problems(preparing) == [
        "the patient's signature on the consent (signed in the tracker, or a scan signed on paper)"
    ]
    # A scan signed on paper stays possible: once on file (and accepted) it is the consent.
    upload(preparing, K.PATIENT_CONSENT, coordinator)
    assert not guards.consent_signed.problems(preparing)


def test_the_pack_shows_both_signatures_and_a_complete_checklist(
    preparing, physician, patient, coordinator
):
    sign_undertaking(preparing, physician)
    sign_consent(signed_in(patient.user), preparing)
    upload(preparing, K.PATIENT_IDENTITY, patient.user, accept_by=coordinator)

    job = request_render(case=preparing, kind=K.REGULATORY_APPLICATION, actor=coordinator)
    job = render_job_run(job.pk)

    text = pdf_text(job.document)
    assert "Signed electronically by Anil Rao" in text
    assert "Signed electronically by Priya Menon" in text
    assert "Meaning: Author" in text
    assert "Meaning: Consent given" in text
    assert "Not yet on file" not in text
    assert "not yet signed" not in text
    assert text.count("signed electronically by") >= 2  # the checklist's two rows


def test_a_paper_whose_text_changed_and_came_back_is_signed_as_first_made(preparing, physician):
    def render_now():
        job = request_render(case=preparing, kind=K.PHYSICIAN_UNDERTAKING, actor=physician.user)
        return render_job_run(job.pk).document

    first = render_now()
    preparing.physician.registration_number = "NMC-999999"
    preparing.physician.save()
    assert render_now().version == 2
    preparing.physician.registration_number = "NMC-123456"
    preparing.physician.save()

    signature = sign_undertaking(preparing, physician)

    assert signature.document.version == 3
    assert signature.content_sha256 == first.sha256
    assert signature.verifies()
    assert not guards.undertaking_signed.problems(preparing)


def test_a_fact_the_paper_does_not_show_changes_nothing_to_sign(preparing, patient):
    before = data_version(preparing, K.PHYSICIAN_UNDERTAKING)
    preparing.patient.phone = "+91 90000 00000"
    preparing.patient.save()

    assert data_version(preparing, K.PHYSICIAN_UNDERTAKING) == before


def test_a_resupply_reuses_the_signed_consent_without_asking_again(preparing, patient, coordinator):
    from documents.generation.declarations import paper_signature
    from documents.generation.papers import reused_on_file
    from orders.resupply import case_create_resupply
    from portals import demo

    sign_consent(signed_in(patient.user), preparing)
    delivered = demo.walk_to(
        preparing, S.DELIVERED, coordinator=coordinator, signing_password=PASSWORD
    )
    signed = Signature.objects.get(meaning=SignatureMeaning.CONSENT)
    assert delivered.documents.current().get(kind=K.PATIENT_CONSENT) == signed.document

    resupply = case_create_resupply(case=delivered, actor=coordinator)

    consent = resupply.documents.current().get(kind=K.PATIENT_CONSENT)
    assert consent.reused_from == signed.document
    assert reused_on_file(resupply, K.PATIENT_CONSENT)  # not made again in preparation
    assert not guards.consent_signed.problems(resupply)
    assert paper_signature(resupply, consent) == signed


def test_a_reused_paper_reads_as_signed_alike_on_the_page_the_pack_and_the_guard(
    preparing, patient, other_patient, coordinator
):
    """One rule for a reused paper's signatures: they count for the case only when
    given by the person that case needs. The signing page, the pack and the guard
    read them the same way, before and after that person changes."""
    from documents.generation.application_pack import regulatory_application_data
    from documents.generation.declarations import paper_signature
    from orders.resupply import case_create_resupply
    from portals import demo

    sign_consent(signed_in(patient.user), preparing)
    delivered = demo.walk_to(
        preparing, S.DELIVERED, coordinator=coordinator, signing_password=PASSWORD
    )
    resupply = case_create_resupply(case=delivered, actor=coordinator)
    consent = resupply.documents.current().get(kind=K.PATIENT_CONSENT)
    assert consent.reused_from_id

    def readings():
        page = paper_signature(resupply, consent)
        pack = regulatory_application_data(resupply)["signed"][K.PATIENT_CONSENT]["signatures"]
        return (
            page.printed_name if page else None,
            [signature["printed_name"] for signature in pack[:1]] or [None],
            not guards.consent_signed.problems(resupply),
        )

    assert readings() == ("Priya Menon", ["Priya Menon"], True)

    # The resupply is for someone else now: Priya's signature is not theirs.
    resupply.patient = other_patient
    resupply.save(update_fields=["patient"])
    assert readings() == (None, [None], False)


def checklist_rows(case) -> dict[str, str]:
    from documents.generation.application_pack import regulatory_application_data

    return {row["item"]: row["on_file"] for row in regulatory_application_data(case)["attachments"]}


@pytest.mark.parametrize("reused", [False, True], ids=["signed here", "reused on a resupply"])
def test_a_signed_papers_checklist_line_is_the_same_as_a_section_or_as_an_upload(
    preparing, patient, coordinator, reused
):
    """The checklist lists the consent as this pack's signed section, or (on a pathway
    whose pack has no consent section) as a required upload: one line either way."""
    from orders.resupply import case_create_resupply
    from portals import demo

    render = request_render(case=preparing, kind=K.PATIENT_CONSENT, actor=coordinator)
    render_job_run(render.pk)
    case = preparing
    item = "Patient's consent and declaration"
    unsigned = checklist_rows(case)[item]
    assert unsigned == "Version 1, not yet signed"

    sign_consent(signed_in(patient.user), case)
    if reused:
        delivered = demo.walk_to(
            case, S.DELIVERED, coordinator=coordinator, signing_password=PASSWORD
        )
        case = case_create_resupply(case=delivered, actor=coordinator)
    as_section = checklist_rows(case)[item]
    assert "signed electronically by Priya Menon on" in as_section

    pathway = case.pathway
    pathway.forms = [key for key in pathway.forms if key != "patient_consent"]
    pathway.save(update_fields=["forms"])
    case.refresh_from_db()
    assert checklist_rows(case)[K.PATIENT_CONSENT.label] == as_section


def test_a_hand_signed_scan_reads_signed_on_paper_in_the_pack_where_the_guard_accepts_it(
    preparing, physician, patient, coordinator, tmp_path
):
    """The pack follows the guards: a consent scan signed on paper stands for the
    signature (consent_signed accepts it); an undertaking scan does not
    (undertaking_signed wants the physician's electronic signature), so its
    signature lines stay to be signed and filing is refused."""
    from documents.generation.application_pack import regulatory_application_data
    from documents.generation.papers import render_document_pdf
    from orders.guards import consent_signed, undertaking_signed

    upload(preparing, K.PHYSICIAN_UNDERTAKING, physician.user, accept_by=coordinator)
    upload(preparing, K.PATIENT_CONSENT, patient.user, accept_by=coordinator)

    signed = regulatory_application_data(preparing)["signed"]
    assert undertaking_signed.problems(preparing) != []
    assert signed[K.PHYSICIAN_UNDERTAKING]["signed"] is False
    assert consent_signed.problems(preparing) == []
    assert signed[K.PATIENT_CONSENT]["signed"] is True

    pdf, _version = render_document_pdf(preparing, K.REGULATORY_APPLICATION)
    (tmp_path / "pack.pdf").write_bytes(pdf)
    pages = [
        " ".join(page.extract_text().split()) for page in PdfReader(tmp_path / "pack.pdf").pages
    ]
    undertaking = next(page for page in pages if "Undertaking by the prescribing" in page)
    consent = next(page for page in pages if "Patient's consent and declaration" in page)
    assert re.search(r"Signed on paper: the hand-signed scan \(version \d+, accepted\)", consent)
    assert "Signature of the patient" not in consent
    assert "Signed on paper" not in undertaking
    assert "Signature of the prescribing practitioner" in undertaking


def test_a_reused_undertaking_counts_as_signed_by_the_physician_it_needs(
    preparing, physician, other_physician, coordinator
):
    """A pathway that lets a resupply reuse the undertaking: the guard follows the
    reused paper to the signature given on the case before, as the page and the pack
    do, and counts it only while the resupply's physician is the one who signed."""
    from documents.generation.application_pack import regulatory_application_data
    from documents.generation.declarations import paper_signature
    from orders.resupply import case_create_resupply
    from portals import demo

    pathway = preparing.pathway
    pathway.document_validity_days = {
        **pathway.document_validity_days,
        K.PHYSICIAN_UNDERTAKING: 365,
    }
    pathway.save(update_fields=["document_validity_days"])
    delivered = demo.walk_to(
        preparing, S.DELIVERED, coordinator=coordinator, signing_password=PASSWORD
    )
    delivered.documents.filter(kind=K.PHYSICIAN_UNDERTAKING).update(review_status="accepted")
    resupply = case_create_resupply(case=delivered, actor=coordinator)
    undertaking = resupply.documents.current().get(kind=K.PHYSICIAN_UNDERTAKING)
    assert undertaking.reused_from_id

    def readings():
        page = paper_signature(resupply, undertaking)
        pack = regulatory_application_data(resupply)["signed"][K.PHYSICIAN_UNDERTAKING]
        return (
            page.printed_name if page else None,
            [signature["printed_name"] for signature in pack["signatures"][:1]] or [None],
            guards.undertaking_signed.problems(resupply),
        )

    assert readings() == ("Anil Rao", ["Anil Rao"], [])

    # Another physician prescribes the resupply: Dr Rao's undertaking is not theirs.
    resupply.physician = other_physician
    resupply.save(update_fields=["physician"])
    assert readings() == (
        None,
        [None],
        ["the physician's electronic signature on the undertaking"],
    )
