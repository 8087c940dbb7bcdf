"""Which price and which rates were in force on a date: the latest row that took effect
on or before it. A quotation asks once, and keeps what it was given (`basis`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q

from billing.calculation import (
    CUSTOMS_DEFAULT_FREIGHT_PERCENT,
    CUSTOMS_DEFAULT_INSURANCE_PERCENT,
    Charge,
    DutyLine,
    DutyRates,
    Exemption,
    duty_lines,
)
from billing.models import (
    DutyExemptionRule,
    DutyRate,
    ExchangeRate,
    FreightRate,
    Incoterm,
    ProductTariff,
    RateClass,
    ServiceFee,
    ServiceTaxRate,
    SupplierPrice,
)
from orders.display import format_money
from orders.errors import DomainError
from orders.models import ImportCase, Supplier

# Terms under which the supplier's price already pays carriage and insurance to India.
CARRIAGE_INCLUDED = (Incoterm.CIP, Incoterm.DAP, Incoterm.DDP)
INSURANCE_INCLUDED = (Incoterm.CIP, Incoterm.DAP, Incoterm.DDP)


class RatesMissing(DomainError):
    def __init__(self, missing: list[str], cannot: str = "Cannot quote yet") -> None:
        self.missing = missing
        super().__init__(f"{cannot}. Missing: " + "; ".join(missing) + ".")


@dataclass(frozen=True)
class Basis:
    """Everything a quotation is computed from, with where each figure came from."""

    supplier: Supplier
    price: SupplierPrice
    tariff_hsn: str
    rate_class: str
    exchange_rate: ExchangeRate | None
    freight: Charge
    insurance: Charge
    freight_row: FreightRate | None
    duty: DutyRate
    exemption: DutyExemptionRule | None
    fee: ServiceFee
    gst: ServiceTaxRate

    @property
    def rupees_per_unit(self) -> Decimal:
        return self.exchange_rate.rupees_per_unit if self.exchange_rate else Decimal(1)

    def duty_rates(self) -> DutyRates:
        return _duty_rates(self.duty)

    def exemption_rule(self) -> Exemption | None:
        return _exemption(self.exemption)

    def as_record(self) -> dict[str, Any]:
        """The basis as JSON for the quotation: each figure with its date and source."""
        rate = self.exchange_rate
        return {
            "supplier": {"id": self.supplier.pk, "name": self.supplier.name},
            "price": {
                "id": self.price.pk,
                "currency": self.price.currency,
                "unit_price": str(self.price.unit_price),
                "valid_from": self.price.valid_from.isoformat(),
                "incoterm": self.price.incoterm,
                "named_place": self.price.named_place,
                "payment_terms": self.price.payment_terms,
                "source": self.price.source,
            },
            "hsn": self.tariff_hsn,
            "rate_class": self.rate_class,
            "exchange_rate": {
                "id": rate.pk if rate else None,
                "currency": self.price.currency,
                "rupees_per_unit": str(self.rupees_per_unit),
                "date": rate.rate_date.isoformat() if rate else "",
                "source": rate.source if rate else "Priced in rupees",
            },
            "freight": {"basis": self.freight.basis, "row": getattr(self.freight_row, "pk", None)},
            "insurance": {"basis": self.insurance.basis},
            "duty": {
                "id": self.duty.pk,
                "effective_from": self.duty.effective_from.isoformat(),
                "basic_percent": str(self.duty.basic_percent),
                "surcharge_percent_of_basic": str(self.duty.surcharge_percent_of_basic),
                "igst_percent": str(self.duty.igst_percent),
                "source": self.duty.source,
            },
            "exemption": {
                "code": self.exemption.exemption,
                "label": self.exemption.get_exemption_display(),
                "effective_from": self.exemption.effective_from.isoformat(),
                "basic_nil": self.exemption.basic_nil,
                "igst_nil": self.exemption.igst_nil,
                "certificate": self.exemption.certificate,
                "source": self.exemption.source,
            }
            if self.exemption
            else None,
            "service_fee": {
                "id": self.fee.pk,
                "description": self.fee.description,
                "amount": str(self.fee.amount),
                "amount_text": format_money(self.fee.amount),
                "sac": self.fee.sac_code,
                "effective_from": self.fee.effective_from.isoformat(),
            },
            "gst": {
                "id": self.gst.pk,
                "percent": str(self.gst.gst_percent),
                "effective_from": self.gst.effective_from.isoformat(),
                "source": self.gst.source,
            },
        }


def _duty_rates(row: DutyRate) -> DutyRates:
    return DutyRates(
        basic_percent=row.basic_percent,
        surcharge_percent_of_basic=row.surcharge_percent_of_basic,
        igst_percent=row.igst_percent,
        effective_from=row.effective_from,
        source=row.source,
    )


def _exemption(rule: DutyExemptionRule | None) -> Exemption | None:
    if rule is None:
        return None
    return Exemption(
        code=rule.exemption,
        label=rule.get_exemption_display(),
        basic_nil=rule.basic_nil,
        igst_nil=rule.igst_nil,
        certificate=rule.certificate,
        source=rule.source,
    )


def _in_force(queryset, on: dt.date, field: str = "effective_from"):
    return queryset.filter(**{f"{field}__lte": on}).order_by(f"-{field}", "-pk").first()


def _valid_on(queryset, on: dt.date):
    return (
        queryset.filter(valid_from__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .order_by("-valid_from", "-pk")
        .first()
    )


def default_supplier(case: ImportCase) -> Supplier | None:
    """The supplier the case will order from: the current shipment's, else one with a
    price for the product (the manufacturer first)."""
    shipment = case.current_shipment
    if shipment is not None and shipment.supplier_id:
        return shipment.supplier
    priced = Supplier.objects.filter(prices__product=case.product).distinct()
    return (
        priced.filter(kind=Supplier.Kind.MANUFACTURER).order_by("pk").first()
        or priced.order_by("pk").first()
    )


def basis_for(
    case: ImportCase, *, on: dt.date, exemption: str = "", supplier: Supplier | None = None
) -> Basis:
    """The figures in force on `on` for quoting `case`; names everything missing."""
    missing: list[str] = []
    supplier = supplier or default_supplier(case)
    price = None
    if supplier is None:
        missing.append(f"a supplier with a price for {case.product.brand_name}")
    else:
        price = _valid_on(SupplierPrice.objects.filter(supplier=supplier, product=case.product), on)
        if price is None:
            missing.append(
                f"{supplier.name}'s price for {case.product.brand_name} on {on:%d %b %Y}"
            )
    tariff, rate_class, duty, rule = _duty_in_force(case, on, exemption, missing)
    rate = None
    if price is not None and price.currency != "INR":
        rate = _in_force(ExchangeRate.objects.filter(currency=price.currency), on, "rate_date")
        if rate is None:
            missing.append(
                f"an exchange rate for {price.currency} dated on or before {on:%d %b %Y}"
            )
    fee = _in_force(ServiceFee.objects.filter(pathway=case.pathway), on)
    if fee is None:
        missing.append("the service fee")
    gst = _in_force(ServiceTaxRate.objects.all(), on)
    if gst is None:
        missing.append("the GST rate on the service fee")
    freight_row = None
    freight = insurance = Charge(flat=Decimal(0))
    if price is not None:
        freight_row = _valid_on(FreightRate.objects.filter(supplier=supplier), on)
        freight, insurance = _carriage(price, freight_row)
    if missing:
        raise RatesMissing(missing)
    return Basis(
        supplier=supplier,
        price=price,
        tariff_hsn=tariff.hsn_code,
        rate_class=rate_class,
        exchange_rate=rate,
        freight=freight,
        insurance=insurance,
        freight_row=freight_row,
        duty=duty,
        exemption=rule,
        fee=fee,
        gst=gst,
    )


def _duty_in_force(
    case: ImportCase, on: dt.date, exemption: str, missing: list[str]
) -> tuple[ProductTariff | None, str, DutyRate | None, DutyExemptionRule | None]:
    """The product's tariff, its rate class, the duty rates of that class and the
    exemption's rule in force on `on`; what is not found is added to `missing`."""
    tariff = ProductTariff.objects.filter(product=case.product).first()
    rate_class = tariff.rate_class if tariff else RateClass.MEDICINE
    if tariff is None:
        missing.append(f"the HSN code of {case.product.brand_name} (product tariff)")
    elif exemption == "rare_disease" and not tariff.rare_disease_listed:
        missing.append(
            f"{case.product.brand_name} on the national list of rare diseases' drugs "
            "(the rare-disease exemption does not apply)"
        )
    duty = _in_force(DutyRate.objects.filter(pathway=case.pathway, rate_class=rate_class), on)
    if duty is None:
        missing.append(f"the duty rates of the {case.pathway.name} pathway on {on:%d %b %Y}")
    rule = None
    if exemption:
        rule = _in_force(
            DutyExemptionRule.objects.filter(pathway=case.pathway, exemption=exemption), on
        )
        if rule is None:
            missing.append(f"the rule of the {exemption.replace('_', ' ')} exemption")
    return tariff, rate_class, duty, rule


