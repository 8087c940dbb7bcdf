"""Who reaches what through the API: every endpoint, each role, their own and someone
else's objects. Someone else's is 404, exactly as for something that does not exist;
the wrong role on one's own case is 403, as the service refuses it on the pages."""

from __future__ import annotations

import pytest

from api.models import CarrierAccount
from documents.pdf_minimal import minimal_pdf
from documents.services import document_upload
from notifications.models import Channel, Notification
from npp.accounts.models import Role, User
from orders.models import Shipment
from orders.services import case_transition
from orders.states import CaseStatus
from tests.api.conftest import client_for
from webhooks.models import Subscription

pytestmark = pytest.mark.django_db
S = CaseStatus

PERSONAS = ("coordinator", "physician", "other_physician", "patient", "other_patient", "carrier")


@pytest.fixture
def world(coordinator, physician, other_physician, patient, other_patient, case_in, other_case):
    """Dr Rao's case (Priya's), submitted, with a prescription; Dr Shah's draft for Omar,
    carried by nobody; a courier carrying Dr Rao's."""
    case = case_in(S.SUBMITTED)
    carrier_user = User.objects.create_user(
        "courier@dhl.example", None, full_name="DHL", role=Role.SYSTEM
    )
    CarrierAccount.objects.create(user=carrier_user, name="DHL", courier="DHL Express")
    Shipment.objects.create(case=case, courier="DHL Express", tracking_number="1Z")
    consent = document_upload(
        case=case,
        kind="patient_consent",
        content=minimal_pdf("Consent"),
        filename="consent.pdf",
        actor=patient.user,
    )
    foreign_document = document_upload(
        case=other_case,
        kind="prescription",
        content=minimal_pdf("Prescription"),
        filename="p.pdf",
        actor=other_physician.user,
    )
    return {
        "users": {
            "coordinator": coordinator,
            "physician": physician.user,
            "other_physician": other_physician.user,
            "patient": patient.user,
            "other_patient": other_patient.user,
            "carrier": carrier_user,
        },
        "own": case,
        "foreign": other_case,
        "prescription": case.documents.get(kind="prescription"),
        "consent": consent,
        "foreign_document": foreign_document,
    }


READS = ("", "/timeline", "/documents", "/adverse-events")

# (persona, which case) -> expected status of each read, in READS order.
EXPECTED_READS = {
    ("coordinator", "own"): (200, 200, 200, 200),
    ("coordinator", "foreign"): (200, 200, 200, 200),
    ("physician", "own"): (200, 200, 200, 200),
    ("physician", "foreign"): (404, 404, 404, 404),
    ("other_physician", "own"): (404, 404, 404, 404),
    # The patient portal shows progress, never the history with its notes.
    ("patient", "own"): (200, 403, 200, 200),
    ("patient", "foreign"): (404, 404, 404, 404),
    ("other_patient", "own"): (404, 404, 404, 404),
    # A courier reads the case it carries and nothing else of it.
    ("carrier", "own"): (200, 403, 403, 403),
    ("carrier", "foreign"): (404, 404, 404, 404),
}


@pytest.mark.parametrize(("persona", "which"), list(EXPECTED_READS))
def test_each_role_reads_only_what_the_pages_show_it(world, persona, which):
    client = client_for(world["users"][persona])
    reference = world[which].reference

    codes = tuple(client.get(f"/api/v1/cases/{reference}{tail}").status_code for tail in READS)
    listed = {c["reference"] for c in client.get("/api/v1/cases").json()["results"]}

    assert codes == EXPECTED_READS[(persona, which)]
    assert (reference in listed) == (codes[0] == 200)


def test_a_patient_does_not_see_their_draft(patient, draft_case):
    client = client_for(patient.user)

    assert client.get(f"/api/v1/cases/{draft_case.reference}").status_code == 404
    assert client.get("/api/v1/cases").json()["results"] == []


def test_a_patient_reads_no_clinical_field_and_only_their_own_kinds_of_papers(world):
    client = client_for(world["users"]["patient"])
    reference = world["own"].reference

    case = client.get(f"/api/v1/cases/{reference}").json()
    kinds = {d["kind"] for d in client.get(f"/api/v1/cases/{reference}/documents").json()}

    assert case["justification"] is None and case["physician"] is None
    assert case["patient_status_label"]
    assert kinds == {"patient_consent"}


# (persona, which case) -> status of: edit, upload a consent, hold, report a side effect.
WRITES = {
    ("coordinator", "foreign"): (200, 201, 409, 201),  # a draft cannot be held
    ("physician", "own"): (400, 403, 403, 201),
    ("physician", "foreign"): (404, 404, 404, 404),
    ("patient", "own"): (403, 201, 403, 201),
    ("patient", "foreign"): (404, 404, 404, 404),
    ("carrier", "own"): (403, 403, 403, 403),
}


