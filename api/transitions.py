"""Each transition's request schema, derived from the input form the pages use
(orders.inputs.INPUTS): the same fields, all optional as there (the guard names
what is missing), plus the reason where the transition asks for one and the state
the caller saw. The service runs the form itself; these serializers describe it
and check types, so a client learns the shape from the schema."""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from rest_framework import serializers

from documents.generation.quality_release import SIGNED_TRANSITIONS
from orders.inputs import INPUTS, LinesField, VerifyInput
from orders.services import TRANSITION_NAMES, TRANSITIONS, transition_label
from orders.states import CaseStatus


def _field(form_field: forms.Field) -> serializers.Field:
    common: dict[str, Any] = {"required": False}
    label = form_field.label
    if label:
        common["help_text"] = str(label)
    if isinstance(form_field, LinesField):
        return serializers.ListField(child=serializers.CharField(max_length=200), **common)
    if isinstance(form_field, forms.BooleanField):
        return serializers.BooleanField(**common)
    if isinstance(form_field, forms.ModelChoiceField):
        return serializers.IntegerField(allow_null=True, **common)
    if isinstance(form_field, forms.ChoiceField):
        choices = [value for value, _ in form_field.choices if value != ""]
        if choices:
            return serializers.ChoiceField(choices=choices, allow_blank=True, **common)
        return serializers.CharField(allow_blank=True, max_length=100, **common)
    if isinstance(form_field, forms.DateTimeField):
        return serializers.DateTimeField(allow_null=True, **common)
    if isinstance(form_field, forms.DateField):
        return serializers.DateField(allow_null=True, **common)
    if isinstance(form_field, forms.DecimalField):
        return serializers.DecimalField(
            max_digits=form_field.max_digits,
            decimal_places=form_field.decimal_places,
            min_value=form_field.min_value,
            allow_null=True,
            coerce_to_string=True,
            **common,
        )
    if isinstance(form_field, forms.IntegerField):
        return serializers.IntegerField(
            min_value=form_field.min_value, max_value=2_147_483_647, allow_null=True, **common
        )
    return serializers.CharField(
        max_length=form_field.max_length or 10_000, allow_blank=True, **common
    )


@functools.cache
def input_serializer(name: str) -> type[serializers.Serializer]:
    form = INPUTS.get(name)
    attrs: dict[str, Any] = {}
    if form is not None:
        for field_name, form_field in form.base_fields.items():
            attrs[field_name] = _field(form_field)
    if form is VerifyInput:
        # One measurement per safety threshold the case's product defines (eGFR, BP,
        # ...): the form names them measure_<name>; here they are one object.
        attrs["measurements"] = serializers.DictField(
            child=serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=True),
            required=False,
            help_text='The product\'s safety measurements by name, e.g. {"egfr": "62"}.',
        )
    note = TRANSITIONS[name].custom.get("note", "")
    attrs["note"] = serializers.CharField(
        max_length=4000,
        required=bool(note),
        allow_blank=not note,
        help_text=f"The {note} (kept in the case history)." if note else "A note for the history.",
    )
    if name in SIGNED_TRANSITIONS:
        # The move is an electronic signature (meaning "quality release"): the caller's
        # printed name and their account password, re-entered as on the page.
        attrs["printed_name"] = serializers.CharField(
            max_length=200, help_text="The signer's full name, printed with the signature."
        )
        attrs["password"] = serializers.CharField(
            max_length=200,
            write_only=True,
            style={"input_type": "password"},
            help_text="The signer's account password, re-entered to sign (limited like "
            "sign-in: too many wrong ones pause signing and tell the owner).",
        )
    attrs["seen_status"] = serializers.ChoiceField(
        choices=CaseStatus.choices,
        required=False,
        help_text="The state the caller last saw: if the case has moved since, the "
        "transition is refused with 409 instead of applied to a state nobody looked at.",
    )
    component = "".join(part.title() for part in name.split("_")) + "Transition"
    attrs["Meta"] = type("Meta", (), {"ref_name": component})
    serializer = type(component + "Serializer", (serializers.Serializer,), attrs)
    serializer.__doc__ = f"{transition_label(name)}."
    return serializer


def service_data(name: str, validated: dict[str, Any]) -> dict[str, Any]:
    """The body as the input form takes it (the service validates it again there)."""
    data = {
        key: value
        for key, value in validated.items()
        if key not in ("note", "seen_status", "printed_name", "password")
    }
    for measure, value in (data.pop("measurements", None) or {}).items():
        data[f"measure_{measure}"] = value
    return {key: value for key, value in data.items() if value is not None}


NAMES = TRANSITION_NAMES
