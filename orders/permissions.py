"""Who may take which transition: the `permission=` callables of the state machine.

Each takes (case, user) as django-fsm passes them. Ownership is by the signed-in
account linked to the case's physician or patient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from npp.accounts.models import Role
from orders.states import CaseStatus

if TYPE_CHECKING:
    from npp.accounts.models import User
    from orders.models import ImportCase


def _active(user: User) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_coordinator(case: ImportCase, user: User) -> bool:
    return _active(user) and user.role == Role.COORDINATOR


def is_case_physician(case: ImportCase, user: User) -> bool:
    return (
        _active(user)
        and user.role == Role.PHYSICIAN
        and case.physician is not None
        and case.physician.user_id == user.pk
    )


def is_case_patient(case: ImportCase, user: User) -> bool:
    return (
        _active(user)
        and user.role == Role.PATIENT
        and case.patient is not None
        and case.patient.user_id == user.pk
    )


def is_system(user: User) -> bool:
    return _active(user) and user.role == Role.SYSTEM


def physician_or_coordinator(case: ImportCase, user: User) -> bool:
    return is_case_physician(case, user) or is_coordinator(case, user)


def coordinator_or_system(case: ImportCase, user: User) -> bool:
    """Moves a coordinator makes that the system also makes on its own
    (closing after the configured days; quarantine on a temperature excursion)."""
    return is_coordinator(case, user) or is_system(user)


def may_cancel(case: ImportCase, user: User) -> bool:
    """The physician may withdraw their own draft; a coordinator any case before dispatch."""
    if is_coordinator(case, user):
        return True
    return case.status == CaseStatus.DRAFT and is_case_physician(case, user)


def may_confirm_delivery(case: ImportCase, user: User) -> bool:
    return is_case_patient(case, user) or is_coordinator(case, user)
