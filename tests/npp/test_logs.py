"""What a log line may say about a person."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from npp.logs import mask_phone


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+91 98450 37164", "***64"),
        ("+919845037164", "***64"),
        ("(080) 4718-2200", "***00"),
        ("1234", "***"),
        ("", "***"),
    ],
)
def test_a_phone_number_is_masked_to_its_last_two_digits_and_not_its_length(number, masked):
    assert mask_phone(number) == masked


# --- Refusals ---------------------------------------------------------------------------


def refusals_logged(client, url: str, caplog) -> tuple[int, list[logging.LogRecord]]:
    with caplog.at_level(logging.INFO):
        response = client.get(url)
    return response.status_code, list(caplog.records)


def test_a_patient_asking_for_another_patients_case_is_logged_as_one_line(
    client, patient, other_case, caplog
):
    client.force_login(patient.user)
    url = reverse("orders:patient-case", args=[other_case.pk])

    status, records = refusals_logged(client, url, caplog)

    assert status == 404
    assert len(records) == 1
    (record,) = records
    assert record.exc_info is None
    assert record.getMessage() == (
        f"Refused 404: GET {url} (route my/orders/<int:pk>/, user {patient.user.pk})"
    )
    assert "Traceback" not in caplog.text


def test_a_patient_on_the_workbench_is_logged_as_one_line_without_a_traceback(
    client, patient, caplog
):
    client.force_login(patient.user)
    url = reverse("orders:coordinator-queue")

    status, records = refusals_logged(client, url, caplog)

    assert status == 403
    assert len(records) == 1
    (record,) = records
    assert record.exc_info is None
    assert record.getMessage() == f"Refused 403: GET {url} (route work/, user {patient.user.pk})"
    assert "Traceback" not in caplog.text
    assert "PermissionDenied" not in caplog.text


def test_an_address_that_matches_no_route_is_logged_without_a_user_when_signed_out(
    client, db, caplog
):
    status, records = refusals_logged(client, "/no-such-page/", caplog)

    assert status == 404
    assert [r.getMessage() for r in records] == [
        "Refused 404: GET /no-such-page/ (route -, user -)"
    ]


def test_a_server_error_still_logs_its_traceback(client, db, caplog, settings):
    settings.ROOT_URLCONF = "tests.npp.urls"
    client.raise_request_exception = False

    with caplog.at_level(logging.INFO):
        response = client.get("/boom/")

    assert response.status_code == 500
    (record,) = caplog.records
    assert record.exc_info is not None
