"""The case record's duty breakdown is the quotation's: the same heads, rounded to the
rupee, at the rates in force on the clearance date (billing.rates.customs_duty)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from billing import services as billing
from billing.models import DutyRate, PayerKind, RateClass
from documents.generation.case_record import case_record_data
from orders.display import format_money, format_percent
from orders.models import ImportCase
from orders.states import CaseStatus
from portals import demo

CLEARED = dt.date(2026, 3, 2)
DUTY_CODES = ("basic_duty", "surcharge", "igst_import")


@pytest.fixture
def ordering(case_in, coordinator):
    case = case_in(CaseStatus.SUPPLIER_ORDERING)
    billing.payer_set(case=case, actor=coordinator, **demo.payer_data(case))
    return case


def cleared(case, *, assessable, on, exemption="", duty=None) -> dict:
    """The record's customs section once customs assessed `assessable` on `on`."""
    ImportCase.objects.filter(pk=case.pk).update(
        bill_of_entry_number="BE0000001",
        assessable_value=assessable,
        duty_amount=duty,
        duty_exemption=exemption,
        clearance_date=on,
    )
    return case_record_data(ImportCase.objects.get(pk=case.pk))["customs"]


def as_printed(customs) -> list[tuple[str, str]]:
    return [(line["rate"], line["amount"]) for line in customs["duty_lines"]]


@pytest.mark.parametrize(
    ("rate_class", "listed", "exemption", "igst"),
    [
        (RateClass.MEDICINE, False, "", "5%"),  # a typical medicine
        (RateClass.LISTED_NIL, False, "", "0%"),  # listed: IGST nil
        (RateClass.LISTED_NIL, True, "rare_disease", "0%"),  # and no basic duty either
        (RateClass.MEDICINE, True, "rare_disease", "5%"),
        (RateClass.MEDICINE, False, "free_of_cost", "0%"),
    ],
)
def test_the_records_duty_lines_are_the_quotations_duty_heads(
    ordering, coordinator, rate_class, listed, exemption, igst
):
    tariff = ordering.product.tariff
    tariff.rate_class, tariff.rare_disease_listed = rate_class, listed
    tariff.save()
    if exemption == "free_of_cost":
        billing.payer_set(
            case=ordering,
            actor=coordinator,
            **demo.payer_data(ordering, kind=PayerKind.MANUFACTURER_FREE, name="Aurinia"),
        )
    quotation = billing.quotation_issue(
        case=ordering, actor=coordinator, exemption=exemption, on=CLEARED
    )

    customs = cleared(
        ordering,
        assessable=quotation.assessable_value,
        on=CLEARED,
        exemption=exemption,
        duty=quotation.duty_total,
    )

    heads = {line.code: line for line in quotation.lines.all()}
    assert as_printed(customs) == [
        (format_percent(heads[code].rate), format_money(heads[code].amount)) for code in DUTY_CODES
    ]
    assert customs["duty_lines"][2]["rate"] == igst
    assert customs["duty_total"] == format_money(quotation.duty_total)
    assert customs["duty_matches"]
    # Rupees, never paise: customs rounds each head (Customs Act 1962, s. 154A).
    assert all(line["amount"].endswith(".00") for line in customs["duty_lines"])


def test_each_head_is_rounded_to_the_rupee_and_charged_on_the_rounded_heads(ordering):
    # 10% of 12,345.67 is 1,234.567: 1,235; 10% of that is 123.50: 124 (half up); IGST 5%
    # of 12,345.67 + 1,235 + 124 = 13,704.67 is 685.23: 685. To the paisa it was 2,043.53.
    customs = cleared(ordering, assessable=D("12345.67"), on=CLEARED, duty=D("2044"))

    assert [(line["rate"], line["base"], line["amount"]) for line in customs["duty_lines"]] == [
        ("10%", "₹12,345.67", "₹1,235.00"),
        ("10%", "₹1,235.00", "₹124.00"),
        ("5%", "₹13,704.67", "₹685.00"),
    ]
    assert customs["duty_total"] == "₹2,044.00"
    assert customs["duty_matches"]


def test_rates_dated_after_the_clearance_are_not_used(ordering, india):
    DutyRate.objects.create(
        pathway=india,
        rate_class=RateClass.MEDICINE,
        effective_from=CLEARED + dt.timedelta(days=1),
        basic_percent=20,
        surcharge_percent_of_basic=10,
        igst_percent=18,
        source="A later notification",
    )

    on_the_day = cleared(ordering, assessable=D("250000"), on=CLEARED, duty=D("41375"))
    assert as_printed(on_the_day) == [
        ("10%", "₹25,000.00"),
        ("10%", "₹2,500.00"),
        ("5%", "₹13,875.00"),
    ]
    assert on_the_day["duty_matches"]

    next_day = cleared(ordering, assessable=D("250000"), on=CLEARED + dt.timedelta(days=1))
    assert [rate for rate, _ in as_printed(next_day)] == ["20%", "10%", "18%"]
    assert "A later notification" in next_day["rates_source"]

    # Before 22 September 2025 medicines paid IGST 12%.
    before = cleared(ordering, assessable=D("250000"), on=dt.date(2025, 9, 21))
    assert as_printed(before)[2] == ("12%", "₹33,300.00")


def test_without_rates_in_force_the_record_says_what_is_missing(ordering):
    customs = cleared(ordering, assessable=D("250000"), on=dt.date(2017, 6, 30), duty=D("0"))

    assert customs["duty_lines"] == []
    assert "Cannot compute the duty. Missing: the duty rates" in customs["rates_missing"]
