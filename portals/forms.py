"""Widgets and fields the three portals' forms share."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.errors import InvalidInput


class DateInput(forms.DateInput):
    """The browser's date picker; the value is written as ISO so the picker shows it."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def file_field(label: str, *, required: bool = False, help_text: str = "") -> forms.FileField:
    return forms.FileField(
        label=label,
        required=required,
        help_text=help_text or _("PDF, JPEG or PNG, up to 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


def refusal_on_form(form: forms.Form, error: Exception) -> None:
    """A refusal of the domain shown on the form that asked: an InvalidInput's messages
    beside the fields they name (a signature's printed name that is not the signer's),
    above the form for a field it lacks, and any other refusal above the form."""
    if isinstance(error, InvalidInput):
        for field, messages in error.errors.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
        return
    form.add_error(None, str(error))
