"""The physician portal through the Django test client: every page and action, the
permissions around them, and what each action stores."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.generation.papers import data_version
from documents.models import Document, DocumentKind, Signature
from documents.pdf_minimal import minimal_pdf
from npp.accounts.models import Role, User
from orders.models import AdverseEvent, CaseEvent, ImportCase, Patient
from orders.patients import supply_estimate
from orders.services import case_transition
from orders.states import CaseStatus
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
S = CaseStatus


def pdf(name: str = "prescription.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, minimal_pdf("Prescription"), content_type="application/pdf")


def request_post(lupkynis, **overrides) -> dict:
    data = {
        "product": lupkynis.pk,
        "prescribed_dose": "23.7 mg (3 capsules) twice daily",
        "daily_units": "6",
        "quantity_packs": "3",
        "treatment_days": "90",
        "justification": "Lupus nephritis class IV, refractory to standard care.",
    }
    data.update(overrides)
    return data


NEW_PATIENT = {
    "patient_choice": "new",
    "full_name": "Lakshmi Iyer",
    "date_of_birth": "1984-02-11",
    "sex": "F",
    "occupation": "Bank clerk",
    "id_document_type": "aadhaar",
    "id_document_number": "4321 8765 2109",
    "address": "4 Residency Road",
    "city": "Bengaluru",
    "state": "Karnataka",
    "postal_code": "560025",
    "phone": "+91 98450 11111",
}


@pytest.fixture
def rao(client, physician):
    client.force_login(physician.user)
    return client


# --- Lists -----------------------------------------------------------------------------------


def test_my_cases_lists_only_mine_and_what_waits_on_me_first(
    rao, physician, patient, case_in, other_case, lupkynis
):
    from tests.conftest import new_case

    submitted = case_in("submitted")
    draft = new_case(physician=physician, patient=patient, product=lupkynis)

    response = rao.get("/physician/")

    assert response.status_code == 200
    cases = list(response.context["page"].object_list)
    assert cases == [draft, submitted]
    html = response.content.decode()
    assert "Finish and submit the request" in html
    assert other_case.reference not in html


def test_my_cases_paginate(rao, physician, patient, lupkynis):
    from tests.conftest import new_case

    for _ in range(21):
        new_case(physician=physician, patient=patient, product=lupkynis)

    first = rao.get("/physician/")
    second = rao.get("/physician/?page=2")

    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 1
    assert "Page 1 of 2" in first.content.decode()


def test_what_waits_on_me_links_to_where_it_is_done(rao, physician, case_in):
    case = case_in("forms_preparation")  # the undertaking to sign

    html = rao.get("/physician/").content.decode()

    assert f'<a href="/physician/cases/{case.pk}/sign/"><strong>Sign the undertaking' in html


def test_my_cases_search_and_state_filter_keep_the_name_out_of_the_url(
    rao, physician, patient, other_patient, case_in, lupkynis
):
    from tests.conftest import new_case

    priya = case_in("submitted")
    omar = new_case(physician=physician, patient=other_patient, product=lupkynis)

    response = rao.post("/physician/", {"q": "omar", "state": ""})

    assert response.status_code == 302
    assert "omar" not in response["Location"].lower()
    shown = list(rao.get(response["Location"]).context["page"].object_list)
    assert shown == [omar]
    by_state = rao.get(rao.post("/physician/", {"q": "", "state": "submitted"})["Location"])
    assert list(by_state.context["page"].object_list) == [priya]
    # A term typed into the URL itself is ignored (the page never puts one there).
    assert len(rao.get("/physician/?q=omar").context["page"].object_list) == 2


def test_my_cases_search_finds_none_of_another_physicians(rao, other_case):
    response = rao.get(rao.post("/physician/", {"q": other_case.reference})["Location"])
    assert list(response.context["page"].object_list) == []
    assert "No case matches" in response.content.decode()


def test_my_patients_are_those_i_opened_requests_for(rao, draft_case, other_case):
    response = rao.get("/physician/patients/")

    assert response.status_code == 200
    assert [p.full_name for p in response.context["page"].object_list] == ["Priya Menon"]
    assert "Omar Khan" not in response.content.decode()


# --- New request -----------------------------------------------------------------------------


def test_a_request_for_an_existing_patient_is_saved_as_a_draft(
    rao, physician, draft_case, patient, lupkynis
):
    data = request_post(lupkynis, patient_choice="existing", patient=patient.pk, action="draft")

    response = rao.post("/physician/cases/new/", data)

    case = ImportCase.objects.exclude(pk=draft_case.pk).get()
    assert response.status_code == 302
    assert response["Location"] == f"/physician/cases/{case.pk}/"
    assert case.status == S.DRAFT
    assert case.patient == patient and case.physician == physician
    assert case.events.get().transition == CaseEvent.CREATED
    assert "saved as a draft" in rao.get(response["Location"]).content.decode()


def test_a_complete_request_with_its_prescription_is_submitted(rao, physician, lupkynis):
    data = request_post(lupkynis, **NEW_PATIENT, action="submit", prescription=pdf())

    response = rao.post("/physician/cases/new/", data)

    case = ImportCase.objects.get()
    assert response.status_code == 302
    assert case.status == S.SUBMITTED
    assert case.documents.get().kind == DocumentKind.PRESCRIPTION
    assert list(case.events.values_list("transition", flat=True)) == ["create", "submit"]


def test_a_new_patient_without_email_is_followed_through_the_physician(rao, lupkynis):
    rao.post("/physician/cases/new/", request_post(lupkynis, **NEW_PATIENT, action="draft"))

    patient = Patient.objects.get(full_name="Lakshmi Iyer")
    assert patient.user is None
    assert patient.id_document_number_masked == "XXXXXXXX2109"
    assert patient.occupation == "Bank clerk"  # Form 12A asks for it
    assert mail.outbox == []


def test_a_new_patient_with_email_is_invited_to_set_a_password(
    rao, lupkynis, django_capture_on_commit_callbacks, client
):
    data = request_post(lupkynis, **NEW_PATIENT, email="Lakshmi@Example.com", action="draft")

    with django_capture_on_commit_callbacks(execute=True):
        rao.post("/physician/cases/new/", data)

    patient = Patient.objects.get(full_name="Lakshmi Iyer")
    assert patient.user.email == "lakshmi@example.com"
    assert patient.user.role == Role.PATIENT
    assert not patient.user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lakshmi@example.com"]
    assert "Dr Anil Rao" in message.body
    link = next(
        line for line in message.body.splitlines() if "/accounts/password/reset/key/" in line
    )
    path = link[link.index("/accounts/") :]
    client.logout()
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    client.post(form_url, {"password1": "my-own-passphrase-1", "password2": "my-own-passphrase-1"})
    patient.user.refresh_from_db()
    assert patient.user.check_password("my-own-passphrase-1")


def test_an_incomplete_form_shows_errors_next_to_fields_and_keeps_what_was_typed(rao, lupkynis):
    data = request_post(lupkynis, patient_choice="new", full_name="Lakshmi Iyer", action="draft")

    response = rao.post("/physician/cases/new/", data)

    assert response.status_code == 400
    assert not ImportCase.objects.exists()
    html = response.content.decode()
    assert "This field is required for a new patient." in html
    assert 'value="Lakshmi Iyer"' in html
    assert "Lupus nephritis class IV" in html


def test_a_submit_reports_every_missing_field_at_once_and_saves_nothing(rao, lupkynis):
    data = request_post(
        lupkynis, **NEW_PATIENT, justification="", prescribed_dose="", action="submit"
    )
    data.pop("full_name")

    response = rao.post("/physician/cases/new/", data)

    assert response.status_code == 400
    assert not ImportCase.objects.exists() and not Patient.objects.exists()
    errors = response.context["form"].errors
    assert errors["full_name"] == ["This field is required for a new patient."]
    assert errors["justification"] == ["Needed to submit: the clinical justification."]
    assert errors["prescribed_dose"] == ["Needed to submit: the prescribed dose."]
    assert errors["prescription"] == ["Needed to submit: the prescription."]
    html = response.content.decode()
    summary = html[html.index('class="form-errors"') :]
    summary = summary[: summary.index("</div>")]
    for label in ("Full name", "Prescribed dose", "Clinical justification", "Prescription"):
        assert label in summary, label


def test_saving_an_incomplete_request_as_a_draft_keeps_it(rao, lupkynis):
    data = request_post(lupkynis, **NEW_PATIENT, justification="", action="draft")

    response = rao.post("/physician/cases/new/", data, follow=True)

    case = ImportCase.objects.get()
    assert case.status == S.DRAFT
    assert "saved as a draft" in response.content.decode()


def test_the_request_form_marks_what_is_needed_including_the_new_patients_fields(rao, india):
    html = rao.get("/physician/cases/new/").content.decode()

    for field in ("full_name", "occupation", "id_document_number", "prescribed_dose"):
        assert f'<label for="id_{field}">' in html
        line = html[html.index(f'<label for="id_{field}">') :]
        assert line[: line.index("</div>")].endswith(
            '<span class="required" aria-hidden="true">*</span>'
        ), field
    email = html[html.index('<label for="id_email">') :]
    assert 'class="required"' not in email[: email.index("</div>")]


# --- A patient the physician already has ---------------------------------------------------


@pytest.fixture
def known(rao, lupkynis):
    """Lakshmi Iyer, already a patient of the physician's (with a draft)."""
    rao.post("/physician/cases/new/", request_post(lupkynis, **NEW_PATIENT, action="draft"))
    return Patient.objects.get()


