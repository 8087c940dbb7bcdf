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
