"""Quotations: made from the prices and rates in force, versioned when they change,
accepted by the payer's side, frozen once accepted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from billing import services as billing
from billing.models import (
    DutyRate,
    ExchangeRate,
    FrozenError,
    PayerKind,
    Quotation,
    QuotationLine,
    RateClass,
    SupplierPrice,
)
from orders.errors import DomainError, GuardFailed
from orders.models import CaseEvent
from orders.money import QuotationStatus, to_rupee
from portals import demo

D = Decimal


def test_a_quotation_shows_every_figure_with_its_rate_date_and_source(quoted):
    basis = quoted.basis

    assert quoted.version == 1
    assert quoted.status == QuotationStatus.ISSUED
    assert quoted.currency == "USD"
    assert quoted.exchange_rate == D("88.2500")
    assert quoted.exchange_rate_date == dt.date(2026, 1, 1)
    assert "exchange rate" in quoted.exchange_rate_source
    assert basis["duty"]["igst_percent"] == "5.000"
    assert basis["duty"]["effective_from"] == "2025-09-22"
    assert "22 September 2025" in basis["duty"]["source"]
    assert basis["gst"]["percent"] == "18.00"
    # 3 packs of Lupkynis FCA at USD 7,650, freight 650, insurance 0.5%: see the
    # worked example in test_calculation.
    assert quoted.assessable_value == D("2092826.69")
    assert quoted.duty_total == D("346363")
    assert quoted.total == D("2468689.69")
    assert quoted.total == sum(line.amount for line in quoted.lines.filter(in_total=True))
    event = CaseEvent.objects.filter(case=quoted.case, transition="issue_quotation").get()
    assert event.data["total"] == "2468689.69"
    assert "7,650" not in str(event.data) and "7650" not in str(event.data)


def test_nothing_changed_gives_the_same_version_and_a_new_rate_a_new_one(quoted, coordinator):
    again = billing.quotation_issue(case=quoted.case, actor=coordinator)
    assert again.pk == quoted.pk

    ExchangeRate.objects.create(
        currency="USD", rupees_per_unit=D("90.1000"), rate_date=timezone.localdate(), source="CBIC"
    )
    newer = billing.quotation_issue(case=quoted.case, actor=coordinator)

    quoted.refresh_from_db()
    assert newer.version == 2
    assert newer.exchange_rate == D("90.1000")
    assert quoted.status == QuotationStatus.SUPERSEDED
    assert quoted.exchange_rate == D("88.2500")  # the old version keeps its rate


def test_a_quotation_keeps_the_rates_in_force_on_its_day(quotable, coordinator):
    """A quotation dated before 22 September 2025 used IGST 12% (then in force)."""
    # The seeded price list starts in 2026: an older price, and an older exchange rate.
    lupkynis_price = SupplierPrice.objects.get()
    SupplierPrice.objects.create(
        supplier=lupkynis_price.supplier,
        product=lupkynis_price.product,
        currency="USD",
        unit_price=D("7650.00"),
        valid_from=dt.date(2025, 1, 1),
        valid_until=dt.date(2025, 12, 31),
        incoterm="FCA",
    )
    ExchangeRate.objects.create(
        currency="USD", rupees_per_unit=D("88.25"), rate_date=dt.date(2025, 9, 1), source="CBIC"
    )

    before = billing.quotation_issue(case=quotable, actor=coordinator, on=dt.date(2025, 9, 21))

    assert before.basis["duty"]["igst_percent"] == "12.000"
    igst_base = before.assessable_value + before.basic_duty + before.surcharge
    assert before.igst == to_rupee(igst_base * 12 / 100)
    # No freight rate of the supplier then: customs' 20% and 1.125% of FOB apply.
    assert "rule 10(2)" in before.basis["freight"]["basis"]


def test_the_rare_disease_exemption_needs_a_listed_product(quotable, coordinator):
    with pytest.raises(DomainError) as refused:
        billing.quotation_issue(case=quotable, actor=coordinator, exemption="rare_disease")

    assert "national list of rare diseases" in str(refused.value)
    assert not Quotation.objects.filter(case=quotable).exists()


def test_a_listed_drug_pays_no_igst(quotable, coordinator):
    tariff = quotable.product.tariff
    tariff.rate_class = RateClass.LISTED_NIL
    tariff.save()

    quotation = billing.quotation_issue(case=quotable, actor=coordinator)

    assert quotation.igst == D("0")
    assert DutyRate.objects.filter(rate_class=RateClass.LISTED_NIL, igst_percent=0).exists()


def test_free_of_charge_goods_claim_the_free_of_cost_exemption(quotable, coordinator):
    billing.payer_set(
        case=quotable,
        actor=coordinator,
        **demo.payer_data(
            quotable, kind=PayerKind.MANUFACTURER_FREE, name="Aurinia Pharmaceuticals Inc."
        ),
    )

    quotation = billing.quotation_issue(case=quotable, actor=coordinator, exemption="free_of_cost")

    assert quotation.duty_total == 0
    assert quotation.goods_charged == 0
    assert quotation.total == D("29500.00")
    assert "607A" in quotation.basis["exemption"]["source"]


def test_only_a_coordinator_quotes_and_a_payer_is_needed_first(case_in, coordinator, physician):
    case = case_in("supplier_ordering")
    with pytest.raises(PermissionDenied):
        billing.quotation_issue(case=case, actor=physician.user)
    with pytest.raises(GuardFailed) as refused:
        billing.quotation_issue(case=case, actor=coordinator)
    assert "who pays" in str(refused.value)


# --- acceptance ---------------------------------------------------------------------------


def test_the_patient_who_pays_accepts_in_the_tracker(quoted, patient):
    accepted = billing.quotation_accept(quotation=quoted, actor=patient.user)

    assert accepted.status == QuotationStatus.ACCEPTED
    assert accepted.accepted_by == patient.user
    assert accepted.payment_due_on == timezone.localdate() + dt.timedelta(days=7)
    assert CaseEvent.objects.filter(case=quoted.case, transition="accept_quotation").count() == 1


def test_the_physician_accepts_when_the_hospital_pays_and_not_otherwise(
    quoted, coordinator, physician, other_patient
):
    with pytest.raises(PermissionDenied):
        billing.quotation_accept(quotation=quoted, actor=physician.user)
    with pytest.raises(PermissionDenied):
        billing.quotation_accept(quotation=quoted, actor=other_patient.user)

    billing.payer_set(
        case=quoted.case,
        actor=coordinator,
        **demo.payer_data(quoted.case, kind=PayerKind.HOSPITAL, name="City Hospital"),
    )
    hospital = billing.quotation_issue(case=quoted.case, actor=coordinator)
    accepted = billing.quotation_accept(quotation=hospital, actor=physician.user)

    assert accepted.status == QuotationStatus.ACCEPTED
    assert accepted.payer["name"] == "City Hospital"


def test_a_coordinator_records_an_acceptance_by_phone_with_a_note(quoted, coordinator):
    with pytest.raises(GuardFailed) as refused:
        billing.quotation_accept(quotation=quoted, actor=coordinator)
    assert "how the payer accepted" in str(refused.value)

    accepted = billing.quotation_accept(
        quotation=quoted, actor=coordinator, note="Accepted by the patient's son by phone."
    )

    assert accepted.acceptance_note == "Accepted by the patient's son by phone."


def test_an_expired_or_superseded_quotation_cannot_be_accepted(quoted, coordinator, patient):
    Quotation.objects.filter(pk=quoted.pk).update(valid_until=dt.date(2020, 1, 1))
    with pytest.raises(DomainError, match="expired"):
        billing.quotation_accept(quotation=quoted, actor=patient.user)

    Quotation.objects.filter(pk=quoted.pk).update(status=QuotationStatus.SUPERSEDED)
    with pytest.raises(DomainError, match="only the latest issued"):
        billing.quotation_accept(quotation=quoted, actor=patient.user)


# --- frozen -------------------------------------------------------------------------------


def test_an_accepted_quotation_cannot_change(accepted):
    before = Quotation.objects.filter(pk=accepted.pk).values().get()
    lines_before = list(QuotationLine.objects.filter(quotation=accepted).values())

    accepted.total = D("1.00")
    with pytest.raises(FrozenError, match="accepted and cannot change"):
        accepted.save()
    with pytest.raises(FrozenError):
        Quotation.objects.filter(pk=accepted.pk).update(total=D("1.00"))
    line = accepted.lines.first()
    line.amount = D("1.00")
    with pytest.raises(FrozenError):
        line.save()
    with pytest.raises(FrozenError):
        QuotationLine.objects.create(
            quotation=accepted,
            position=99,
            code="x",
            label="x",
            amount=1,
            audience="payer",
            in_total=True,
        )
    with pytest.raises(FrozenError):
        accepted.lines.all().delete()
    with pytest.raises(FrozenError):
        accepted.delete()

    assert Quotation.objects.filter(pk=accepted.pk).values().get() == before
    assert list(QuotationLine.objects.filter(quotation=accepted).values()) == lines_before


def test_a_changed_price_after_acceptance_makes_a_new_version_and_leaves_the_accepted_one(
    accepted, coordinator, patient
):
    ExchangeRate.objects.create(
        currency="USD", rupees_per_unit=D("91.0000"), rate_date=timezone.localdate(), source="CBIC"
    )
    newer = billing.quotation_issue(case=accepted.case, actor=coordinator)

    accepted.refresh_from_db()
    assert (newer.version, newer.status) == (2, QuotationStatus.ISSUED)
    assert accepted.status == QuotationStatus.ACCEPTED
    assert accepted.exchange_rate == D("88.2500")

    billing.quotation_accept(quotation=newer, actor=patient.user)
    accepted.refresh_from_db()
    assert accepted.status == QuotationStatus.SUPERSEDED
    assert accepted.total == D("2468689.69")
