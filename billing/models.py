"""Money on an import case: prices and rates as dated data, who pays, quotations and
their lines, payments and refunds, and the invoices and credit notes issued.

Rates and prices are never overwritten: a new rate is a new row with the date it takes
effect, its source and who entered it, so a quotation can always say which rate it
used. A quotation keeps a copy of every figure it was made from; once accepted it is
frozen (`Quotation.save` and its lines refuse a change). Payments and invoices are
append-only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_noop

from billing.gst import STATE_CHOICES, gstin_problems
from orders.errors import DomainError
from orders.models import DutyExemption, ImportCase, Pathway, Product, Supplier
from orders.money import QuotationStatus, to_paise


class FrozenError(DomainError):
    """A record the law or an acceptance fixed was asked to change."""


def _entered_by():
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for the rates the system was installed with.",
    )


class RateClass(models.TextChoices):
    MEDICINE = "medicine", "Medicines (IGST 5% since 22 September 2025)"
    LISTED_NIL = "listed_nil", "Listed life-saving and rare-disease drugs (IGST nil)"


class DutyRate(models.Model):
    """Customs duty on a class of medicine from a date: basic duty, the social welfare
    surcharge (a share of the basic duty) and IGST."""

    pathway = models.ForeignKey(Pathway, on_delete=models.PROTECT, related_name="duty_rates")
    rate_class = models.CharField(max_length=20, choices=RateClass.choices)
    effective_from = models.DateField()
    basic_percent = models.DecimalField(max_digits=6, decimal_places=3)
    surcharge_percent_of_basic = models.DecimalField(max_digits=6, decimal_places=3)
    igst_percent = models.DecimalField(max_digits=6, decimal_places=3)
    source = models.CharField(max_length=300, help_text="Notification or circular.")
    entered_by = _entered_by()
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pathway", "rate_class", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["pathway", "rate_class", "effective_from"], name="duty_rate_unique_date"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_rate_class_display()} from {self.effective_from}: basic "
            f"{self.basic_percent}%, IGST {self.igst_percent}%"
        )


class DutyExemptionRule(models.Model):
    """What an exemption removes (basic duty, IGST) from a date, and the certificate
    the importer must hold."""

    pathway = models.ForeignKey(
        Pathway, on_delete=models.PROTECT, related_name="duty_exemption_rules"
    )
    exemption = models.CharField(max_length=30, choices=[c for c in DutyExemption.choices if c[0]])
    effective_from = models.DateField()
    basic_nil = models.BooleanField()
    igst_nil = models.BooleanField()
    certificate = models.CharField(max_length=300)
    source = models.CharField(max_length=300)
    entered_by = _entered_by()
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pathway", "exemption", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["pathway", "exemption", "effective_from"],
                name="exemption_rule_unique_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_exemption_display()} from {self.effective_from}"


class ProductTariff(models.Model):
    """How customs and GST classify a product."""

    product = models.OneToOneField(Product, on_delete=models.PROTECT, related_name="tariff")
    hsn_code = models.CharField(max_length=8, help_text="e.g. 30049099")
    rate_class = models.CharField(
        max_length=20, choices=RateClass.choices, default=RateClass.MEDICINE
    )
    rare_disease_listed = models.BooleanField(
        default=False, help_text="On the national list of rare diseases' drugs."
    )

    def __str__(self) -> str:
        return f"{self.product.brand_name}: HSN {self.hsn_code}"


class ExchangeRate(models.Model):
    """Rupees for one unit of a currency on a date, as a coordinator entered it from its
    source (customs notifies the rate for imports); nothing is fetched."""

    currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. USD")
    rupees_per_unit = models.DecimalField(max_digits=12, decimal_places=4)
    rate_date = models.DateField()
    source = models.CharField(max_length=300)
    entered_by = _entered_by()
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-rate_date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "rate_date"], name="exchange_rate_unique"),
            models.CheckConstraint(
                condition=Q(rupees_per_unit__gt=0), name="exchange_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} = ₹{self.rupees_per_unit} on {self.rate_date}"


class Incoterm(models.TextChoices):
    EXW = "EXW", "EXW Ex works"
    FCA = "FCA", "FCA Free carrier"
    CPT = "CPT", "CPT Carriage paid to"
    CIP = "CIP", "CIP Carriage and insurance paid to"
    DAP = "DAP", "DAP Delivered at place"
    DDP = "DDP", "DDP Delivered duty paid"


class SupplierPrice(models.Model):
    """One line of a supplier's price list: a pack of a product, from a date."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="prices")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="prices")
    currency = models.CharField(max_length=3)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, help_text="Per pack.")
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    incoterm = models.CharField(max_length=3, choices=Incoterm.choices, default=Incoterm.CIP)
    named_place = models.CharField(
        max_length=200, blank=True, help_text="Empty: the case's port of entry."
    )
    payment_terms = models.CharField(max_length=200, default="100% in advance of shipment")
    source = models.CharField(max_length=300, blank=True, help_text="Price list or quote.")
    entered_by = _entered_by()
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["supplier", "product", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product.brand_name} from {self.supplier}: {self.currency} {self.unit_price}"

    def clean(self) -> None:
        if self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError("A price cannot end before it starts.")
        overlapping = SupplierPrice.objects.filter(
            supplier_id=self.supplier_id, product_id=self.product_id
        ).exclude(pk=self.pk)
        for other in overlapping:
            ends = other.valid_until or dt.date.max
            if other.valid_from <= (self.valid_until or dt.date.max) and self.valid_from <= ends:
                raise ValidationError(
                    f"The price from {other.valid_from} covers some of these dates: "
                    "end it first (set its last day)."
                )


