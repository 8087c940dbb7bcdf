"""Small template helpers shared by the portals."""

from __future__ import annotations

from django import template

from orders.states import PATIENT_LABELS, TERMINAL_STATES, CaseStatus

register = template.Library()
S = CaseStatus

ACTION_STATES = {S.DRAFT, S.INFORMATION_REQUESTED, S.QUARANTINED, S.ON_HOLD}


@register.filter
def state_class(status: str) -> str:
    """The badge style of a state: needs action, done, stopped or in progress."""
    if status in (S.DELIVERED, S.CLOSED):
        return "badge-done"
    if status == S.REJECTED:
        return "badge-bad"
    if status in TERMINAL_STATES:
        return "badge-stopped"
    if status in ACTION_STATES:
        return "badge-action"
    return ""


@register.filter
def patient_label(status: str) -> str:
    return PATIENT_LABELS.get(status, status)


@register.simple_tag(takes_context=True)
def flash_messages(context) -> list:
    """The messages framework's messages for this request, read from the request so a
    view's own context variable called "messages" (the inbox) cannot hide them."""
    from django.contrib.messages import get_messages

    request = context.get("request")
    return list(get_messages(request)) if request is not None else []


@register.filter
def rupees(amount) -> str:
    """₹3,20,000.00: Indian grouping, to the paisa (orders.display.format_money)."""
    from orders.display import format_money

    return format_money(amount)


@register.filter
def previewable(document) -> bool:
    """Whether the case pages can show this document's first pages as an image."""
    from documents.previews import previewable as of_type

    return document is not None and of_type(document.content_type)


@register.filter
def marked_required(bound_field) -> bool:
    """Marked with an asterisk: required by the form, or needed to submit or for a
    new patient (`needed`, which the form checks only when it applies)."""
    field = bound_field.field
    return bool(field.required or getattr(field, "needed", False))
