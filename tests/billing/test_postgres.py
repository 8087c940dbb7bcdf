"""Invoice numbers under concurrency, on the real database: deliveries at the same
moment get consecutive numbers, with no gap and no duplicate."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from billing import services as billing
from billing.models import Invoice, InvoiceKind, InvoiceSequence
from billing.reference_data import billing_reference_load
from orders.models import ImportCase
from orders.states import CaseStatus
from portals import demo
from tests.conftest import make_patient, need, new_case
from tests.orders.test_postgres import race

S = CaseStatus
DELIVERIES = 4


@pytest.fixture
def postgres(request):
    # Skip before the transactional database is set up: its flush would leave the
    # next tests in this process without the catalogue.
    need(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    request.getfixturevalue("transactional_db")
    importlib.import_module("orders.migrations.0003_india_pathway_and_lupkynis").load(apps, None)
    billing_reference_load(apps=apps)


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_get_consecutive_invoice_numbers(postgres, physician, coordinator):
    from orders.models import Product

    lupkynis = Product.objects.get(brand_name="Lupkynis")
    cases = []
    for n in range(DELIVERIES):
        patient = make_patient(f"p{n}@example.com", f"Patient {n}")
        case = new_case(physician=physician, patient=patient, product=lupkynis)
        billing.payer_set(case=case, actor=coordinator, **demo.payer_data(case))
        quotation = billing.quotation_issue(case=case, actor=coordinator)
        billing.quotation_accept(quotation=quotation, actor=patient.user)
        cases.append(case)
    # Delivered, without walking each case there (tests/billing/test_payments.py walks one):
    # what is raced here is the numbering.
    ImportCase.objects.filter(pk__in=[c.pk for c in cases]).update(status=S.DELIVERED)

    results = race(
        [
            lambda case=case: billing.invoice_issue(
                case=ImportCase.objects.get(pk=case.pk), actor=coordinator
            )
            for case in cases
        ]
    )

    assert all(isinstance(r, Invoice) for r in results), results
    sequences = sorted(r.sequence for r in results)
    assert sequences == list(range(1, DELIVERIES + 1))
    numbers = {r.number for r in results}
    assert len(numbers) == DELIVERIES
    stored = InvoiceSequence.objects.get(series=InvoiceKind.TAX_INVOICE)
    assert stored.last_number == DELIVERIES
    assert {i.case_id for i in Invoice.objects.all()} == {c.pk for c in cases}
