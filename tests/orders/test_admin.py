"""The admin is one more entry point: it shows only what the user may see and moves
cases only through the service layer, with the guards' own words on refusal."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from documents.models import DocumentKind
from documents.services import document_review
from orders.admin.cases import ImportCaseAdmin
from orders.models import CaseEvent, ImportCase, Importer, Verification
from orders.services import case_transition
from orders.states import CaseStatus
from portals import demo
from tests.conftest import new_case

S = CaseStatus


# --- Fixtures and helpers ---------------------------------------------------------


@pytest.fixture
def office(coordinator):
    """The coordinator, with the admin access the demo coordinator has."""
    coordinator.is_staff = True
    coordinator.is_superuser = True
    coordinator.save(update_fields=["is_staff", "is_superuser"])
    return coordinator


@pytest.fixture
def office_client(client, office):
    client.force_login(office)
    return client


def change_url(case: ImportCase) -> str:
    return reverse("admin:orders_importcase_change", args=[case.pk])


def transition_url(case: ImportCase, transition: str) -> str:
    return reverse(
        "admin:orders_importcase_transition",
        kwargs={"object_id": case.pk, "transition_name": transition},
    )


class _FormReader(HTMLParser):
    """What a browser would post from the form with `form_id`, like a person pressing
    one of its buttons without touching anything else."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data[name] = attrs.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select is not None:
            if self._select_value is None or "selected" in attrs:
                self._select_value = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_data(self, data):
        if self._textarea is not None:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            self.data[self._select] = self._select_value or ""
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None:
                self.data[self._textarea] = self.data[self._textarea].lstrip("\n")
            self._textarea = None


def change_form_data(client, case: ImportCase) -> dict[str, str]:
    response = client.get(change_url(case))
    assert response.status_code == 200
    reader = _FormReader("importcase_form")
    reader.feed(response.content.decode())
    assert "csrfmiddlewaretoken" in reader.data
    return reader.data


def press(client, case: ImportCase, transition: str, **edits: str):
    """Press a transition button on the case page (the whole change form is posted)."""
    data = {**change_form_data(client, case), **edits, "_fsm_transition_to": transition}
    return client.post(change_url(case), data)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def events_of(case: ImportCase) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case).order_by("created_at", "pk"))


# --- Pages render -----------------------------------------------------------------


def test_the_case_list_and_case_page_render_for_the_coordinator(office_client, case_in):
    case = case_in(S.IN_TRANSIT)

    listing = office_client.get(reverse("admin:orders_importcase_changelist"))
    page = office_client.get(change_url(case))

    assert listing.status_code == 200
    assert case.reference in listing.content.decode()
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_fsm_transition_to"' in html and 'value="arrive"' in html
    assert 'value="quarantine"' in html
    assert "Timeline" in html and "file_application" in html  # the event inline
    assert "Import permit" in html  # the documents inline


@pytest.mark.parametrize(
    "name",
    [
        "pathway",
        "product",
        "supplier",
        "physician",
        "patient",
        "importcase",
        "shipment",
        "verification",
        "caseevent",
        "casesequence",
        "importer",
    ],
)
def test_every_orders_list_renders(office_client, case_in, name):
    case_in(S.IN_TRANSIT)

    response = office_client.get(reverse(f"admin:orders_{name}_changelist"))

    assert response.status_code == 200


def test_the_importers_identity_is_edited_in_the_admin_and_never_deleted(office_client, catalogue):
    importer = Importer.current()
    url = reverse("admin:orders_importer_change", args=[importer.pk])
    html = office_client.get(url).content.decode()
    for text in ("Drug licence number", "IEC", "GSTIN", importer.gstin, importer.iec):
        assert text in html, text

    data = {
        "name": importer.name,
        "is_active": "on",
        "address": importer.address,
        "city": importer.city,
        "state": importer.state,
        "postal_code": importer.postal_code,
        "country": importer.country,
        "phone": importer.phone,
        "email": importer.email,
        "drug_licence_number": "KA-B20-999999",
        "iec": importer.iec,
        "gstin": importer.gstin,
    }
    assert office_client.post(url, data).status_code == 302
    assert Importer.current().drug_licence_number == "KA-B20-999999"
    delete = reverse("admin:orders_importer_delete", args=[importer.pk])
    assert office_client.get(delete).status_code == 403


