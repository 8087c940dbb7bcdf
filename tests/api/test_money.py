"""Quotations and invoices through the API, read only, with the pages' rule: the
payer's side never reads the supplier's cost prices."""

from __future__ import annotations

import json

import pytest

from billing import services as billing
from orders.states import CaseStatus
from portals import demo
from tests.api.conftest import client_for
from tests.documents.test_money_papers import COST_PRICES

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture
def quoted(catalogue, case_in, coordinator):
    case = case_in(S.SUPPLIER_ORDERING)
    billing.payer_set(case=case, actor=coordinator, **demo.payer_data(case))
    return billing.quotation_issue(case=case, actor=coordinator)


def url(quotation, what: str = "quotations") -> str:
    return f"/api/v1/cases/{quotation.case.reference}/{what}"


def test_the_coordinator_reads_every_line_with_the_suppliers_price(coordinator, quoted):
    [body] = client_for(coordinator).get(url(quoted)).json()

    assert body["version"] == 1 and body["status"] == "issued"
    assert body["unit_price"] is not None and body["currency"]
    assert any(line["internal"] for line in body["lines"])


@pytest.mark.parametrize("persona", ["patient", "physician"])
def test_the_payers_side_reads_the_quotation_without_cost_prices(request, persona, quoted):
    user = request.getfixturevalue(persona).user

    response = client_for(user).get(url(quoted))

    assert response.status_code == 200
    [body] = response.json()
    assert body["total"] == str(quoted.total)
    assert body["unit_price"] is None and body["currency"] is None
    assert body["assessable_value"] is None and body["exchange_rate"] is None
    assert body["lines"] and not any(line["internal"] for line in body["lines"])
    text = json.dumps(body)
    for figure in (*COST_PRICES, "USD", "Supplier"):
        assert figure not in text, figure


def test_others_do_not_reach_the_money(other_patient, other_physician, quoted):
    for user in (other_patient.user, other_physician.user):
        assert client_for(user).get(url(quoted)).status_code == 404
        assert client_for(user).get(url(quoted, "invoices")).status_code == 404


def test_a_patient_who_does_not_pay_reads_no_money(patient, coordinator, quoted):
    data = demo.payer_data(quoted.case)
    billing.payer_set(case=quoted.case, actor=coordinator, **{**data, "kind": "hospital"})

    assert client_for(patient.user).get(url(quoted)).status_code == 403


def test_the_invoices_list_is_read_only_and_empty_before_delivery(coordinator, quoted):
    client = client_for(coordinator)

    assert client.get(url(quoted, "invoices")).json() == []
    assert client.post(url(quoted, "invoices"), {}, format="json").status_code == 405
