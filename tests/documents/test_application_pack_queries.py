"""The application pack reads every document's signatures at once: its queries do not
grow with the documents on file, signed or not, reused or not."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from documents.generation.application_pack import regulatory_application_data
from documents.models import DocumentKind, SignatureMeaning
from documents.signatures import document_sign
from orders.states import CaseStatus
from tests.conftest import PASSWORD
from tests.orders.helpers import upload
from tests.portals.test_signing_papers import sign_consent, sign_undertaking, signed_in

K = DocumentKind
MORE = (K.PATIENT_IDENTITY, K.MEDICAL_REPORT, K.PROFORMA_INVOICE, K.OTHER)


def queries_for_the_pack(case) -> int:
    with CaptureQueriesContext(connection) as captured:
        data = regulatory_application_data(case)
    assert data["signed"][K.PHYSICIAN_UNDERTAKING]["signatures"]
    assert data["signed"][K.PATIENT_CONSENT]["signatures"]
    return len(captured)


def approved_upload(case, kind, coordinator) -> None:
    document = upload(case, kind, coordinator, accept_by=coordinator)
    document_sign(
        document=document,
        signer=coordinator,
        password=PASSWORD,
        printed_name="Cora Coordinator",
        meaning=SignatureMeaning.APPROVAL,
    )


@pytest.fixture
def signed_pack(case_in, physician, patient):
    case = case_in(CaseStatus.FORMS_PREPARATION)
    sign_undertaking(case, physician)
    sign_consent(signed_in(patient.user), case)
    return case


def test_the_packs_queries_do_not_grow_with_the_signed_documents(signed_pack, coordinator):
    approved_upload(signed_pack, MORE[0], coordinator)
    few = queries_for_the_pack(signed_pack)

    for kind in MORE[1:]:
        approved_upload(signed_pack, kind, coordinator)
    many = queries_for_the_pack(signed_pack)

    assert many == few
    # Each of them on the checklist, with its signature: read, not left out.
    lines = [row["on_file"] for row in regulatory_application_data(signed_pack)["attachments"]]
    assert sum("Cora Coordinator" in line for line in lines) >= 1
