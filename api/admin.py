from django.contrib import admin

from api.models import CarrierAccount


@admin.register(CarrierAccount)
class CarrierAccountAdmin(admin.ModelAdmin):
    """Couriers' and suppliers' service accounts (their tokens: manage.py carrier_account)."""

    list_display = ["name", "courier", "supplier", "user", "created_at"]
    readonly_fields = ["user"]