@pytest.mark.parametrize(
    "changes",
    [
        {"full_name": "lakshmi  IYER", "id_document_number": "1111 2222 3333"},
        {"full_name": "L. Iyer", "date_of_birth": "1990-01-01"},  # same last four (2109)
    ],
)
def test_adding_a_patient_like_one_of_mine_warns_first(rao, lupkynis, known, changes):
    data = request_post(lupkynis, **{**NEW_PATIENT, **changes}, action="draft")

    response = rao.post("/physician/cases/new/", data)

    assert response.status_code == 400
    assert Patient.objects.count() == 1 and ImportCase.objects.count() == 1
    html = response.content.decode()
    assert "You may already have this patient" in html
    assert f'name="use_patient" value="{known.pk}"' in html
    assert 'name="use_patient" value="new"' in html


def test_choosing_the_existing_patient_opens_the_request_for_them(rao, lupkynis, known):
    data = request_post(lupkynis, **NEW_PATIENT, use_patient=str(known.pk), action="draft")

    response = rao.post("/physician/cases/new/", data)

    assert response.status_code == 302
    assert Patient.objects.count() == 1
    assert ImportCase.objects.filter(patient=known).count() == 2


def test_confirming_someone_else_adds_the_new_patient(rao, lupkynis, known):
    data = request_post(lupkynis, **NEW_PATIENT, use_patient="new", action="draft")

    assert rao.post("/physician/cases/new/", data).status_code == 302
    assert Patient.objects.filter(full_name="Lakshmi Iyer").count() == 2


