"""The arithmetic against worked examples, and its properties (hypothesis): totals are
the sum of their lines, never negative, and a balance does not depend on the order in
which payments were entered."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing import calculation as calc
from orders.display import format_money
from orders.money import (
    amount_in_words,
    number_in_hindi_words,
    rupees_in_hindi_words,
    rupees_in_words,
    to_paise,
    to_rupee,
)

D = Decimal
INDIA_2026 = calc.DutyRates(D("10"), D("10"), D("5"))
LISTED_NIL = calc.DutyRates(D("10"), D("10"), D("0"))
RARE_DISEASE = calc.Exemption("rare_disease", "Rare disease", basic_nil=True, igst_nil=False)
FREE_OF_COST = calc.Exemption("free_of_cost", "Free of cost", basic_nil=True, igst_nil=True)
NOTHING = calc.Charge(flat=D("0"))


def inputs(**overrides) -> calc.QuoteInputs:
    values = {
        "packs": 1,
        "unit_price": D("100000.00"),
        "currency": "INR",
        "exchange_rate": D("1"),
        "freight": NOTHING,
        "insurance": NOTHING,
        "duty": INDIA_2026,
        "service_fee": D("25000.00"),
        "gst_percent": D("18"),
        "intra_state": True,
    }
    values.update(overrides)
    return calc.QuoteInputs(**values)


def amounts(quote: calc.Quote) -> dict[str, Decimal]:
    return {line.code: line.amount for line in quote.lines}


# --- worked examples --------------------------------------------------------------------


def test_a_typical_medicine_pays_16_55_percent_of_its_cif_value():
    # Basic 10% = 10,000; surcharge 10% of that = 1,000; IGST 5% of 1,11,000 = 5,550.
    result = calc.quote(inputs())

    assert (result.basic_duty, result.surcharge, result.igst) == (D("10000"), D("1000"), D("5550"))
    assert result.duty_total == D("16550")
    assert result.duty_percent_of_assessable == D("16.55")


@pytest.mark.parametrize(
    ("rates", "exemption", "heads", "percent"),
    [
        (INDIA_2026, None, ("10000", "1000", "5550"), "16.55"),
        # Rare disease on the national list: basic duty (and so the surcharge) nil.
        (INDIA_2026, RARE_DISEASE, ("0", "0", "5000"), "5.00"),
        # Free of cost (Notification 50/2017, S.No. 607A): basic duty and IGST nil.
        (INDIA_2026, FREE_OF_COST, ("0", "0", "0"), "0.00"),
        # A listed life-saving drug: IGST nil since 22 September 2025.
        (LISTED_NIL, None, ("10000", "1000", "0"), "11.00"),
        # The rate the pathway was first seeded with (IGST 18%): 30.98%, now corrected.
        (calc.DutyRates(D("10"), D("10"), D("18")), None, ("10000", "1000", "19980"), "30.98"),
    ],
)
def test_duty_with_and_without_exemptions(rates, exemption, heads, percent):
    result = calc.quote(inputs(duty=rates, exemption=exemption))

    assert (result.basic_duty, result.surcharge, result.igst) == tuple(D(h) for h in heads)
    assert result.duty_percent_of_assessable == D(percent)


def test_lupkynis_priced_in_dollars_converts_each_amount_at_the_recorded_rate():
    # 3 packs at USD 7,650 (FCA), freight USD 650, insurance 0.5% of FOB, at 88.25.
    result = calc.quote(
        inputs(
            packs=3,
            unit_price=D("7650.00"),
            currency="USD",
            exchange_rate=D("88.2500"),
            freight=calc.Charge(flat=D("650.00")),
            insurance=calc.Charge(percent_of_fob=D("0.5")),
        )
    )

    lines = amounts(result)
    assert result.fob_foreign == D("22950.00")
    assert result.insurance_foreign == D("114.75")
    assert lines["goods_cost"] == D("2025337.50")  # 22,950 x 88.25
    assert lines["freight"] == D("57362.50")
    assert lines["insurance"] == D("10126.69")  # 10,126.6875 to the paisa
    assert result.assessable_value == D("2092826.69")
    # 2,09,282.669 -> 2,09,283; 20,928.3 -> 20,928; 5% of 23,23,037.69 -> 1,16,152.
    assert (result.basic_duty, result.surcharge, result.igst) == (
        D("209283"),
        D("20928"),
        D("116152"),
    )
    assert result.duty_percent_of_assessable == D("16.55")
    assert (lines["cgst"], lines["sgst"]) == (D("2250.00"), D("2250.00"))
    assert result.total == D("2468689.69")
    assert format_money(result.total) == "₹24,68,689.69"


def test_customs_assumes_20_percent_freight_and_1_125_percent_insurance_when_unknown():
    result = calc.quote(
        inputs(
            unit_price=D("1000.00"),
            currency="USD",
            exchange_rate=D("80"),
            freight=calc.Charge(percent_of_fob=calc.CUSTOMS_DEFAULT_FREIGHT_PERCENT),
            insurance=calc.Charge(percent_of_fob=calc.CUSTOMS_DEFAULT_INSURANCE_PERCENT),
        )
    )

    assert (result.freight_foreign, result.insurance_foreign) == (D("200.00"), D("11.25"))
    assert result.assessable_value == D("96900.00")  # 1,211.25 x 80


@pytest.mark.parametrize(
    ("assessable", "basic", "surcharge", "igst"),
    [
        # 100.50 rounds up to 101; the surcharge 10.1 to 10; IGST 5% of 1,116 = 55.80 -> 56.
        ("1005.00", "101", "10", "56"),
        # 100.49 rounds down to 100; 10; 5% of 1,114.90 = 55.745 -> 56.
        ("1004.90", "100", "10", "56"),
        # 5% of 1,109.90 = 55.495 -> 55 (under fifty paise is dropped).
        ("999.90", "100", "10", "55"),
    ],
)
def test_each_duty_head_is_rounded_to_the_rupee_fifty_paise_going_up(
    assessable, basic, surcharge, igst
):
    _, b, s, _, i = calc.duty_heads(D(assessable), INDIA_2026)

    assert (b, s, i) == (D(basic), D(surcharge), D(igst))


def test_gst_on_the_fee_is_cgst_and_sgst_within_the_state_and_igst_across_states():
    within = amounts(calc.quote(inputs(service_fee=D("12345.67"))))
    across = amounts(calc.quote(inputs(service_fee=D("12345.67"), intra_state=False)))

    # 9% of 12,345.67 = 1,111.1103 -> 1,111.11 each; 18% = 2,222.2206 -> 2,222.22.
    assert (within["cgst"], within["sgst"]) == (D("1111.11"), D("1111.11"))
    assert "igst_service" not in within
    assert across["igst_service"] == D("2222.22")
    assert "cgst" not in across


def test_free_of_charge_goods_are_valued_for_customs_but_not_charged():
    result = calc.quote(inputs(exemption=FREE_OF_COST, goods_charged=False))

    assert result.assessable_value == D("100000.00")
    assert result.goods_charged == D("0.00")
    assert result.total == D("29500.00")  # the fee and its GST only


def test_supplier_costs_are_internal_lines_that_do_not_count_twice():
    result = calc.quote(inputs(freight=calc.Charge(flat=D("500"))))

    internal = {line.code for line in result.lines if line.audience == calc.Audience.INTERNAL}
    assert internal == {"goods_cost", "freight", "insurance"}
    assert all(not line.in_total for line in result.lines if line.code in internal)
    assert amounts(result)["medicine"] == result.assessable_value == D("100500.00")


def test_negative_inputs_are_refused_naming_each():
    with pytest.raises(calc.CalculationError) as refused:
        calc.quote(inputs(packs=0, unit_price=D("-1"), freight=calc.Charge(flat=D("-5"))))

    assert "a quantity of at least one pack" in str(refused.value)
    assert "a unit price that is not negative" in str(refused.value)
    assert "freight and insurance that are not negative" in str(refused.value)


# --- payments, refunds and the final invoice ----------------------------------------------


def entries(*pairs) -> list[calc.Entry]:
    return [calc.Entry(kind, D(amount)) for kind, amount in pairs]


P, R = calc.EntryKind.PAYMENT, calc.EntryKind.REFUND


@pytest.mark.parametrize(
    ("charged", "paid", "due", "credit"),
    [
        ("29500.00", [(P, "29500.00")], "0.00", "0.00"),
        ("29500.00", [(P, "10000.00"), (P, "9500.00")], "10000.00", "0.00"),
        ("29500.00", [(P, "10000.00"), (P, "9500.00"), (P, "10000.00")], "0.00", "0.00"),
        ("29500.00", [(P, "30000.00")], "0.00", "500.00"),
        ("29500.00", [(P, "30000.00"), (R, "500.00")], "0.00", "0.00"),
        ("0.00", [], "0.00", "0.00"),
    ],
)
def test_part_payments_add_up_and_the_balance_is_shown(charged, paid, due, credit):
    result = calc.account(D(charged), entries(*paid))

    assert (result.balance_due, result.credit) == (D(due), D(credit))


@pytest.mark.parametrize(
    ("filed", "ordered", "retained", "refundable"),
    [
        # Withdrawn before the application was filed: everything comes back.
        (False, False, "0.00", "2468689.69"),
        # After filing: the service keeps its fee and the GST on it (29,500).
        (True, False, "29500.00", "2439189.69"),
        # After the order went to the supplier: the goods too; never the unpaid duty.
        (True, True, "2122326.69", "346363.00"),
    ],
)
def test_refund_after_cancellation(filed, ordered, retained, refundable):
    kept, back = calc.refundable_after_stop(
        net_paid=D("2468689.69"),
        goods_charged=D("2092826.69"),
        service_charges=D("29500.00"),
        application_filed=filed,
        ordered_from_supplier=ordered,
    )

    assert (kept, back) == (D(retained), D(refundable))


def test_a_cancelled_case_paid_in_part_keeps_no_more_than_was_paid():
    kept, back = calc.refundable_after_stop(
        net_paid=D("10000.00"),
        goods_charged=D("100000.00"),
        service_charges=D("29500.00"),
        application_filed=True,
        ordered_from_supplier=False,
    )

    assert (kept, back) == (D("10000.00"), D("0.00"))


@pytest.mark.parametrize(
    ("actual", "difference"),
    [("17000", "450.00"), ("16000", "-550.00"), ("16550", "0.00")],
)
def test_the_actual_duty_replaces_the_estimate_on_the_final_invoice(actual, difference):
    quote = calc.quote(inputs())

    lines, diff = calc.final_lines(quote.lines, actual_duty=D(actual), estimate=quote.duty_total)

    assert diff == D(difference)
    assert [line.code for line in lines] == [
        "medicine",
        "customs_duty",
        "service_fee",
        "cgst",
        "sgst",
    ]
    assert sum(line.amount for line in lines) == quote.total + D(difference)


# --- formatting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("320000", "₹3,20,000.00"),
        ("999.5", "₹999.50"),
        ("1000", "₹1,000.00"),
        ("12345678.9", "₹1,23,45,678.90"),
        ("-2500", "-₹2,500.00"),
        ("0.005", "₹0.01"),
    ],
)
def test_rupees_use_indian_digit_grouping(amount, text):
    assert format_money(D(amount)) == text


def test_amounts_in_words_follow_lakhs_and_crores():
    assert rupees_in_words(D("320000")) == "Rupees three lakh twenty thousand only"
    assert rupees_in_words(D("24689.50")) == (
        "Rupees twenty-four thousand six hundred eighty-nine and fifty paise only"
    )
    assert rupees_in_words(D("12500000")) == "Rupees one crore twenty-five lakh only"


def test_amounts_in_hindi_words_follow_lakhs_and_crores_with_a_word_for_each_number():
    """Hindi names every number below a hundred with a word of its own (उनहत्तर, 69)."""
    assert rupees_in_hindi_words(D("320000")) == "तीन लाख बीस हज़ार रुपये मात्र"
    assert rupees_in_hindi_words(D("24689.50")) == ("चौबीस हज़ार छह सौ नवासी रुपये और पचास पैसे मात्र")
    assert rupees_in_hindi_words(D("12500000")) == "एक करोड़ पच्चीस लाख रुपये मात्र"
    assert rupees_in_hindi_words(D("1.01")) == "एक रुपया और एक पैसा मात्र"
    assert rupees_in_hindi_words(D("2468689.69")) == (
        "चौबीस लाख अड़सठ हज़ार छह सौ नवासी रुपये और उनहत्तर पैसे मात्र"
    )
    assert [number_in_hindi_words(n) for n in (19, 29, 79, 99, 100, 1000, 10**5)] == [
        "उन्नीस",
        "उनतीस",
        "उन्यासी",
        "निन्यानबे",
        "एक सौ",
        "एक हज़ार",
        "एक लाख",
    ]


def test_an_amount_in_words_is_in_the_papers_language():
    assert amount_in_words(D("320000"), "hi") == "तीन लाख बीस हज़ार रुपये मात्र"
    assert amount_in_words(D("320000"), "en") == "Rupees three lakh twenty thousand only"


def test_paise_and_rupee_rounding_go_half_up():
    assert to_paise(D("0.125")) == D("0.13")
    assert to_paise(D("0.124")) == D("0.12")
    assert to_rupee(D("10.50")) == D("11")
    assert to_rupee(D("10.49")) == D("10")


# --- properties ------------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
percent = st.decimals(min_value=0, max_value=40, places=3, allow_nan=False, allow_infinity=False)
rate = st.decimals(min_value="0.0001", max_value=200, places=4, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(
    packs=st.integers(min_value=1, max_value=12),
    unit_price=money,
    exchange_rate=rate,
    freight=st.one_of(
        money.map(lambda m: calc.Charge(flat=m)),
        percent.map(lambda p: calc.Charge(percent_of_fob=p)),
    ),
    insurance=percent.map(lambda p: calc.Charge(percent_of_fob=p)),
    basic=percent,
    surcharge=percent,
    igst=percent,
    fee=money,
    gst=percent,
    intra_state=st.booleans(),
    exemption=st.sampled_from([None, RARE_DISEASE, FREE_OF_COST]),
    goods_charged=st.booleans(),
)
def test_a_quotation_total_is_the_sum_of_its_lines_and_never_negative(
    packs,
    unit_price,
    exchange_rate,
    freight,
    insurance,
    basic,
    surcharge,
    igst,
    fee,
    gst,
    intra_state,
    exemption,
    goods_charged,
):
    result = calc.quote(
        calc.QuoteInputs(
            packs=packs,
            unit_price=unit_price,
            currency="USD",
            exchange_rate=exchange_rate,
            freight=freight,
            insurance=insurance,
            duty=calc.DutyRates(basic, surcharge, igst),
            service_fee=fee,
            gst_percent=gst,
            intra_state=intra_state,
            exemption=exemption,
            goods_charged=goods_charged,
        )
    )

    assert result.total == sum(line.amount for line in result.lines if line.in_total)
    assert all(line.amount >= 0 for line in result.lines)
    assert result.total >= 0
    assert all(line.amount == to_paise(line.amount) for line in result.lines)
    assert result.assessable_value == sum(
        line.amount for line in result.lines if line.code in ("goods_cost", "freight", "insurance")
    )
    for head in (result.basic_duty, result.surcharge, result.igst):
        assert head == head.to_integral_value()


@settings(max_examples=150, deadline=None)
@given(
    charged=money,
    payments=st.lists(
        st.tuples(st.sampled_from([P, P, R]), money.filter(lambda m: m > 0)), max_size=8
    ),
    data=st.data(),
)
def test_a_balance_never_goes_negative_and_does_not_depend_on_the_order_of_entries(
    charged, payments, data
):
    shuffled = data.draw(st.permutations(payments))

    first = calc.account(charged, entries(*payments))
    second = calc.account(charged, entries(*shuffled))

    assert first == second
    assert first.balance_due >= 0 and first.credit >= 0
    assert first.balance_due == 0 or first.credit == 0
    assert first.charged - first.net_paid == first.balance_due - first.credit


@pytest.mark.parametrize("exemption", [None, "free"], ids=["no exemption", "free of cost"])
def test_the_quotations_duty_lines_are_the_duty_lines_of_its_assessable_value(exemption):
    """One builder: the quotation's duty heads are duty_lines' (what the case record
    shows at the clearance rates), the same codes, rates and amounts, under the same
    names marked as an estimate."""
    claimed = FREE_OF_COST if exemption else None
    result = calc.quote(inputs(exemption=claimed, goods_charged=not exemption))
    assessed = calc.duty_lines(result.assessable_value, INDIA_2026, claimed)

    codes = [line.code for line in assessed]
    quoted = [line for line in result.lines if line.code in codes]
    assert [(line.code, line.rate, line.amount) for line in quoted] == [
        (line.code, line.rate, line.amount) for line in assessed
    ]
    assert [line.label for line in quoted] == [f"{line.label} (estimate)" for line in assessed]
    assert (result.basic_duty, result.surcharge, result.igst) == tuple(
        line.amount for line in assessed
    )