@dataclass(frozen=True)
class CustomsDuty:
    """The customs duty on an assessable value with the rates in force on a date."""

    assessable_value: Decimal
    on: dt.date
    lines: tuple[DutyLine, ...]
    rates: DutyRates
    exemption: Exemption | None

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def customs_duty(case: ImportCase, assessable_value: Decimal, *, on: dt.date) -> CustomsDuty:
    """Basic customs duty, the social welfare surcharge and IGST on `assessable_value`
    at the rates of the case's product (its rate class) in force on `on`, with the
    exemption the case claims; each head rounded to the rupee as a quotation's.
    Raises RatesMissing naming what is not there."""
    missing: list[str] = []
    _, _, duty, rule = _duty_in_force(case, on, case.duty_exemption, missing)
    if missing:
        raise RatesMissing(missing, "Cannot compute the duty")
    rates, exemption = _duty_rates(duty), _exemption(rule)
    return CustomsDuty(
        assessable_value=Decimal(assessable_value),
        on=on,
        lines=duty_lines(Decimal(assessable_value), rates, exemption),
        rates=rates,
        exemption=exemption,
    )


def _carriage(price: SupplierPrice, row: FreightRate | None) -> tuple[Charge, Charge]:
    """Freight and insurance on top of the supplier's price: none when its Incoterm
    already pays them; the supplier's freight rate; else customs' own assumption."""
    term = price.incoterm
    if term in CARRIAGE_INCLUDED:
        included = Charge(flat=Decimal(0), basis=f"included in the {term} price")
        return included, included
    if row is not None and row.currency == price.currency:
        freight = (
            Charge(flat=row.freight_flat, basis=row.route)
            if row.freight_flat is not None
            else Charge(percent_of_fob=row.freight_percent, basis=f"{row.freight_percent}% of FOB")
        )
        insurance = (
            Charge(flat=row.insurance_flat, basis="flat")
            if row.insurance_flat is not None
            else Charge(
                percent_of_fob=row.insurance_percent, basis=f"{row.insurance_percent}% of FOB"
            )
        )
        return freight, insurance
    rule = "not known: Customs Valuation Rules 2007, rule 10(2)"
    return (
        Charge(
            percent_of_fob=CUSTOMS_DEFAULT_FREIGHT_PERCENT,
            basis=f"{CUSTOMS_DEFAULT_FREIGHT_PERCENT}% of FOB, {rule}",
        ),
        Charge(
            percent_of_fob=CUSTOMS_DEFAULT_INSURANCE_PERCENT,
            basis=f"{CUSTOMS_DEFAULT_INSURANCE_PERCENT}% of FOB, {rule}",
        ),
    )


def price_for(supplier: Supplier | None, case: ImportCase, on: dt.date) -> SupplierPrice | None:
    """The supplier's price for the case's product on `on` (the purchase order's)."""
    if supplier is None:
        return None
    return _valid_on(SupplierPrice.objects.filter(supplier=supplier, product=case.product), on)