class FreightRate(models.Model):
    """Freight and insurance from a supplier to India: flat amounts in the supplier's
    currency, or a percentage of the goods' value."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="freight_rates")
    route = models.CharField(max_length=200, help_text="e.g. Air courier, Toronto to Bengaluru")
    currency = models.CharField(max_length=3)
    freight_flat = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    freight_percent = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    insurance_flat = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    insurance_percent = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    entered_by = _entered_by()
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["supplier", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.supplier}: {self.route} from {self.valid_from}"

    def clean(self) -> None:
        for what in ("freight", "insurance"):
            flat, percent = getattr(self, f"{what}_flat"), getattr(self, f"{what}_percent")
            if (flat is None) == (percent is None):
                raise ValidationError(f"Give the {what} as a flat amount or a percentage.")


class ServiceFee(models.Model):
    """The service's fee for an import on a pathway, from a date, and its SAC code."""

    pathway = models.ForeignKey(Pathway, on_delete=models.PROTECT, related_name="service_fees")
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="Rupees, before GST.")
    sac_code = models.CharField(max_length=6, help_text="Services accounting code")
    effective_from = models.DateField()
    entered_by = _entered_by()
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pathway", "-effective_from"]

    def __str__(self) -> str:
        return f"{self.description} from {self.effective_from}: ₹{self.amount}"


class ServiceTaxRate(models.Model):
    """GST on the service fee from a date (18% as of 2026)."""

    gst_percent = models.DecimalField(max_digits=5, decimal_places=2)
    effective_from = models.DateField(unique=True)
    source = models.CharField(max_length=300)
    entered_by = _entered_by()
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"GST {self.gst_percent}% from {self.effective_from}"


# --- Who pays ---------------------------------------------------------------------------


class PayerKind(models.TextChoices):
    # Marked for the catalogue, plain English here: the money papers print the label
    # recorded with the payer in their reader's language (documents.generation.money).
    PATIENT = "patient", gettext_noop("The patient")
    FAMILY = "family", gettext_noop("A family member")
    HOSPITAL = "hospital", gettext_noop("The hospital")
    INSURER = "insurer", gettext_noop("An insurer")
    CHARITY = "charity", gettext_noop("A charity")
    MANUFACTURER_FREE = "manufacturer_free", gettext_noop("Free of charge from the manufacturer")


# The patient reads the money papers of a case paid by themself or their family;
# the physician accepts for the hospital; the others accept through a coordinator.
PAID_BY_PATIENT_SIDE = (PayerKind.PATIENT, PayerKind.FAMILY)


class Payer(models.Model):
    case = models.OneToOneField(ImportCase, on_delete=models.PROTECT, related_name="payer")
    kind = models.CharField(max_length=20, choices=PayerKind.choices)
    name = models.CharField(max_length=200, help_text="Billing name")
    address = models.TextField()
    state = models.CharField(max_length=60, choices=STATE_CHOICES, help_text="Place of supply")
    postal_code = models.CharField(max_length=10)
    gstin = models.CharField(max_length=15, blank=True, verbose_name="GSTIN")
    email = models.EmailField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}) for {self.case}"

    def clean(self) -> None:
        if self.gstin:
            self.gstin = self.gstin.strip().upper()
            problems = gstin_problems(self.gstin, state=self.state)
            if problems:
                raise ValidationError({"gstin": "Enter " + "; ".join(problems) + "."})

    @property
    def patient_side(self) -> bool:
        return self.kind in PAID_BY_PATIENT_SIDE

    def snapshot(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "kind_label": self.get_kind_display(),
            "name": self.name,
            "address": self.address,
            "state": self.state,
            "postal_code": self.postal_code,
            "gstin": self.gstin,
            "email": self.email,
        }