@pytest.mark.parametrize("name", ["document", "documentdownload", "renderjob", "signature"])
def test_every_documents_list_renders(office_client, case_in, name):
    case_in(S.AWAITING_PERMIT)

    response = office_client.get(reverse(f"admin:documents_{name}_changelist"))

    assert response.status_code == 200


# --- Transitions go through the service -----------------------------------------------


def test_a_transition_button_moves_the_case_and_records_one_event_by_the_admin_user(
    office_client, office, case_in
):
    case = case_in(S.IN_TRANSIT)
    before = len(events_of(case))

    response = press(office_client, case, "arrive")

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.CUSTOMS_CLEARANCE
    events = events_of(case)
    assert len(events) == before + 1
    assert (events[-1].transition, events[-1].actor) == ("arrive", office)
    assert (events[-1].from_state, events[-1].to_state) == (S.IN_TRANSIT, S.CUSTOMS_CLEARANCE)


def test_the_admin_never_calls_the_transition_method_itself(office_client, case_in, monkeypatch):
    case = case_in(S.IN_TRANSIT)
    monkeypatch.setattr(
        ImportCase, "arrive", lambda *a, **k: pytest.fail("FSM method called by the admin")
    )

    with pytest.raises(RuntimeError):
        ImportCaseAdmin._execute_fsm_transition(None, transition_func=None, request=None)
    monkeypatch.undo()
    press(office_client, case, "arrive")

    case.refresh_from_db()
    assert case.status == S.CUSTOMS_CLEARANCE


def test_a_refused_guard_shows_its_message_and_changes_nothing(office_client, draft_case):
    # The draft has no prescription uploaded yet.
    before = events_of(draft_case)

    response = press(office_client, draft_case, "submit")
    page = office_client.get(response["Location"])

    assert any(
        "Cannot submit for verification yet. Missing: a prescription document" in message
        for message in messages_of(page)
    )
    draft_case.refresh_from_db()
    assert draft_case.status == S.DRAFT
    assert events_of(draft_case) == before


def test_a_transition_that_takes_inputs_opens_its_form(office_client, case_in):
    case = case_in(S.AWAITING_PERMIT)

    response = press(office_client, case, "record_permit")

    assert response.status_code == 302
    assert response["Location"] == transition_url(case, "record_permit")
    form = office_client.get(response["Location"])
    assert form.status_code == 200
    html = form.content.decode()
    for field in ["permit_number", "permit_issued_on", "permit_valid_until", "note"]:
        assert f'name="{field}"' in html
    case.refresh_from_db()
    assert case.status == S.AWAITING_PERMIT  # opening the form changes nothing


