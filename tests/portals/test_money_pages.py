"""The money on the pages: the coordinator quotes, records payments and waivers and
sees every cost; the payer's side reads the quotation and accepts it; the workbench
shows what is due; supplier cost prices never reach a patient's or physician's page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from billing import services as billing
from billing.models import Payer, PayerKind, Payment, Quotation
from orders.models import CaseEvent
from orders.money import QuotationStatus
from orders.states import CaseStatus
from portals import demo
from tests.documents.test_money_papers import COST_PRICES

S = CaseStatus
D = Decimal


def case_url(case) -> str:
    return reverse("orders:coordinator-case", args=[case.pk])


@pytest.fixture
def ordering(case_in):
    return case_in(S.SUPPLIER_ORDERING)


@pytest.fixture
def quoted(ordering, coordinator):
    billing.payer_set(case=ordering, actor=coordinator, **demo.payer_data(ordering))
    return billing.quotation_issue(case=ordering, actor=coordinator)


def payer_post(case, **overrides) -> dict[str, str]:
    data = {f"payer-{k}": v for k, v in demo.payer_data(case).items()}
    data.update({f"payer-{k}": v for k, v in overrides.items()})
    return data


def test_the_coordinator_names_the_payer_and_quotes(client_for, coordinator, ordering):
    office = client_for(coordinator)

    response = office.post(
        reverse("orders:coordinator-payer", args=[ordering.pk]), payer_post(ordering)
    )
    assert response.status_code == 302
    assert Payer.objects.get(case=ordering).kind == PayerKind.PATIENT

    response = office.post(
        reverse("orders:coordinator-quote", args=[ordering.pk]), {"quote-exemption": ""}
    )
    assert response.status_code == 302
    quotation = Quotation.objects.get(case=ordering)
    page = office.get(case_url(ordering)).content.decode()
    # The coordinator sees every cost, in the supplier's currency too.
    assert "Supplier&#x27;s price" in page or "Supplier's price" in page
    assert "USD 22950.00" in page
    assert "₹24,68,689.69" in page
    assert quotation.total == D("2468689.69")


def test_a_mistyped_gstin_is_refused_and_nothing_is_stored(client_for, coordinator, ordering):
    response = client_for(coordinator).post(
        reverse("orders:coordinator-payer", args=[ordering.pk]),
        payer_post(ordering, gstin="29AABCN1234F1ZX"),
    )

    assert response.status_code == 400
    assert "check character" in response.content.decode()
    assert not Payer.objects.filter(case=ordering).exists()


def test_the_coordinator_records_an_acceptance_by_phone_then_a_payment(
    client_for, coordinator, quoted
):
    office = client_for(coordinator)
    url = reverse("orders:coordinator-quote-accept", args=[quoted.pk])

    refused = office.post(url, {"accept-note": ""})
    assert refused.status_code == 400
    office.post(url, {"accept-note": "Accepted by phone by the patient, 11:05."})
    quoted.refresh_from_db()
    assert quoted.status == QuotationStatus.ACCEPTED

    response = office.post(
        reverse("orders:coordinator-payment", args=[quoted.case_id]),
        {
            "payment-amount": "1000000.00",
            "payment-method": "upi",
            "payment-reference": "UPI-778899",
            "payment-received_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    page = office.get(case_url(quoted.case)).content.decode()
    assert "₹14,68,689.69" in page  # the balance
    assert Payment.objects.get().reference == "UPI-778899"


def test_a_payment_in_the_future_is_refused_on_the_form(client_for, coordinator, quoted, patient):
    billing.quotation_accept(quotation=quoted, actor=patient.user)
    response = client_for(coordinator).post(
        reverse("orders:coordinator-payment", args=[quoted.case_id]),
        {
            "payment-amount": "100.00",
            "payment-method": "upi",
            "payment-reference": "X",
            "payment-received_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        },
    )

    assert response.status_code == 400
    assert "not in the future" in response.content.decode()
    assert not Payment.objects.exists()


def test_other_roles_may_not_record_money(client_for, physician, patient, quoted):
    for user in (physician.user, patient.user):
        response = client_for(user).post(
            reverse("orders:coordinator-waive", args=[quoted.case_id]), {"waive-reason": "x"}
        )
        assert response.status_code in (403, 404)
    assert not CaseEvent.objects.filter(transition="waive_payment").exists()


# --- the payer's side ---------------------------------------------------------------------


def test_the_patient_reads_the_quotation_without_cost_prices_and_accepts_it(
    client_for, patient, quoted
):
    me = client_for(patient.user)
    url = reverse("orders:patient-case", args=[quoted.case_id])

    page = me.get(url).content.decode()
    assert "Cost and payment" in page
    assert "₹24,68,689.69" in page
    assert "Accept the quotation" in page
    for figure in (*COST_PRICES, "USD", "Supplier"):
        assert figure not in page, figure

    me.post(
        reverse("orders:patient-case-accept-quotation", args=[quoted.case_id]), {"version": "1"}
    )

    quoted.refresh_from_db()
    assert quoted.status == QuotationStatus.ACCEPTED
    assert quoted.accepted_by == patient.user


def test_a_stale_version_is_not_accepted(client_for, patient, coordinator, quoted):
    from billing.models import ExchangeRate

    ExchangeRate.objects.create(
        currency="USD", rupees_per_unit=D("95"), rate_date=timezone.localdate(), source="CBIC"
    )
    billing.quotation_issue(case=quoted.case, actor=coordinator)

    client_for(patient.user).post(
        reverse("orders:patient-case-accept-quotation", args=[quoted.case_id]), {"version": "1"}
    )

    assert not Quotation.objects.filter(status=QuotationStatus.ACCEPTED).exists()


def test_another_patient_cannot_see_or_accept_it(client_for, other_patient, quoted):
    other = client_for(other_patient.user)

    assert other.get(reverse("orders:patient-case", args=[quoted.case_id])).status_code == 404
    response = other.post(
        reverse("orders:patient-case-accept-quotation", args=[quoted.case_id]), {"version": "1"}
    )
    assert response.status_code == 404
    quoted.refresh_from_db()
    assert quoted.status == QuotationStatus.ISSUED


def test_the_physician_accepts_for_the_hospital_and_never_sees_cost_prices(
    client_for, physician, patient, coordinator, ordering
):
    billing.payer_set(
        case=ordering,
        actor=coordinator,
        **demo.payer_data(ordering, kind=PayerKind.HOSPITAL, name="City Hospital"),
    )
    quotation = billing.quotation_issue(case=ordering, actor=coordinator)
    doctor = client_for(physician.user)

    page = doctor.get(reverse("orders:physician-case", args=[ordering.pk])).content.decode()
    assert "City Hospital" in page and "Accept the quotation" in page
    for figure in (*COST_PRICES, "USD"):
        assert figure not in page, figure
    # The patient does not pay: no money on their page.
    patient_page = client_for(patient.user).get(reverse("orders:patient-case", args=[ordering.pk]))
    assert "Cost and payment" not in patient_page.content.decode()

    doctor.post(
        reverse("orders:physician-case-accept-quotation", args=[ordering.pk]), {"version": "1"}
    )
    quotation.refresh_from_db()
    assert quotation.accepted_by == physician.user


# --- the workbench ------------------------------------------------------------------------------


def test_the_queue_shows_the_amount_due_and_filters_overdue_payments(
    client_for, coordinator, patient, quoted, other_case
):
    billing.quotation_accept(quotation=quoted, actor=patient.user)
    office = client_for(coordinator)
    queue = reverse("orders:coordinator-queue")

    page = office.get(queue).content.decode()
    assert "₹24,68,689.69 due" in page

    due = office.get(queue, {"payment": "due"}).content.decode()
    assert quoted.case.reference in due and other_case.reference not in due
    overdue = office.get(queue, {"payment": "overdue"}).content.decode()
    assert quoted.case.reference not in overdue

    # Eight days on, the week to pay has passed.
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        later = client_for(coordinator)  # signed in afresh: the old session has expired
        overdue = later.get(queue, {"payment": "overdue"}).content.decode()
    assert quoted.case.reference in overdue
    assert "Payment overdue" in overdue