# --- Quotations -----------------------------------------------------------------------


MONEY = {"max_digits": 14, "decimal_places": 2}

# What may still change on an accepted quotation: being superseded by a newer accepted
# version, and a coordinator's waiver of its payment. Nothing about its money.
CHANGEABLE_AFTER_ACCEPTANCE = frozenset(
    {"status", "waived_at", "waived_by", "waived_by_id", "waiver_reason"}
)


class QuotationQuerySet(models.QuerySet["Quotation"]):
    def accepted(self) -> QuotationQuerySet:
        return self.filter(status=QuotationStatus.ACCEPTED)

    def update(self, **kwargs):
        if set(kwargs) - CHANGEABLE_AFTER_ACCEPTANCE and self.accepted().exists():
            raise FrozenError("An accepted quotation cannot change.")
        return super().update(**kwargs)


class Quotation(models.Model):
    case = models.ForeignKey(ImportCase, on_delete=models.PROTECT, related_name="quotations")
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=QuotationStatus.choices, default=QuotationStatus.ISSUED
    )
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    quoted_on = models.DateField(help_text="The date whose rates and prices it uses.")
    valid_until = models.DateField()
    # Every figure the quotation was made from, with its date and source.
    basis = models.JSONField(default=dict)
    payer = models.JSONField(default=dict)
    currency = models.CharField(max_length=3)
    packs = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    exchange_rate = models.DecimalField(max_digits=12, decimal_places=4)
    exchange_rate_date = models.DateField()
    exchange_rate_source = models.CharField(max_length=300)
    exemption = models.CharField(max_length=30, choices=DutyExemption.choices, blank=True)
    assessable_value = models.DecimalField(**MONEY)
    basic_duty = models.DecimalField(**MONEY)
    surcharge = models.DecimalField(**MONEY)
    igst = models.DecimalField(**MONEY)
    goods_charged = models.DecimalField(**MONEY)
    service_fee = models.DecimalField(**MONEY)
    service_tax = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acceptance_note = models.TextField(
        blank=True, help_text="How an acceptance given by phone or email was received."
    )
    payment_due_on = models.DateField(null=True, blank=True)
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    waiver_reason = models.TextField(blank=True)

    objects = QuotationQuerySet.as_manager()

    class Meta:
        ordering = ["case", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="quotation_unique_version"),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status=QuotationStatus.ACCEPTED),
                name="one_accepted_quotation_per_case",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="quotation_total_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Quotation v{self.version} for {self.case}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = Quotation.objects.filter(pk=self.pk).values().first()
            if stored and stored["status"] == QuotationStatus.ACCEPTED:
                changed = {
                    f.attname
                    for f in self._meta.concrete_fields
                    if stored[f.attname] != getattr(self, f.attname)
                }
                if changed - CHANGEABLE_AFTER_ACCEPTANCE:
                    raise FrozenError(
                        f"Quotation v{self.version} of {self.case} is accepted and cannot "
                        f"change ({', '.join(sorted(changed))}): issue a new version."
                    )
        super().save(*args, **kwargs)

    @property
    def duty_total(self) -> Decimal:
        return self.basic_duty + self.surcharge + self.igst

    @property
    def is_accepted(self) -> bool:
        return self.status == QuotationStatus.ACCEPTED

    @property
    def waived(self) -> bool:
        return self.waived_at is not None

    @property
    def balance_due(self) -> Decimal:
        """What the payer still owes on this quotation: its total less what was paid on
        the case, net of refunds (never below zero). Read by the domain's guard."""
        return max(self.total - net_paid(self.case_id), Decimal("0.00"))

    def delete(self, *args, **kwargs):
        raise FrozenError("A quotation is part of the case's record: it is never deleted.")


class QuotationLineQuerySet(models.QuerySet["QuotationLine"]):
    def payer_lines(self) -> QuotationLineQuerySet:
        return self.filter(audience="payer")

    def update(self, **kwargs):
        raise FrozenError("A quotation's lines cannot change: issue a new version.")

    def delete(self):
        raise FrozenError("A quotation's lines cannot change: issue a new version.")


