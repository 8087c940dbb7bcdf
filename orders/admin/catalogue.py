"""Configuration: pathways, products and suppliers, edited here directly."""

from __future__ import annotations

from django.contrib import admin

from orders.models import (
    Carrier,
    Importer,
    Pathway,
    Product,
    Supplier,
)

# --- Configuration -------------------------------------------------------------


@admin.register(Pathway)
class PathwayAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "country",
        "regulator",
        "permit_form",
        "quantity_cap_days",
        "is_default",
    ]
    list_filter = ["country", "is_default"]
    search_fields = ["name", "code", "regulator"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "brand_name",
        "generic_name",
        "strength",
        "dosage_form",
        "manufacturer",
        "units_per_pack",
        "supplier",
    ]
    list_filter = ["dosage_form", "manufacturer"]
    search_fields = ["brand_name", "generic_name", "manufacturer"]
    list_select_related = ["supplier"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "contact_email", "safety_contact_email"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "contact_email"]


@admin.register(Importer)
class ImporterAdmin(admin.ModelAdmin):
    """The service's own identity on the papers: one active record (a database
    constraint); deactivate the old one before activating another."""

    list_display = ["name", "city", "drug_licence_number", "iec", "gstin", "is_active"]
    list_filter = ["is_active"]
    fieldsets = [
        (None, {"fields": ["name", "is_active"]}),
        ("Address", {"fields": ["address", "city", "state", "postal_code", "country"]}),
        ("Contact", {"fields": ["phone", "email"]}),
        ("Licences and registrations", {"fields": ["drug_licence_number", "iec", "gstin"]}),
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # papers issued under it name it: deactivate instead


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["name", "tracking_url"]
    search_fields = ["name"]