def test_another_physicians_patient_cannot_be_chosen_as_the_existing_one(rao, lupkynis, other_case):
    data = request_post(
        lupkynis, **NEW_PATIENT, use_patient=str(other_case.patient_id), action="draft"
    )

    response = rao.post("/physician/cases/new/", data)

    assert response.status_code == 400
    assert not ImportCase.objects.exclude(pk=other_case.pk).exists()


def test_another_physicians_patient_is_not_offered_as_a_match(rao, lupkynis, other_case):
    other = other_case.patient
    data = request_post(
        lupkynis,
        **{**NEW_PATIENT, "full_name": other.full_name, "date_of_birth": str(other.date_of_birth)},
        action="draft",
    )

    assert rao.post("/physician/cases/new/", data).status_code == 302


def test_days_of_supply_come_from_the_pack_size_and_units_a_day(lupkynis, india):
    estimate = supply_estimate(product=lupkynis, daily_units=6, quantity_packs=3, pathway=india)

    assert estimate.days == 3 * lupkynis.units_per_pack // 6
    assert not estimate.over_cap
    over = supply_estimate(product=lupkynis, daily_units=1, quantity_packs=50, pathway=india)
    assert over.over_cap
    assert f"{india.quantity_cap_days}-day cap" in over.message


def test_the_form_warns_above_the_pathways_cap(rao, lupkynis, india):
    data = request_post(lupkynis, patient_choice="new", daily_units="1", quantity_packs="50")

    response = rao.post("/physician/cases/new/", data)

    assert f"above the {india.quantity_cap_days}-day cap" in response.content.decode()


