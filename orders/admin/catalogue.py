"""Configuration: pathways, products and suppliers, edited here directly."""

from __future__ import annotations

from django.contrib import admin

from orders.models import (
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
    ]
    list_filter = ["dosage_form", "manufacturer"]
    search_fields = ["brand_name", "generic_name", "manufacturer"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "contact_email", "safety_contact_email"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "contact_email"]
