"""Idempotency-Key on POST: a retry returns the first response and changes nothing;
the same key with another body is 422; two requests at once make one effect."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from api.models import IdempotencyKey
from documents.models import Document
from orders.models import CaseEvent, ImportCase
from orders.states import CaseStatus
from tests.api.conftest import client_for, pdf_upload, problem_of
from tests.conftest import need

S = CaseStatus


def draft_body(case, product, **overrides) -> dict:
    return {"patient": case.patient_id, "product": product.pk, "quantity_packs": 3, **overrides}


@pytest.mark.django_db
def test_a_retried_create_returns_the_first_response_and_creates_nothing_more(
    physician, draft_case, lupkynis
):
    client = client_for(physician.user)
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-1"}
    count = ImportCase.objects.count()

    first = client.post("/api/v1/cases", draft_body(draft_case, lupkynis), format="json", **headers)
    retry = client.post("/api/v1/cases", draft_body(draft_case, lupkynis), format="json", **headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Location"] == first["Location"]
    assert retry["Idempotent-Replayed"] == "true"
    assert ImportCase.objects.count() == count + 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422_and_changes_nothing(physician, draft_case, lupkynis):
    client = client_for(physician.user)
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-2"}
    client.post("/api/v1/cases", draft_body(draft_case, lupkynis), format="json", **headers)
    count = ImportCase.objects.count()

    other = client.post(
        "/api/v1/cases",
        draft_body(draft_case, lupkynis, quantity_packs=2),
        format="json",
        **headers,
    )

    assert other.status_code == 422
    assert problem_of(other)["type"] == "urn:npp:problem:idempotency-key-reused"
    assert ImportCase.objects.count() == count


@pytest.mark.django_db
def test_a_retried_transition_moves_the_case_once(physician, draft_case):
    client = client_for(physician.user)
    client.post(
        f"/api/v1/cases/{draft_case.reference}/documents",
        {"kind": "prescription", "file": pdf_upload()},
        format="multipart",
    )
    url = f"/api/v1/cases/{draft_case.reference}/transitions/submit"

    first = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="submit-1")
    retry = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="submit-1")

    assert first.status_code == retry.status_code == 200
    assert CaseEvent.objects.filter(case=draft_case, transition="submit").count() == 1


@pytest.mark.django_db
def test_a_retried_upload_stores_one_document_even_with_a_new_multipart_boundary(
    physician, draft_case
):
    client = client_for(physician.user)
    url = f"/api/v1/cases/{draft_case.reference}/documents"

    for _ in range(2):
        response = client.post(
            url,
            {"kind": "prescription", "file": pdf_upload()},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )
        assert response.status_code == 201

    assert Document.objects.filter(case=draft_case).count() == 1


@pytest.mark.django_db
def test_a_refusal_is_replayed_too_and_a_key_is_per_user(
    api, physician, other_physician, draft_case
):
    url = f"/api/v1/cases/{draft_case.reference}/transitions/submit"
    mine = client_for(physician.user)

    first = mine.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = mine.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    theirs = client_for(other_physician.user).post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert first.status_code == again.status_code == 422
    assert again.content == first.content
    assert theirs.status_code == 404  # not a replay of someone else's answer


@pytest.mark.django_db
def test_a_key_is_forgotten_after_24_hours(physician, draft_case, lupkynis):
    client = client_for(physician.user)
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-3"}
    client.post("/api/v1/cases", draft_body(draft_case, lupkynis), format="json", **headers)
    count = ImportCase.objects.count()

    with time_machine.travel(timezone.now() + timezone.timedelta(hours=25)):
        later = client_for(physician.user).post(
            "/api/v1/cases", draft_body(draft_case, lupkynis), format="json", **headers
        )

    assert later.status_code == 201 and "Idempotent-Replayed" not in later
    assert ImportCase.objects.count() == count + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_the_same_key_make_one_case(physician, draft_case, lupkynis):
    need(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    body = draft_body(draft_case, lupkynis)
    count = ImportCase.objects.count()
    for attempt in range(3):
        key = f"race-{attempt}"
        results = _race(
            [client_for(physician.user), client_for(physician.user)],
            lambda client, key=key: client.post(
                "/api/v1/cases", body, format="json", HTTP_IDEMPOTENCY_KEY=key
            ),
        )

        codes = sorted(r.status_code for r in results)
        assert codes in ([201, 201], [201, 409]), [r.content for r in results]
        assert ImportCase.objects.count() == count + attempt + 1
        assert IdempotencyKey.objects.filter(key=key).count() == 1


def _race(clients: list, call) -> list:
    """Each client's call, started together from its own thread and connection."""
    start = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def run(slot: int) -> None:
        try:
            start.wait(timeout=10)
            results[slot] = call(clients[slot])
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