def test_the_existing_patient_list_offers_only_my_patients(
    rao, draft_case, other_case, lupkynis, other_patient
):
    data = request_post(
        lupkynis, patient_choice="existing", patient=other_patient.pk, action="draft"
    )

    response = rao.post("/physician/cases/new/", data)

    assert response.status_code == 400
    assert ImportCase.objects.count() == 2


# --- The case page ---------------------------------------------------------------------------


def test_my_case_page_shows_the_request_documents_and_history(rao, draft_case):
    response = rao.get(f"/physician/cases/{draft_case.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert draft_case.reference in html
    assert "Submit request" in html
    assert "90 days" in html


def test_another_physicians_case_is_not_found(rao, other_case):
    for url in (
        f"/physician/cases/{other_case.pk}/",
        f"/physician/cases/{other_case.pk}/edit/",
        f"/physician/cases/{other_case.pk}/sign/",
        f"/physician/cases/{other_case.pk}/side-effect/",
    ):
        assert rao.get(url).status_code == 404, url
    assert rao.post(f"/physician/cases/{other_case.pk}/submit/").status_code == 404
    assert rao.post(f"/physician/cases/{other_case.pk}/cancel/", {"reason": "x"}).status_code == 404


@pytest.mark.parametrize("persona", ["patient", "coordinator"])
def test_the_physician_portal_is_only_for_physicians(request, client, persona, draft_case):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))

    assert client.get("/physician/").status_code == 404
    assert client.get(f"/physician/cases/{draft_case.pk}/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, draft_case):
    response = client.get(f"/physician/cases/{draft_case.pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_editing_the_draft_updates_the_request(rao, draft_case, lupkynis):
    response = rao.post(
        f"/physician/cases/{draft_case.pk}/edit/",
        request_post(lupkynis, quantity_packs="2"),
    )

    assert response.status_code == 302
    draft_case.refresh_from_db()
    assert draft_case.quantity_packs == 2
    assert draft_case.events.last().transition == "update_request"


def test_submitting_from_the_case_page(rao, draft_case, physician):
    rao.post(
        f"/physician/cases/{draft_case.pk}/documents/", {"kind": "prescription", "file": pdf()}
    )

    response = rao.post(f"/physician/cases/{draft_case.pk}/submit/", follow=True)

    draft_case.refresh_from_db()
    assert draft_case.status == S.SUBMITTED
    assert "was submitted" in response.content.decode()


def test_a_refused_upload_says_why_next_to_the_file(rao, draft_case):
    bad = SimpleUploadedFile("x.pdf", b"MZ not a pdf at all", content_type="application/pdf")

    response = rao.post(
        f"/physician/cases/{draft_case.pk}/documents/", {"kind": "prescription", "file": bad}
    )

    assert response.status_code == 400
    assert not Document.objects.exists()
    assert "field-error" in response.content.decode()


def test_withdrawing_a_draft_needs_a_reason(rao, draft_case):
    response = rao.post(f"/physician/cases/{draft_case.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400
    draft_case.refresh_from_db()
    assert draft_case.status == S.DRAFT

    rao.post(f"/physician/cases/{draft_case.pk}/cancel/", {"reason": "Patient moved abroad"})

    draft_case.refresh_from_db()
    assert draft_case.status == S.CANCELLED


# --- Information request, undertaking, side effect -------------------------------------------


def test_answering_the_question_with_a_document_resubmits(rao, case_in, coordinator):
    case = case_in("submitted")
    case = case_transition(
        case=case, actor=coordinator, transition="request_information", note="Latest eGFR?"
    )
    page = rao.get(f"/physician/cases/{case.pk}/")
    assert "Latest eGFR?" in page.content.decode()

    response = rao.post(
        f"/physician/cases/{case.pk}/answer/",
        {"answer": "eGFR 72 on 3 March.", "kind": "medical_report", "file": pdf("egfr.pdf")},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.SUBMITTED
    assert case.events.last().note == "eGFR 72 on 3 March."
    assert case.documents.filter(kind=DocumentKind.MEDICAL_REPORT).exists()


def test_an_empty_answer_is_refused_next_to_the_field(rao, case_in, coordinator):
    case = case_transition(
        case=case_in("submitted"), actor=coordinator, transition="request_information", note="?"
    )

    response = rao.post(f"/physician/cases/{case.pk}/answer/", {"answer": ""})

    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == S.INFORMATION_REQUESTED


def _read_version(response) -> str:
    return re.search(r'name="read_version" value="([0-9a-f]{64})"', response.content.decode())[1]


def test_the_signing_page_shows_the_undertaking_the_system_wrote(rao, case_in):
    case = case_in("forms_preparation")

    response = rao.get(f"/physician/cases/{case.pk}/sign/")

    html = response.content.decode()
    assert response.status_code == 200
    # The text of the PDF, from the same template: the undertakings, with this case's facts.
    assert "Undertaking by the prescribing practitioner" in html
    assert "NMC-123456" in html
    assert "23.7 mg (3 capsules) twice daily, for 90 days" in html
    assert "Priya Menon" in html
    assert _read_version(response) == data_version(case, DocumentKind.PHYSICIAN_UNDERTAKING)


def test_signing_the_undertaking_records_name_time_and_address(rao, case_in, physician):
    case = case_in("forms_preparation")
    assert "Sign the undertaking" in rao.get(f"/physician/cases/{case.pk}/").content.decode()
    page = rao.get(f"/physician/cases/{case.pk}/sign/")

    response = rao.post(
        f"/physician/cases/{case.pk}/sign/",
        {
            "printed_name": "Anil Rao",
            "password": PASSWORD,
            "confirm": "on",
            "read_version": _read_version(page),
        },
        REMOTE_ADDR="10.1.2.3",
    )

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.signer == physician.user
    assert signature.printed_name == "Anil Rao"
    assert signature.ip_address == "10.1.2.3"
    # The generated undertaking: the signature seals the sha256 of its exact PDF.
    document = signature.document
    assert document.kind == DocumentKind.PHYSICIAN_UNDERTAKING
    assert document.generated
    with document.file.open("rb") as stored:
        assert signature.content_sha256 == hashlib.sha256(stored.read()).hexdigest()
    assert signature.verifies()
    page = rao.get(f"/physician/cases/{case.pk}/sign/").content.decode()
    assert "Signed: Anil Rao" in page
    assert f'href="/documents/{document.pk}/' in page


def test_a_wrong_password_signs_and_stores_nothing(rao, case_in):
    case = case_in("forms_preparation")
    page = rao.get(f"/physician/cases/{case.pk}/sign/")

    response = rao.post(
        f"/physician/cases/{case.pk}/sign/",
        {
            "printed_name": "Anil Rao",
            "password": "nope",
            "confirm": "on",
            "read_version": _read_version(page),
        },
    )

    assert response.status_code == 400
    assert "password is not correct" in response.content.decode()
    assert not Signature.objects.exists()
    assert not case.documents.filter(kind=DocumentKind.PHYSICIAN_UNDERTAKING).exists()


def test_signing_needs_the_meaning_confirmed(rao, case_in):
    case = case_in("forms_preparation")
    page = rao.get(f"/physician/cases/{case.pk}/sign/")

    response = rao.post(
        f"/physician/cases/{case.pk}/sign/",
        {"printed_name": "Anil Rao", "password": PASSWORD, "read_version": _read_version(page)},
    )

    assert response.status_code == 400
    assert "Confirm what your signature means" in response.content.decode()
    assert not Signature.objects.exists()


def test_an_undertaking_that_changed_since_it_was_read_is_not_signed(rao, case_in):
    case = case_in("forms_preparation")
    page = rao.get(f"/physician/cases/{case.pk}/sign/")
    case.physician.registration_number = "NMC-999999"
    case.physician.save()

    response = rao.post(
        f"/physician/cases/{case.pk}/sign/",
        {
            "printed_name": "Anil Rao",
            "password": PASSWORD,
            "confirm": "on",
            "read_version": _read_version(page),
        },
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "changed since you opened it" in html
    assert "NMC-999999" in html  # the page now shows the new text, to read again
    assert not Signature.objects.exists()


def test_a_hand_signed_scan_is_still_accepted(rao, case_in, physician):
    case = case_in("forms_preparation")

    response = rao.post(
        f"/physician/cases/{case.pk}/sign/",
        {
            "scan-undertaking": pdf("undertaking.pdf"),
            "scan-printed_name": "Anil Rao",
            "scan-password": PASSWORD,
            "scan-confirm": "on",
        },
    )

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert not signature.document.generated
    assert signature.document.original_filename == "undertaking.pdf"
    assert signature.verifies()


def test_reporting_an_adverse_event(rao, case_in, physician):
    case = case_in("delivered")

    response = rao.post(
        f"/physician/cases/{case.pk}/side-effect/",
        {
            "onset_date": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
            "description": "Tremor and raised BP.",
            "seriousness": "non_serious",
            "outcome": "recovering",
        },
    )

    assert response.status_code == 302
    report = AdverseEvent.objects.get()
    assert report.reported_by == physician.user
    assert case.events.filter(transition="report_adverse_event").exists()


def test_an_adverse_event_form_with_errors_keeps_what_was_typed(rao, case_in):
    case = case_in("delivered")

    response = rao.post(
        f"/physician/cases/{case.pk}/side-effect/", {"description": "Tremor", "seriousness": ""}
    )

    assert response.status_code == 400
    assert not AdverseEvent.objects.exists()
    assert "Tremor" in response.content.decode()


def test_user_count_is_unchanged_by_a_refused_new_patient(rao, lupkynis, patient):
    before = User.objects.count()
    data = request_post(lupkynis, **NEW_PATIENT, email=patient.user.email, action="draft")

    response = rao.post("/physician/cases/new/", data)

    assert User.objects.count() == before
    assert "already exists" in response.content.decode()


def test_a_mail_server_failure_keeps_the_patient_and_request(
    rao, lupkynis, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.mail import EmailMultiAlternatives

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    data = request_post(lupkynis, **NEW_PATIENT, email="lakshmi@example.com", action="draft")

    with django_capture_on_commit_callbacks(execute=True):
        response = rao.post("/physician/cases/new/", data)

    assert response.status_code == 302
    assert ImportCase.objects.get().patient.email == "lakshmi@example.com"


def test_the_next_supply_is_requested_from_a_delivered_case(rao, case_in):
    case = case_in("delivered")
    assert "Request the next supply" in rao.get(f"/physician/cases/{case.pk}/").content.decode()

    response = rao.post(f"/physician/cases/{case.pk}/resupply/")

    resupply = ImportCase.objects.get(resupply_of=case)
    assert response["Location"] == f"/physician/cases/{resupply.pk}/"
    assert resupply.status == S.DRAFT
    assert resupply.quantity_packs == case.quantity_packs
    page = rao.get(response["Location"]).content.decode()
    assert "was opened as a draft" in page
    # Only once: the first resupply is still open.
    rao.post(f"/physician/cases/{case.pk}/resupply/")
    assert ImportCase.objects.filter(resupply_of=case).count() == 1


def test_a_resupply_of_a_case_still_in_progress_is_refused_with_a_message(rao, case_in):
    case = case_in("in_transit")

    response = rao.post(f"/physician/cases/{case.pk}/resupply/", follow=True)

    assert not ImportCase.objects.filter(resupply_of=case).exists()
    assert "a resupply follows a delivery" in response.content.decode()


def test_a_new_request_can_start_from_the_patient_list(rao, draft_case, patient, other_patient):
    page = rao.get("/physician/patients/").content.decode()
    assert f"/physician/cases/new/?patient={patient.pk}" in page

    form = rao.get(f"/physician/cases/new/?patient={patient.pk}").context["form"]

    assert form["patient"].value() == str(patient.pk)
    assert form["patient_choice"].value() == "existing"
    # Another physician's patient is not among the choices, whatever the address says.
    other = rao.get(f"/physician/cases/new/?patient={other_patient.pk}").content.decode()
    assert "Omar Khan" not in other


def test_the_history_names_each_event_by_what_happened(rao, case_in):
    case = case_in("forms_preparation")

    html = rao.get(f"/physician/cases/{case.pk}/").content.decode()

    history = html[html.index('id="timeline-title"') :]
    history = history[: history.index("</section>")]
    for title in ("Request started", "Request submitted for verification", "Prescription verified"):
        assert f"<strong>{title}</strong>" in history, title
    for code in ("forms_preparation", "Verify", "Submit"):
        assert f"<strong>{code}" not in history