@pytest.mark.parametrize(("persona", "which"), list(WRITES))
def test_each_role_writes_only_what_the_pages_let_it(world, persona, which, lupkynis):
    from tests.api.conftest import pdf_upload

    client = client_for(world["users"][persona])
    case = world[which]
    base = f"/api/v1/cases/{case.reference}"

    codes = (
        client.patch(base, {"quantity_packs": 2}, format="json").status_code,
        client.post(
            f"{base}/documents",
            {"kind": "patient_consent", "file": pdf_upload("consent.pdf")},
            format="multipart",
        ).status_code,
        client.post(f"{base}/transitions/hold", {"note": "Checking"}, format="json").status_code,
        client.post(
            f"{base}/adverse-events",
            {"onset_date": "2026-01-02", "description": "Headache", "seriousness": "non_serious"},
            format="json",
        ).status_code,
    )

    assert codes == WRITES[(persona, which)]


def test_a_physicians_edit_of_a_submitted_case_is_refused_as_on_the_page(world):
    client = client_for(world["users"]["physician"])

    refused = client.patch(
        f"/api/v1/cases/{world['own'].reference}", {"quantity_packs": 2}, format="json"
    )

    assert refused.status_code == 400
    assert "can no longer be edited" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("persona", "document", "expected"),
    [
        ("coordinator", "foreign_document", 200),
        ("physician", "prescription", 200),
        ("physician", "foreign_document", 404),
        ("patient", "consent", 200),
        ("patient", "prescription", 404),  # not a patient's kind of paper
        ("other_patient", "consent", 404),
        ("carrier", "prescription", 404),
    ],
)
def test_downloads_go_through_the_document_rule_and_are_recorded(
    world, persona, document, expected
):
    client = client_for(world["users"][persona])
    target = world[document]

    response = client.get(f"/api/v1/documents/{target.pk}/download")

    assert response.status_code == expected
    recorded = target.downloads.filter(user=world["users"][persona]).exists()
    assert recorded == (expected == 200)
    if expected == 200:
        assert response["Content-Security-Policy"] == "sandbox"
        assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_inbox_messages_and_webhooks_are_their_owners_alone(world):
    physician, other = world["users"]["physician"], world["users"]["other_physician"]
    message = Notification.objects.create(
        key="t:1",
        recipient=other,
        channel=Channel.INBOX,
        category="case_updates",
        template="t",
        subject="Hello",
        body="Body",
    )
    subscription = Subscription.objects.create(
        owner=other, url="https://example.org/hook", secret="s", event_types=["*"]
    )
    client = client_for(physician)

    assert client.get("/api/v1/inbox").json()["results"] == []
    assert client.post(f"/api/v1/inbox/{message.pk}/read").status_code == 404
    assert client.get(f"/api/v1/webhooks/{subscription.pk}").status_code == 404
    assert client.delete(f"/api/v1/webhooks/{subscription.pk}").status_code == 404
    assert client.get(f"/api/v1/webhooks/{subscription.pk}/deliveries").status_code == 404
    assert Subscription.objects.filter(pk=subscription.pk).exists()
    mine = client_for(other)
    assert [m["id"] for m in mine.get("/api/v1/inbox").json()["results"]] == [message.pk]
    assert mine.post(f"/api/v1/inbox/{message.pk}/read").json()["read_at"] is not None


def test_anonymous_callers_get_401_everywhere(world):
    client = client_for(None)
    reference = world["own"].reference

    for url in ("/api/v1/cases", f"/api/v1/cases/{reference}", "/api/v1/inbox", "/api/v1/webhooks"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response["Content-Type"] == "application/problem+json"


def test_case_transition_is_refused_to_a_service_account_on_its_own_case(world):
    client = client_for(world["users"]["carrier"])

    refused = client.post(
        f"/api/v1/cases/{world['own'].reference}/transitions/quarantine",
        {"note": "x"},
        format="json",
    )

    assert refused.status_code == 403
    world["own"].refresh_from_db()
    assert world["own"].status == S.SUBMITTED
    assert case_transition  # the service is what the pages call too


def test_the_browser_session_needs_the_csrf_token_to_write(physician, draft_case):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(physician.user)

    read = browser.get(f"/api/v1/cases/{draft_case.reference}")
    refused = browser.patch(
        f"/api/v1/cases/{draft_case.reference}", {"quantity_packs": 2}, format="json"
    )

    assert read.status_code == 200
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    draft_case.refresh_from_db()
    assert draft_case.quantity_packs == 3
