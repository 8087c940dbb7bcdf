"""Physicians' and patients' profiles."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from orders.access import cases_visible_to
from orders.admin.base import is_coordinator
from orders.models import (
    Patient,
    Physician,
)

# --- Parties -------------------------------------------------------------------


class PartyAdmin(admin.ModelAdmin):
    """Physicians and patients: coordinators see all; anyone else only the parties of
    cases they may see, and their own profile."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        parties = super().get_queryset(request)
        if is_coordinator(request.user):
            return parties
        field = self.model._meta.model_name  # "physician" or "patient" on ImportCase
        visible = cases_visible_to(request.user).values(f"{field}_id")
        return parties.filter(Q(pk__in=visible) | Q(user=request.user))


@admin.register(Physician)
class PhysicianAdmin(PartyAdmin):
    list_display = [
        "full_name",
        "registration_council",
        "registration_number",
        "specialty",
        "hospital",
        "user",
    ]
    list_filter = ["registration_council", "specialty"]
    search_fields = ["full_name", "registration_number", "hospital", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


class PatientAdminForm(forms.ModelForm):
    # Only the masked number is ever stored (Patient.set_identity_number); the full
    # number is typed here once and never shown back.
    identity_number = forms.CharField(
        required=False,
        label="Identity document number",
        help_text="Stored masked: only the last four characters are kept. "
        "Leave empty to keep the current one.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = Patient
        # Everything but the stored masked number, which only set_identity_number writes.
        fields = [
            "user",
            "full_name",
            "date_of_birth",
            "sex",
            "occupation",
            "address",
            "city",
            "state",
            "postal_code",
            "country",
            "phone",
            "email",
            "id_document_type",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["identity_number"].required = True

    def save(self, commit: bool = True) -> Patient:
        number = self.cleaned_data.get("identity_number")
        if number:
            self.instance.set_identity_number(number)
        return super().save(commit=commit)


@admin.register(Patient)
class PatientAdmin(PartyAdmin):
    form = PatientAdminForm
    list_display = ["full_name", "city", "state", "id_document_type", "phone", "email", "user"]
    list_filter = ["state", "id_document_type", "sex"]
    search_fields = ["full_name", "email", "phone", "city", "postal_code", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["id_document_number_masked"]
    fieldsets = [
        (None, {"fields": ["user", "full_name", "date_of_birth", "sex", "occupation"]}),
        ("Delivery address", {"fields": ["address", "city", "state", "postal_code", "country"]}),
        ("Contact", {"fields": ["phone", "email"]}),
        (
            "Identity",
            {"fields": ["id_document_type", "id_document_number_masked", "identity_number"]},
        ),
    ]