def test_the_record_permit_form_posted_with_valid_data_moves_the_case(
    office_client, office, case_in
):
    case = case_in(S.AWAITING_PERMIT)
    demo.upload(case, DocumentKind.IMPORT_PERMIT, office)
    today = timezone.localdate()

    response = office_client.post(
        transition_url(case, "record_permit"),
        {
            "permit_number": "12B/BLR/2026/0417",
            "permit_issued_on": today.isoformat(),
            "permit_valid_until": (today + dt.timedelta(days=180)).isoformat(),
            "permitted_quantity_packs": "3",
            "note": "Form 12B received from CDSCO.",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(case)
    case.refresh_from_db()
    assert case.status == S.SUPPLIER_ORDERING
    assert case.permit_number == "12B/BLR/2026/0417"
    assert case.permit_valid_until == today + dt.timedelta(days=180)
    event = events_of(case)[-1]
    assert (event.transition, event.actor, event.note) == (
        "record_permit",
        office,
        "Form 12B received from CDSCO.",
    )
    assert event.data["permit_number"] == "12B/BLR/2026/0417"


def test_the_record_permit_form_refused_by_its_guard_shows_what_is_missing(
    office_client, office, case_in
):
    # No permit document uploaded: the pathway requires an accepted one.
    case = case_in(S.AWAITING_PERMIT)
    before = events_of(case)
    today = timezone.localdate()

    response = office_client.post(
        transition_url(case, "record_permit"),
        {
            "permit_number": "12B/BLR/2026/0418",
            "permit_issued_on": today.isoformat(),
            "permit_valid_until": (today + dt.timedelta(days=180)).isoformat(),
            "permitted_quantity_packs": "3",
        },
    )

    assert response.status_code == 200  # the form again, with the guard's words
    assert any("Missing: an accepted import permit" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.status == S.AWAITING_PERMIT
    assert case.permit_number == ""
    assert events_of(case) == before


def test_a_transition_that_needs_a_reason_is_refused_without_one(office_client, case_in):
    case = case_in(S.SUBMITTED)
    before = events_of(case)

    response = office_client.post(transition_url(case, "reject"), {"note": "  "})

    assert response.status_code == 200
    assert response.context["transition_form"].errors["note"]
    case.refresh_from_db()
    assert case.status == S.SUBMITTED
    assert events_of(case) == before


def test_a_reason_given_in_the_admin_is_kept_in_the_history(office_client, office, case_in):
    case = case_in(S.SUBMITTED)

    office_client.post(
        transition_url(case, "request_information"),
        {"note": "Please upload the latest eGFR report."},
    )

    case.refresh_from_db()
    assert case.status == S.INFORMATION_REQUESTED
    event = events_of(case)[-1]
    assert (event.transition, event.actor) == ("request_information", office)
    assert event.note == "Please upload the latest eGFR report."


def test_the_verify_form_records_the_checklist_and_the_co_medications(
    office_client, office, case_in
):
    case = case_in(S.SUBMITTED)
    prescription = case.documents.current().get(kind=DocumentKind.PRESCRIPTION)
    document_review(document=prescription, actor=office, accept=True)
    data = {
        key: value
        for key, value in demo.verification_data(case).items()
        if value not in (False, "")
    }
    data = {key: ("on" if value is True else value) for key, value in data.items()}
    data["co_medications"] = "mycophenolate mofetil, prednisolone"

    response = office_client.post(transition_url(case, "verify"), data)

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.FORMS_PREPARATION
    verification = Verification.objects.get(case=case)
    assert verification.co_medications == ["mycophenolate mofetil", "prednisolone"]
    assert verification.measurements["egfr"] == "72"


def test_co_medications_given_as_a_list_stay_a_list(office, case_in):
    # What the admin hands on (cleaned data) and what a JSON client sends: a list.
    case = case_in(S.SUBMITTED)
    prescription = case.documents.current().get(kind=DocumentKind.PRESCRIPTION)
    document_review(document=prescription, actor=office, accept=True)
    data = demo.verification_data(case, co_medications=["mycophenolate mofetil", "prednisolone"])

    case_transition(case=case, actor=office, transition="verify", data=data)

    verification = Verification.objects.get(case=case)
    assert verification.co_medications == ["mycophenolate mofetil", "prednisolone"]


def test_an_action_not_available_in_this_state_is_refused(office_client, case_in):
    case = case_in(S.IN_TRANSIT)

    response = office_client.post(transition_url(case, "record_permit"), {}, follow=True)

    assert any("not possible" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.status == S.IN_TRANSIT


# --- Editing through the admin ----------------------------------------------------------


def test_editing_a_draft_request_goes_through_the_service_and_is_recorded(
    office_client, office, draft_case
):
    data = {**change_form_data(office_client, draft_case), "quantity_packs": "2"}

    response = office_client.post(change_url(draft_case), data)

    assert response.status_code == 302
    draft_case.refresh_from_db()
    assert draft_case.quantity_packs == 2
    event = events_of(draft_case)[-1]
    assert (event.transition, event.actor) == ("update_request", office)
    assert event.data["changed"]["quantity_packs"] == {"from": "3", "to": "2"}


def test_the_fields_transitions_set_are_read_only(office_client, case_in):
    case = case_in(S.SUPPLIER_ORDERING)

    data = change_form_data(office_client, case)

    for field in ["status", "reference", "permit_number", "bill_of_entry_number", "delivered_to"]:
        assert field not in data
    assert "quantity_packs" not in data  # the request is no longer with the physician


def test_a_coordinator_opens_a_case_through_the_service(
    office_client, office, physician, patient, lupkynis, india
):
    response = office_client.post(
        reverse("admin:orders_importcase_add"),
        {
            "pathway": india.pk,
            "patient": patient.pk,
            "physician": physician.pk,
            "priority": "normal",
            "product": lupkynis.pk,
            "prescribed_dose": "23.7 mg twice daily",
            "daily_units": "6",
            "quantity_packs": "3",
            "treatment_days": "90",
            "justification": "Lupus nephritis class IV.",
            "port_of_entry": "INBLR4",
        },
    )

    assert response.status_code == 302
    case = ImportCase.objects.get(patient=patient)
    assert case.reference.startswith("NPP-")
    assert case.created_by == office
    assert [(e.transition, e.actor) for e in events_of(case)] == [("create", office)]


# --- The audit trail stays read-only -----------------------------------------------------


def test_the_case_event_admin_refuses_change_and_delete(office_client, draft_case):
    event = events_of(draft_case)[0]
    change = reverse("admin:orders_caseevent_change", args=[event.pk])
    delete = reverse("admin:orders_caseevent_delete", args=[event.pk])

    assert office_client.get(change).status_code == 200  # to read
    assert office_client.post(change, {"note": "rewritten"}).status_code == 403
    assert office_client.get(delete).status_code == 403
    assert office_client.post(delete, {"post": "yes"}).status_code == 403
    assert office_client.get(reverse("admin:orders_caseevent_add")).status_code == 403
    listing = office_client.get(reverse("admin:orders_caseevent_changelist"))
    assert "delete_selected" not in listing.content.decode()
    stored = CaseEvent.objects.get(pk=event.pk)
    assert stored.note == event.note


# --- Visibility -----------------------------------------------------------------------


@pytest.fixture
def staff_physician(client, physician):
    """Dr Rao with admin access and every view permission: still only their cases."""
    user = physician.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    client.force_login(user)
    return client


def test_a_physician_in_the_admin_sees_only_their_own_cases(
    staff_physician, draft_case, other_case
):
    listing = staff_physician.get(reverse("admin:orders_importcase_changelist")).content.decode()
    events = staff_physician.get(reverse("admin:orders_caseevent_changelist")).content.decode()
    patients = staff_physician.get(reverse("admin:orders_patient_changelist")).content.decode()

    assert draft_case.reference in listing
    assert other_case.reference not in listing
    assert draft_case.reference in events
    assert other_case.reference not in events
    assert "Priya Menon" in patients
    assert "Omar Khan" not in patients
    response = staff_physician.get(change_url(other_case))
    assert response.status_code == 302  # "does not exist", as for a missing case
    other_event = events_of(other_case)[0]
    detail = staff_physician.get(reverse("admin:orders_caseevent_change", args=[other_event.pk]))
    assert detail.status_code == 302


def test_an_outsider_gets_no_transition_form(staff_physician, other_case):
    response = staff_physician.get(transition_url(other_case, "cancel"))

    assert response.status_code == 302
    other_case.refresh_from_db()
    assert other_case.status == S.DRAFT


# --- No N+1 on the list -------------------------------------------------------------------


def count_list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:orders_importcase_changelist"))
    assert response.status_code == 200
    return len(queries)


def test_the_case_list_costs_the_same_queries_for_few_or_many_cases(
    office_client, physician, other_physician, patient, other_patient, lupkynis
):
    for _ in range(2):
        new_case(physician=physician, patient=patient, product=lupkynis)
    few = count_list_queries(office_client)

    for _ in range(10):
        new_case(physician=other_physician, patient=other_patient, product=lupkynis)
    many = count_list_queries(office_client)

    assert ImportCase.objects.count() == 12
    assert many == few


# --- Outside a test transaction, like a real request ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_button_works_outside_a_test_transaction(office_client, office, case_in):
    # The services open durable transactions; the admin must not wrap them in its own.
    case = case_in(S.IN_TRANSIT)

    press(office_client, case, "arrive")
    office_client.post(transition_url(case, "quarantine"), {"note": "Logger shows 34 C."})

    case.refresh_from_db()
    assert case.status == S.QUARANTINED
    assert [e.transition for e in events_of(case)][-2:] == ["arrive", "quarantine"]


# --- Parties and documents ------------------------------------------------------------------


def test_an_identity_number_typed_in_the_admin_is_stored_masked(office_client, patient):
    url = reverse("admin:orders_patient_change", args=[patient.pk])
    data = {**_form_data(office_client, url, "patient_form"), "identity_number": "9876 5432 1098"}

    response = office_client.post(url, data)

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.id_document_number_masked == "XXXXXXXX1098"
    assert "9876" not in office_client.get(url).content.decode()


def test_accepting_documents_in_the_admin_goes_through_the_review_service(
    office_client, office, draft_case
):
    prescription = demo.upload(draft_case, DocumentKind.PRESCRIPTION, draft_case.physician.user)
    assert prescription.review_status == "pending"

    response = office_client.post(
        reverse("admin:documents_document_changelist"),
        {"action": "accept", "_selected_action": [prescription.pk]},
    )

    assert response.status_code == 302
    prescription.refresh_from_db()
    assert (prescription.review_status, prescription.reviewed_by) == ("accepted", office)


def _form_data(client, url: str, form_id: str) -> dict[str, str]:
    reader = _FormReader(form_id)
    reader.feed(client.get(url).content.decode())
    return reader.data


# --- Generated documents ------------------------------------------------------------


def test_the_case_page_shows_each_generated_document_and_its_state(office_client, case_in):
    from documents.models import RenderJob, RenderStatus

    case = case_in(S.FORMS_PREPARATION)
    RenderJob.objects.create(
        case=case,
        kind=DocumentKind.REGULATORY_APPLICATION,
        data_version="v1",
        status=RenderStatus.FAILED,
        last_error="RenderTimeout: took too long",
        requested_by=case.created_by,
    )

    html = office_client.get(change_url(case)).content.decode()

    assert "Generated documents" in html
    assert "Failed" in html
    assert "RenderTimeout: took too long" in html


def test_a_coordinator_reruns_a_failed_rendering_from_the_admin(
    office_client, case_in, django_capture_on_commit_callbacks
):
    from documents.models import RenderJob, RenderStatus

    case = case_in(S.FORMS_PREPARATION)
    failed = RenderJob.objects.create(
        case=case,
        kind=DocumentKind.REGULATORY_APPLICATION,
        data_version="v1",
        status=RenderStatus.FAILED,
        last_error="boom",
        requested_by=case.created_by,
    )
    ready = RenderJob.objects.create(
        case=case,
        kind=DocumentKind.PURCHASE_ORDER,
        data_version="v1",
        status=RenderStatus.READY,
        requested_by=case.created_by,
    )

    with django_capture_on_commit_callbacks() as queued:
        response = office_client.post(
            reverse("admin:documents_renderjob_changelist"),
            {"action": "rerun", "_selected_action": [failed.pk, ready.pk]},
            follow=True,
        )

    failed.refresh_from_db()
    ready.refresh_from_db()
    assert failed.status == RenderStatus.PENDING
    assert ready.status == RenderStatus.READY
    assert len(queued) == 1
    texts = messages_of(response)
    assert any("1 rendering(s) queued again" in text for text in texts)
    assert any("Only a failed rendering can be retried" in text for text in texts)
