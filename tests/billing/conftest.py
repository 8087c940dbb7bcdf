"""Fixtures for the money tests: a case ready to be quoted, with its payer."""

from __future__ import annotations

import pytest

from billing import services as billing
from orders.states import CaseStatus
from portals import demo

S = CaseStatus


@pytest.fixture(autouse=True)
def _rates_and_prices(catalogue):
    """Every money test reads the exchange rates and prices the migrations load."""


@pytest.fixture
def quotable(case_in, coordinator):
    """A case with its permit, the patient named as payer."""
    case = case_in(S.SUPPLIER_ORDERING)
    billing.payer_set(case=case, actor=coordinator, **demo.payer_data(case))
    return case


@pytest.fixture
def quoted(quotable, coordinator):
    return billing.quotation_issue(case=quotable, actor=coordinator)


@pytest.fixture
def accepted(quoted, patient):
    return billing.quotation_accept(quotation=quoted, actor=patient.user)