class QuotationLine(models.Model):
    quotation = models.ForeignKey(Quotation, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=30)
    label = models.CharField(max_length=200)
    amount = models.DecimalField(**MONEY)
    audience = models.CharField(max_length=10)
    in_total = models.BooleanField()
    rate = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    foreign = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    hsn_sac = models.CharField(max_length=8, blank=True)

    objects = QuotationLineQuerySet.as_manager()

    class Meta:
        ordering = ["quotation", "position"]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None or self.quotation.status != QuotationStatus.ISSUED:
            raise FrozenError("A quotation's lines cannot change: issue a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FrozenError("A quotation's lines cannot change: issue a new version.")


# --- Payments -------------------------------------------------------------------------


class PaymentMethod(models.TextChoices):
    # The names a payer reads on a credit note, in their language (UPI and NEFT/RTGS
    # are the systems' own names).
    UPI = "upi", "UPI"
    BANK_TRANSFER = "neft_rtgs", "NEFT/RTGS"
    CARD = "card", gettext_noop("Card")
    CHEQUE = "cheque", gettext_noop("Cheque")
    CASH = "cash", gettext_noop("Cash")


class EntryKind(models.TextChoices):
    PAYMENT = "payment", "Payment received"
    REFUND = "refund", "Refund paid"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise FrozenError("Money records are append-only: record a correction instead.")

    def delete(self):
        raise FrozenError("Money records are append-only: record a correction instead.")


class Payment(models.Model):
    """Money received from the payer, or refunded to them. Never edited or deleted."""

    case = models.ForeignKey(ImportCase, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=EntryKind.choices, default=EntryKind.PAYMENT)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=100, help_text="UTR, cheque number, UPI reference")
    amount = models.DecimalField(**MONEY)
    received_on = models.DateField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["case", "received_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} on {self.case}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise FrozenError("Money records are append-only: record a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FrozenError("Money records are append-only: record a correction instead.")


def net_paid(case_id: int) -> Decimal:
    totals = {
        row["kind"]: row["total"]
        for row in Payment.objects.filter(case_id=case_id)
        .values("kind")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    return to_paise(
        (totals.get(EntryKind.PAYMENT) or Decimal(0)) - (totals.get(EntryKind.REFUND) or Decimal(0))
    )


# --- Invoices and credit notes ---------------------------------------------------------


class InvoiceKind(models.TextChoices):
    TAX_INVOICE = "tax_invoice", "Tax invoice"
    CREDIT_NOTE = "credit_note", "Credit note"


SERIES_PREFIX = {InvoiceKind.TAX_INVOICE: "INV", InvoiceKind.CREDIT_NOTE: "CN"}


class InvoiceSequence(models.Model):
    """The last number issued in a series (tax invoices, credit notes) in one Indian
    financial year. The row is locked while a number is taken, so numbers have no gap
    and no duplicate however many are issued at once."""

    series = models.CharField(max_length=20, choices=InvoiceKind.choices)
    financial_year = models.CharField(max_length=7, help_text="e.g. 2026-27")
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["series", "financial_year"], name="invoice_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.financial_year}: {self.last_number}"


class Invoice(models.Model):
    """A tax invoice (at delivery) or a credit note (for a refund). Never changed."""

    kind = models.CharField(max_length=20, choices=InvoiceKind.choices)
    case = models.ForeignKey(ImportCase, on_delete=models.PROTECT, related_name="invoices")
    quotation = models.ForeignKey(Quotation, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=16, unique=True)
    financial_year = models.CharField(max_length=7)
    sequence = models.PositiveIntegerField()
    issued_on = models.DateField()
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    supplier = models.JSONField(default=dict, help_text="The service, as it was on the day.")
    recipient = models.JSONField(default=dict, help_text="The payer, as on the quotation.")
    place_of_supply = models.CharField(max_length=80)
    lines = models.JSONField(default=list)
    taxable_value = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    duty_estimate = models.DecimalField(**MONEY, null=True, blank=True)
    duty_actual = models.DecimalField(**MONEY, null=True, blank=True)
    refers_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    refund = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note"
    )
    reason = models.TextField(blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["case", "issued_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(kind=InvoiceKind.TAX_INVOICE),
                name="one_tax_invoice_per_case",
            ),
            models.UniqueConstraint(
                fields=["kind", "financial_year", "sequence"], name="invoice_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise FrozenError("An issued invoice cannot change: issue a credit note.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FrozenError("An issued invoice cannot change: issue a credit note.")
