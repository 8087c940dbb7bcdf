"""Opening, editing and moving a case through the API, with the pages' services,
guards and words."""

from __future__ import annotations

import pytest

from orders.errors import GuardFailed
from orders.models import CaseEvent, ImportCase
from orders.services import case_transition
from orders.states import CaseStatus
from tests.api.conftest import pdf_upload, problem_of

pytestmark = pytest.mark.django_db
S = CaseStatus


def draft_body(patient, product, **overrides) -> dict:
    body = {
        "patient": patient.pk,
        "product": product.pk,
        "prescribed_dose": "23.7 mg (3 capsules) twice daily",
        "daily_units": 6,
        "quantity_packs": 3,
        "treatment_days": 90,
        "justification": "Lupus nephritis class IV; voclosporin is not approved in India.",
        "port_of_entry": "INBLR4",
    }
    body.update(overrides)
    return body


def test_a_physician_opens_a_draft_uploads_the_prescription_and_submits_it(
    api, physician, draft_case, lupkynis
):
    client = api(physician.user)

    created = client.post("/api/v1/cases", draft_body(draft_case.patient, lupkynis), format="json")
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    assert created["Location"] == f"/api/v1/cases/{reference}"
    case = ImportCase.objects.get(reference=reference)
    assert case.status == S.DRAFT and case.created_by == physician.user

    uploaded = client.post(
        f"/api/v1/cases/{reference}/documents",
        {"kind": "prescription", "file": pdf_upload()},
        format="multipart",
    )
    assert uploaded.status_code == 201, uploaded.content
    assert uploaded.json()["kind"] == "prescription"

    submitted = client.post(f"/api/v1/cases/{reference}/transitions/submit", {}, format="json")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == S.SUBMITTED
    case.refresh_from_db()
    assert case.status == S.SUBMITTED
    assert list(case.events.values_list("transition", flat=True).order_by("pk")) == [
        CaseEvent.CREATED,
        "submit",
    ]


def test_a_guard_refusal_names_what_is_missing_as_the_page_does(api, physician, draft_case):
    refused = api(physician.user).post(
        f"/api/v1/cases/{draft_case.reference}/transitions/submit", {}, format="json"
    )

    body = problem_of(refused)
    assert refused.status_code == 422
    with pytest.raises(GuardFailed) as page:
        case_transition(case=draft_case, actor=physician.user, transition="submit")
    assert body["detail"] == page.value.message_for(physician.user)
    assert "prescription" in body["detail"]
    assert body["missing"] == [str(p) for p in page.value.problems]
    draft_case.refresh_from_db()
    assert draft_case.status == S.DRAFT


def test_someone_elses_case_is_404_like_one_that_does_not_exist(api, physician, other_case):
    client = api(physician.user)

    foreign = client.get(f"/api/v1/cases/{other_case.reference}")
    missing = client.get("/api/v1/cases/NPP-1999-99999")

    assert foreign.status_code == missing.status_code == 404
    assert problem_of(foreign)["detail"] == problem_of(missing)["detail"]


def test_a_transition_on_a_case_that_moved_since_is_409_saying_what_happened(
    api, coordinator, case_in
):
    case = case_in(S.SUBMITTED)
    case_transition(case=case, actor=coordinator, transition="hold", note="Waiting for a call")

    refused = api(coordinator).post(
        f"/api/v1/cases/{case.reference}/transitions/request_information",
        {"note": "Which eGFR?", "seen_status": S.SUBMITTED},
        format="json",
    )

    body = problem_of(refused)
    assert refused.status_code == 409
    assert "put this case on hold" in body["detail"]
    assert body["status_now"] == S.ON_HOLD
    case.refresh_from_db()
    assert case.status == S.ON_HOLD


