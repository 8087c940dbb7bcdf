"""The arithmetic of a quotation, an account and a final invoice: pure functions of
their inputs, `Decimal` throughout, no database and no float.

Rounding rules (each tested in tests/billing/test_calculation.py):

1. A foreign amount (unit price x packs, freight, insurance) is kept to the cent
   (two places, half up) in the supplier's currency.
2. Each foreign amount is converted at the recorded rate (rupees per unit) and rounded
   to the paisa, half up. The assessable value (CIF) is the sum of the converted goods,
   freight and insurance, so the paper's lines add up to it.
3. Customs duty is computed head by head and each head is rounded to the nearest rupee,
   fifty paise going up (Customs Act 1962, s. 154A): basic duty on the assessable
   value; the social welfare surcharge on the rounded basic duty; IGST on the
   assessable value plus both rounded heads.
4. GST on the service fee is rounded to the paisa, half up, per tax head (CGST and
   SGST each at half the rate for a payer in the service's own state, IGST otherwise).
5. A total is the sum of its lines, already rounded: nothing is rounded twice.

Free-of-charge goods are still valued for customs (the assessable value is the price
list's), but their price is not charged to the payer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_noop

from orders.money import to_paise, to_rupee

HUNDRED = Decimal(100)
ZERO = Decimal("0.00")

# Customs Valuation Rules 2007, rule 10(2): when the cost of transport or of insurance
# is not known, 20% and 1.125% of the free-on-board value are added.
CUSTOMS_DEFAULT_FREIGHT_PERCENT = Decimal("20")
CUSTOMS_DEFAULT_INSURANCE_PERCENT = Decimal("1.125")


class Audience:
    """Who may read a line: the payer's paper, or the coordinators only (supplier
    cost prices, freight and insurance: what the service pays its suppliers)."""

    PAYER = "payer"
    INTERNAL = "internal"


@dataclass(frozen=True)
class Charge:
    """Freight or insurance: a flat amount in the goods' currency, or a percentage of
    the free-on-board value."""

    flat: Decimal | None = None
    percent_of_fob: Decimal | None = None
    basis: str = ""

    def amount(self, fob: Decimal) -> Decimal:
        if self.flat is not None:
            return to_paise(self.flat)
        return to_paise(fob * (self.percent_of_fob or 0) / HUNDRED)


@dataclass(frozen=True)
class DutyRates:
    basic_percent: Decimal
    surcharge_percent_of_basic: Decimal
    igst_percent: Decimal
    effective_from: dt.date | None = None
    source: str = ""


@dataclass(frozen=True)
class Exemption:
    code: str
    label: str
    basic_nil: bool
    igst_nil: bool
    certificate: str = ""
    source: str = ""


@dataclass(frozen=True)
class QuoteInputs:
    packs: int
    unit_price: Decimal
    currency: str
    exchange_rate: Decimal  # rupees for one unit of `currency`
    freight: Charge
    insurance: Charge
    duty: DutyRates
    service_fee: Decimal
    gst_percent: Decimal
    intra_state: bool
    exemption: Exemption | None = None
    goods_charged: bool = True

    def problems(self) -> list[str]:
        found = []
        if self.packs <= 0:
            found.append("a quantity of at least one pack")
        for name in ("unit_price", "exchange_rate", "service_fee", "gst_percent"):
            if getattr(self, name) < 0:
                found.append(f"a {name.replace('_', ' ')} that is not negative")
        if self.exchange_rate <= 0:
            found.append("an exchange rate above zero")
        rates = self.duty
        if min(rates.basic_percent, rates.surcharge_percent_of_basic, rates.igst_percent) < 0:
            found.append("duty rates that are not negative")
        for charge in (self.freight, self.insurance):
            if (charge.flat or 0) < 0 or (charge.percent_of_fob or 0) < 0:
                found.append("freight and insurance that are not negative")
        return found


@dataclass(frozen=True)
class Line:
    code: str
    label: str
    amount: Decimal  # rupees
    audience: str = Audience.PAYER
    in_total: bool = True  # counts towards what the payer is charged
    rate: Decimal | None = None  # percent, where the line applies one
    foreign: Decimal | None = None
    currency: str = ""
    code_hsn_sac: str = ""


@dataclass(frozen=True)
class Quote:
    lines: tuple[Line, ...]
    fob_foreign: Decimal
    freight_foreign: Decimal
    insurance_foreign: Decimal
    assessable_value: Decimal
    basic_duty: Decimal
    surcharge: Decimal
    igst: Decimal
    goods_charged: Decimal
    service_fee: Decimal
    service_tax: Decimal
    total: Decimal

    @property
    def duty_total(self) -> Decimal:
        return self.basic_duty + self.surcharge + self.igst

    @property
    def duty_percent_of_assessable(self) -> Decimal:
        if not self.assessable_value:
            return ZERO
        return to_paise(self.duty_total * HUNDRED / self.assessable_value)


class CalculationError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Cannot quote: " + "; ".join(problems) + ".")


def duty_heads(
    assessable_value: Decimal, rates: DutyRates, exemption: Exemption | None = None
) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    """(basic rate, basic duty, surcharge, IGST rate, IGST), each head rounded to the
    rupee (rule 3). An exemption makes basic duty or IGST nil; the surcharge, a share
    of the basic duty, follows it."""
    basic_rate = ZERO if exemption and exemption.basic_nil else Decimal(rates.basic_percent)
    igst_rate = ZERO if exemption and exemption.igst_nil else Decimal(rates.igst_percent)
    basic = to_rupee(assessable_value * basic_rate / HUNDRED)
    surcharge = to_rupee(basic * Decimal(rates.surcharge_percent_of_basic) / HUNDRED)
    igst = to_rupee((assessable_value + basic + surcharge) * igst_rate / HUNDRED)
    return basic_rate, basic, surcharge, igst_rate, igst


@dataclass(frozen=True)
class DutyLine:
    """One head of customs duty: its rate (percent), what it is charged on, and the
    amount rounded to the rupee. The codes are the quotation's duty lines'."""

    code: str
    label: str
    rate: Decimal
    base: Decimal
    amount: Decimal


# Each head's name on a paper of the duty assessed (the case record), and on the
# quotation, where it is the same name marked as an estimate (a catalogue word,
# translated where shown).
DUTY_HEAD_LABELS = {
    "basic_duty": ("Basic customs duty", gettext_noop("Basic customs duty (estimate)")),
    "surcharge": (
        "Social welfare surcharge",
        gettext_noop("Social welfare surcharge (estimate)"),
    ),
    "igst_import": ("IGST on import", gettext_noop("IGST on import (estimate)")),
}


def duty_lines(
    assessable_value: Decimal,
    rates: DutyRates,
    exemption: Exemption | None = None,
    *,
    estimate: bool = False,
) -> tuple[DutyLine, DutyLine, DutyLine]:
    """Basic customs duty, the social welfare surcharge and IGST, each with the base it
    is charged on: the heads of `duty_heads`, so the quotation (`estimate`) and a paper
    of the duty assessed show the same lines under the same names."""
    value = to_paise(Decimal(assessable_value))
    basic_rate, basic, surcharge, igst_rate, igst = duty_heads(value, rates, exemption)
    heads = (
        ("basic_duty", basic_rate, value, basic),
        ("surcharge", Decimal(rates.surcharge_percent_of_basic), basic, surcharge),
        ("igst_import", igst_rate, value + basic + surcharge, igst),
    )
    basic_line, surcharge_line, igst_line = (
        DutyLine(code, _duty_label(code, estimate=estimate), rate, base, amount)
        for code, rate, base, amount in heads
    )
    return basic_line, surcharge_line, igst_line


def _duty_label(code: str, *, estimate: bool) -> str:
    assessed, estimated = DUTY_HEAD_LABELS[code]
    return estimated if estimate else assessed


def service_tax_lines(fee: Decimal, gst_percent: Decimal, *, intra_state: bool) -> list[Line]:
    """GST on the service fee: CGST and SGST at half the rate each within the service's
    state, IGST across states (rule 4)."""
    if intra_state:
        half = Decimal(gst_percent) / 2
        amount = to_paise(fee * half / HUNDRED)
        return [
            Line("cgst", gettext_noop("CGST on the service fee"), amount, rate=half),
            Line("sgst", gettext_noop("SGST on the service fee"), amount, rate=half),
        ]
    return [
        Line(
            "igst_service",
            gettext_noop("IGST on the service fee"),
            to_paise(fee * Decimal(gst_percent) / HUNDRED),
            rate=Decimal(gst_percent),
        )
    ]


def quote(inputs: QuoteInputs, *, hsn: str = "", sac: str = "") -> Quote:
    """Every line of a quotation, and its total, from `inputs`."""
    problems = inputs.problems()
    if problems:
        raise CalculationError(problems)
    rate = Decimal(inputs.exchange_rate)
    fob = to_paise(Decimal(inputs.unit_price) * inputs.packs)
    freight = inputs.freight.amount(fob)
    insurance = inputs.insurance.amount(fob)
    goods_inr = to_paise(fob * rate)
    freight_inr = to_paise(freight * rate)
    insurance_inr = to_paise(insurance * rate)
    assessable = goods_inr + freight_inr + insurance_inr
    duty = duty_lines(assessable, inputs.duty, inputs.exemption, estimate=True)
    basic, surcharge, igst = (line.amount for line in duty)
    charged = assessable if inputs.goods_charged else ZERO
    fee = to_paise(Decimal(inputs.service_fee))
    taxes = service_tax_lines(fee, inputs.gst_percent, intra_state=inputs.intra_state)
    currency = inputs.currency
    internal = Audience.INTERNAL
    lines = [
        Line(
            "goods_cost",
            "Supplier's price",
            goods_inr,
            audience=internal,
            in_total=False,
            foreign=fob,
            currency=currency,
            rate=None,
        ),
        Line(
            "freight",
            "Freight" + (f" ({inputs.freight.basis})" if inputs.freight.basis else ""),
            freight_inr,
            audience=internal,
            in_total=False,
            foreign=freight,
            currency=currency,
        ),
        Line(
            "insurance",
            "Insurance" + (f" ({inputs.insurance.basis})" if inputs.insurance.basis else ""),
            insurance_inr,
            audience=internal,
            in_total=False,
            foreign=insurance,
            currency=currency,
        ),
        Line(
            "medicine",
            gettext_noop("Medicine delivered to India (cost, insurance and freight)")
            if inputs.goods_charged
            else gettext_noop("Medicine supplied free of charge by the manufacturer"),
            charged,
            code_hsn_sac=hsn,
        ),
        *[Line(d.code, d.label, d.amount, rate=d.rate) for d in duty],
        Line("service_fee", gettext_noop("Service fee"), fee, code_hsn_sac=sac),
        *[Line(t.code, t.label, t.amount, rate=t.rate, code_hsn_sac=sac) for t in taxes],
    ]
    total = sum((line.amount for line in lines if line.in_total), ZERO)
    return Quote(
        lines=tuple(lines),
        fob_foreign=fob,
        freight_foreign=freight,
        insurance_foreign=insurance,
        assessable_value=assessable,
        basic_duty=basic,
        surcharge=surcharge,
        igst=igst,
        goods_charged=charged,
        service_fee=fee,
        service_tax=sum((t.amount for t in taxes), ZERO),
        total=total,
    )


# --- The account: what was charged, paid and refunded -------------------------------


class EntryKind:
    PAYMENT = "payment"
    REFUND = "refund"


@dataclass(frozen=True)
class Entry:
    kind: str
    amount: Decimal


@dataclass(frozen=True)
class Account:
    charged: Decimal
    paid: Decimal
    refunded: Decimal
    balance_due: Decimal = field(default=ZERO)
    credit: Decimal = field(default=ZERO)

    @property
    def net_paid(self) -> Decimal:
        return self.paid - self.refunded


def account(charged: Decimal, entries: Iterable[Entry]) -> Account:
    """The balance of a case: sums, so the order payments were entered does not matter.
    `balance_due` and `credit` are never negative: one of them is zero."""
    paid = refunded = ZERO
    for entry in entries:
        if entry.amount <= 0:
            raise CalculationError(["an amount above zero"])
        if entry.kind == EntryKind.PAYMENT:
            paid += to_paise(entry.amount)
        elif entry.kind == EntryKind.REFUND:
            refunded += to_paise(entry.amount)
        else:
            raise CalculationError([f"a known kind of entry, not {entry.kind!r}"])
    net = paid - refunded
    charged = to_paise(charged)
    return Account(
        charged=charged,
        paid=paid,
        refunded=refunded,
        balance_due=max(charged - net, ZERO),
        credit=max(net - charged, ZERO),
    )


def refundable_after_stop(
    *,
    net_paid: Decimal,
    goods_charged: Decimal,
    service_charges: Decimal,
    application_filed: bool,
    ordered_from_supplier: bool,
) -> tuple[Decimal, Decimal]:
    """(retained, refundable) when a case is cancelled or rejected before delivery.

    The service keeps its fee and the GST on it once the application was filed with the
    regulator (the work was done), and the price of the goods once the order went to
    the supplier; customs duty was never paid, so its estimate is refunded in full."""
    retained = ZERO
    if application_filed:
        retained += service_charges
    if ordered_from_supplier:
        retained += goods_charged
    retained = min(retained, max(net_paid, ZERO))
    return retained, max(net_paid - retained, ZERO)


# --- The final invoice: the quotation with the duty customs actually assessed -------


def final_lines(
    quote_lines: Iterable[Line], *, actual_duty: Decimal | None, estimate: Decimal
) -> tuple[list[Line], Decimal]:
    """The tax invoice's lines: the quotation's payer lines with the three duty
    estimates replaced by the duty on the Bill of Entry (or kept when customs assessed
    none yet). Returns the lines and the difference, actual minus estimate."""
    duty_codes = {"basic_duty", "surcharge", "igst_import"}
    kept = [line for line in quote_lines if line.in_total and line.code not in duty_codes]
    if actual_duty is None:
        duty = [line for line in quote_lines if line.code in duty_codes]
        return [*kept[:1], *duty, *kept[1:]], ZERO
    duty_line = Line(
        "customs_duty",
        gettext_noop("Customs duty paid, per the Bill of Entry"),
        to_paise(actual_duty),
    )
    return [*kept[:1], duty_line, *kept[1:]], to_paise(actual_duty) - estimate
