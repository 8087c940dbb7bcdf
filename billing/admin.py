"""Prices and rates are edited here, a new row for each change (its date, source and
who entered it are kept, so the history is the list); quotations, payments and
invoices are read here and changed only through the services."""

from __future__ import annotations

from django.contrib import admin

from billing.models import (
    DutyExemptionRule,
    DutyRate,
    ExchangeRate,
    FreightRate,
    Invoice,
    Payer,
    Payment,
    ProductTariff,
    Quotation,
    QuotationLine,
    ServiceFee,
    ServiceTaxRate,
    SupplierPrice,
)


class DatedAdmin(admin.ModelAdmin):
    """A rate is never edited once entered: a change is a new row from its date."""

    readonly_fields = ("entered_by", "entered_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return [f.name for f in self.model._meta.fields]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.entered_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DutyRate)
class DutyRateAdmin(DatedAdmin):
    list_display = ("pathway", "rate_class", "effective_from", "basic_percent", "igst_percent")
    list_filter = ("pathway", "rate_class")


@admin.register(DutyExemptionRule)
class DutyExemptionRuleAdmin(DatedAdmin):
    list_display = ("pathway", "exemption", "effective_from", "basic_nil", "igst_nil")


@admin.register(ExchangeRate)
class ExchangeRateAdmin(DatedAdmin):
    list_display = ("currency", "rate_date", "rupees_per_unit", "source", "entered_by")
    list_filter = ("currency",)


@admin.register(SupplierPrice)
class SupplierPriceAdmin(DatedAdmin):
    list_display = ("product", "supplier", "currency", "unit_price", "valid_from", "valid_until")
    list_filter = ("supplier", "product")

    def get_readonly_fields(self, request, obj=None):
        # A price may be ended (its last day set) when a new one follows; nothing else.
        fields = super().get_readonly_fields(request, obj)
        return [f for f in fields if f != "valid_until"]


@admin.register(FreightRate)
class FreightRateAdmin(DatedAdmin):
    list_display = ("supplier", "route", "currency", "valid_from", "valid_until")


@admin.register(ServiceFee)
class ServiceFeeAdmin(DatedAdmin):
    list_display = ("pathway", "description", "amount", "sac_code", "effective_from")


@admin.register(ServiceTaxRate)
class ServiceTaxRateAdmin(DatedAdmin):
    list_display = ("gst_percent", "effective_from", "source")


@admin.register(ProductTariff)
class ProductTariffAdmin(admin.ModelAdmin):
    list_display = ("product", "hsn_code", "rate_class", "rare_disease_listed")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class QuotationLineInline(admin.TabularInline):
    model = QuotationLine
    extra = 0
    can_delete = False
    fields = ("position", "label", "audience", "in_total", "rate", "foreign", "currency", "amount")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Quotation)
class QuotationAdmin(ReadOnlyAdmin):
    list_display = ("case", "version", "status", "total", "quoted_on", "valid_until")
    list_filter = ("status",)
    inlines = [QuotationLineInline]


@admin.register(Payer)
class PayerAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "name", "state", "gstin")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "amount", "method", "reference", "received_on")
    list_filter = ("kind", "method")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "case", "issued_on", "total")
    list_filter = ("kind", "financial_year")