def test_a_transition_takes_its_inputs_from_the_same_form_as_the_page(api, coordinator, case_in):
    case = case_in(S.AWAITING_PERMIT)

    bad = api(coordinator).post(
        f"/api/v1/cases/{case.reference}/transitions/record_permit",
        {"permit_number": "12B/2026/1", "permitted_quantity_packs": 0},
        format="json",
    )

    assert bad.status_code == 400
    assert "permitted_quantity_packs" in problem_of(bad)["errors"]
    case.refresh_from_db()
    assert case.status == S.AWAITING_PERMIT and case.permit_number == ""


def test_the_physician_edits_the_draft_and_the_edit_is_recorded(api, physician, draft_case):
    changed = api(physician.user).patch(
        f"/api/v1/cases/{draft_case.reference}", {"quantity_packs": 2}, format="json"
    )

    assert changed.status_code == 200, changed.content
    assert changed.json()["quantity_packs"] == 2
    event = draft_case.events.get(transition="update_request")
    assert event.data["changed"]["quantity_packs"] == {"from": "3", "to": "2"}


def test_the_list_filters_by_state_and_pages_with_a_cursor(
    api, coordinator, physician, patient, lupkynis
):
    from tests.conftest import new_case

    for _ in range(3):
        new_case(physician=physician, patient=patient, product=lupkynis)
    client = api(coordinator)

    first = client.get("/api/v1/cases", {"page_size": 2, "status": S.DRAFT})
    assert first.status_code == 200
    page = first.json()
    assert len(page["results"]) == 2 and page["next"]
    second = client.get(page["next"]).json()
    assert len(second["results"]) == 1
    references = {c["reference"] for c in page["results"] + second["results"]}
    assert len(references) == 3
    assert client.get("/api/v1/cases", {"status": S.SUBMITTED}).json()["results"] == []


def test_a_physician_account_without_a_register_entry_opens_nothing(api, draft_case, lupkynis):
    from npp.accounts.models import Role, User

    user = User.objects.create_user("new.doctor@hospital.example", None, role=Role.PHYSICIAN)
    count = ImportCase.objects.count()

    refused = api(user).post(
        "/api/v1/cases", draft_body(draft_case.patient, lupkynis), format="json"
    )

    assert refused.status_code == 403
    assert ImportCase.objects.count() == count


def test_a_coordinator_opens_a_draft_for_a_named_physician(api, coordinator, draft_case, lupkynis):
    body = draft_body(draft_case.patient, lupkynis)

    missing = api(coordinator).post("/api/v1/cases", body, format="json")
    made = api(coordinator).post(
        "/api/v1/cases", {**body, "physician": draft_case.physician_id}, format="json"
    )

    assert missing.status_code == 400 and "physician" in problem_of(missing)["errors"]
    assert made.status_code == 201
    case = ImportCase.objects.get(reference=made.json()["reference"])
    assert case.physician_id == draft_case.physician_id and case.created_by == coordinator


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/v1/documents/-1/download"),
        ("post", "/api/v1/cases/NPP-2026-00001/transitions/fly"),
        ("delete", "/api/v1/nothing-here"),
    ],
)
def test_a_path_the_api_does_not_have_is_a_problem_404_not_a_page(api, physician, method, url):
    response = getattr(api(physician.user), method)(url)

    assert response.status_code == 404
    assert problem_of(response)["detail"] == "No such resource."


def test_a_refusal_names_its_action_in_lower_case_whichever_check_refused(
    api, coordinator, case_in
):
    """The problem's `action` is the transition's label as declared ("confirm
    delivery"), whether a guard refused or the transition itself (a coordinator
    confirming without an accepted proof of delivery)."""
    case = case_in(S.OUT_FOR_DELIVERY)

    refused = api(coordinator).post(
        f"/api/v1/cases/{case.reference}/transitions/confirm_delivery",
        {
            "delivered_to": "Priya Menon",
            "delivered_at": "2026-01-05T10:00:00+05:30",
            "delivered_lot": case.current_shipment.batch_number,
        },
        format="json",
    )

    assert refused.status_code == 422, problem_of(refused)
    assert problem_of(refused)["missing"] == ["an accepted proof of delivery"]
    assert problem_of(refused)["action"] == "confirm delivery"
