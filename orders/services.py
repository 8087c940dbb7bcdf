"""Writes on import cases: the one place a case is created, edited or moved.

Every entry point (pages, admin, API, tasks) calls these. Each owns its transaction,
locks the case row, checks permission and guards, applies the transition, appends
the `CaseEvent` in the same transaction, and hands the event, after the commit, to
the handlers listed in settings (orders.handlers).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from npp.accounts.models import User
from orders import compiled, guards, handlers
from orders import permissions as perm
from orders.errors import (
    CaseConflict,
    DomainError,
    GuardFailed,
    InvalidInput,
    TransitionNotAvailable,
    action_words,
)
from orders.inputs import INPUTS
from orders.models import (
    CaseEvent,
    CaseSequence,
    ImportCase,
    Pathway,
    Patient,
    Physician,
    Product,
    transition_label,
)
from orders.states import TERMINAL_STATES, CaseStatus

S = CaseStatus


TRANSITIONS: dict[str, Any] = {
    t.name: t for t in ImportCase._meta.get_field("status").get_all_transitions(ImportCase)
}
TRANSITION_NAMES = tuple(dict.fromkeys(TRANSITIONS))

# Fields of the request itself, which the physician writes while drafting.
REQUEST_FIELDS = (
    "product",
    "prescribed_dose",
    "daily_units",
    "quantity_packs",
    "treatment_days",
    "justification",
    "port_of_entry",
    "priority",
)
EDITABLE_STATES = (S.DRAFT, S.INFORMATION_REQUESTED)
# What the coordinator settles for the application itself, while preparing it.
APPLICATION_FIELDS = ("port_of_entry",)
APPLICATION_STATES = (S.SUBMITTED, S.FORMS_PREPARATION)


def next_case_reference(year: int) -> str:
    """NPP-<year>-<5 digits>, sequential per year. The counter row is locked, so two
    cases created at once get consecutive numbers, never the same one."""
    CaseSequence.objects.bulk_create([CaseSequence(year=year)], ignore_conflicts=True)
    sequence = CaseSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"NPP-{year}-{sequence.last_number:05d}"


def _append_event(
    *,
    case: ImportCase,
    actor: User,
    transition: str,
    from_state: str,
    to_state: str,
    note: str = "",
    data: Mapping[str, Any] | None = None,
    on_behalf_of: User | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        on_behalf_of=on_behalf_of,
        note=note,
        data=dict(data or {}),
    )
    compiled.insert_event(event)
    handlers.after_commit(event)
    return event


@transaction.atomic(durable=True)
def case_create(
    *,
    actor: User,
    patient: Patient,
    physician: Physician,
    product: Product,
    pathway: Pathway | None = None,
    resupply_of: ImportCase | None = None,
    **request: Any,
) -> ImportCase:
    """Open a draft request. A physician opens cases for themself; a coordinator for anyone."""
    case = case_open(
        actor=actor,
        patient=patient,
        physician=physician,
        product=product,
        pathway=pathway,
        resupply_of=resupply_of,
        **request,
    )
    _append_event(
        case=case,
        actor=actor,
        transition=CaseEvent.CREATED,
        from_state="",
        to_state=S.DRAFT,
        data={"resupply_of": resupply_of.reference if resupply_of else None},
    )
    return case


def case_open(
    *,
    actor: User,
    patient: Patient,
    physician: Physician,
    product: Product,
    pathway: Pathway | None = None,
    resupply_of: ImportCase | None = None,
    **request: Any,
) -> ImportCase:
    """The draft's row, inside the caller's transaction; the caller appends the
    `create` event (case_create, or a resupply with what it reused)."""
    if not (actor.is_coordinator or (actor.is_physician and physician.user_id == actor.pk)):
        raise PermissionDenied("You may only open requests as the prescribing physician.")
    unknown = set(request) - set(REQUEST_FIELDS)
    if unknown:
        raise DomainError(f"Unknown request fields: {', '.join(sorted(unknown))}.")
    case = ImportCase(
        reference=next_case_reference(timezone.localdate().year),
        pathway=pathway or Pathway.default(),
        patient=patient,
        physician=physician,
        product=product,
        resupply_of=resupply_of,
        created_by=actor,
        **request,
    )
    case.full_clean(exclude=["reference", "created_by", "status", "state_changed_at"])
    case.save()
    return case


@transaction.atomic(durable=True)
def case_update_request(*, case: ImportCase, actor: User, **changes: Any) -> ImportCase:
    """Edit the request while it is with the physician (draft, or answering a question)."""
    locked = ImportCase.objects.select_for_update().get(pk=case.pk)
    if not perm.physician_or_coordinator(locked, actor):
        raise PermissionDenied("Only the prescribing physician or a coordinator may edit.")
    if locked.status not in EDITABLE_STATES:
        raise DomainError(
            f"The request can no longer be edited: the case is {locked.get_status_display()}."
        )
    unknown = set(changes) - set(REQUEST_FIELDS)
    if unknown:
        raise DomainError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    before = {name: getattr(locked, name) for name in changes}
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["reference", "created_by", "status", "state_changed_at"])
    locked.save()
    changed = {
        name: {"from": str(before[name]), "to": str(value)}
        for name, value in changes.items()
        if before[name] != value
    }
    _append_event(
        case=locked,
        actor=actor,
        transition="update_request",
        from_state=locked.status,
        to_state=locked.status,
        data={"changed": changed},
    )
    return locked


@transaction.atomic(durable=True)
def case_update_application(*, case: ImportCase, actor: User, **changes: Any) -> ImportCase:
    """A coordinator settles what the application needs besides the request (the port
    of entry) before it is filed; the event it appends brings the pack up to date."""
    if not actor.is_coordinator:
        raise PermissionDenied("Only a coordinator prepares the application.")
    locked = ImportCase.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if locked.status not in APPLICATION_STATES:
        raise DomainError(
            f"The application can no longer be changed: {locked.reference} is "
            f"{locked.get_status_display().lower()}."
        )
    unknown = set(changes) - set(APPLICATION_FIELDS)
    if unknown:
        raise DomainError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    before = {name: getattr(locked, name) for name in changes}
    for name, value in changes.items():
        setattr(locked, name, value if value is not None else "")
    locked.full_clean(exclude=["reference", "created_by", "status", "state_changed_at"])
    changed = {
        name: {"from": str(before[name]), "to": str(getattr(locked, name))}
        for name in changes
        if before[name] != getattr(locked, name)
    }
    if not changed:
        return locked
    locked.save(update_fields=[*changed, "updated_at"])
    _append_event(
        case=locked,
        actor=actor,
        transition="update_application",
        from_state=locked.status,
        to_state=locked.status,
        data={"changed": changed},
    )
    return locked


@transaction.atomic(durable=True)
def case_assign(*, case: ImportCase, actor: User, coordinator: User | None) -> ImportCase:
    """Give `case` to `coordinator` (None: nobody). Not a move in the state machine:
    the event records who took it, with from and to both the current state."""
    if not actor.is_coordinator:
        raise PermissionDenied("Only a coordinator assigns cases.")
    if coordinator is not None and not (coordinator.is_coordinator and coordinator.is_active):
        raise DomainError(f"{coordinator.full_name} is not an active coordinator.")
    locked = ImportCase.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if locked.status in TERMINAL_STATES:
        raise DomainError(f"{locked.reference} is {locked.get_status_display().lower()}.")
    previous = locked.assigned_coordinator
    if previous == coordinator:
        return locked
    locked.assigned_coordinator = coordinator
    locked.save(update_fields=["assigned_coordinator", "updated_at"])
    _append_event(
        case=locked,
        actor=actor,
        transition="assign",
        from_state=locked.status,
        to_state=locked.status,
        data={
            "coordinator": {"id": coordinator.pk, "name": coordinator.full_name}
            if coordinator
            else None,
            "previous": {"id": previous.pk, "name": previous.full_name} if previous else None,
        },
    )
    return locked


def case_transition(
    *,
    case: ImportCase,
    actor: User,
    transition: str,
    note: str = "",
    data: Mapping[str, Any] | None = None,
    on_behalf_of: User | None = None,
) -> ImportCase:
    """Move `case` by `transition` for `actor`, or raise a DomainError and change nothing.

    `case` is the copy the actor was looking at: if the stored case has moved on
    since, the request is refused as a conflict rather than applied to a state the
    actor never saw. Returns the updated case.
    """
    if transition not in TRANSITIONS:
        raise TransitionNotAvailable(f"There is no action called {transition!r}.")
    return _case_transition(
        case=case,
        actor=actor,
        transition=transition,
        note=(note or "").strip(),
        data=data or {},
        on_behalf_of=on_behalf_of,
    )


_CASE_FIELDS = tuple(ImportCase._meta.concrete_fields)
# Written by every transition whatever else changes.
_ALWAYS_SAVED = ("status", "state_changed_at", "updated_at")


def _lock_case(case: ImportCase) -> ImportCase:
    """The case row alone, locked, with the database's clock: the lock makes the status
    comparison that follows exact (no one else can move the case until we commit), and
    the clock is the moment the case changes state, so it need not be read back. The
    pathway, product and parties are read only when a guard or permission asks (one
    primary-key lookup each, unlocked, as the join read them before)."""
    return compiled.lock_case(case.pk)


def _changed_fields(case: ImportCase, before: dict[str, Any]) -> list[str]:
    return [
        field.name for field in _CASE_FIELDS if field.value_from_object(case) != before[field.name]
    ]


@transaction.atomic(durable=True)
def _case_transition(
    *,
    case: ImportCase,
    actor: User,
    transition: str,
    note: str,
    data: Mapping[str, Any],
    on_behalf_of: User | None,
) -> ImportCase:
    locked = _lock_case(case)
    before = {field.name: field.value_from_object(locked) for field in _CASE_FIELDS}
    label = transition_label(transition)
    # In the words of whoever acts (a patient may meet these: confirming a delivery
    # that a coordinator recorded a moment before).
    if locked.status != case.status:
        raise CaseConflict(
            _(
                "%(reference)s is now %(status)s, not %(seen)s: someone else acted on it. "
                "Reload it and try again."
            )
            % {
                "reference": locked.reference,
                "status": _(locked.get_status_display()),
                "seen": _(case.get_status_display()),
            }
        )
    method = getattr(locked, transition)
    meta = method._django_fsm.get_transition(locked.status)
    if meta is None:
        raise TransitionNotAvailable(
            _("%(action)s is not possible while the case is %(status)s.")
            % {"action": capfirst(action_words(label)), "status": _(locked.get_status_display())}
        )
    if not meta.has_perm(locked, actor):
        raise PermissionDenied(
            _("You may not %(action)s on this case.") % {"action": action_words(label)}
        )

    record: dict[str, Any] = {}
    if transition in INPUTS:
        form = INPUTS[transition](data, case=locked, actor=actor)
        if not form.is_valid():
            raise InvalidInput(form.errors)
        form.apply()
        record = form.record()

    problems = guards.problems_of(meta.conditions, locked)
    if problems:
        raise GuardFailed(label.lower(), problems)

    from_state = locked.status
    method(by=actor, note=note)
    if transition == "reorder":
        _reject_current_lot(locked, reason=note)
    if locked.status != from_state:
        # A step within a state (sending the order) does not restart the state's clock.
        locked.state_changed_at = locked.db_now
    # Only the columns this transition changed (and the state's own three).
    changed = dict.fromkeys([*_ALWAYS_SAVED, *_changed_fields(locked, before)])
    compiled.save_case_fields(locked, list(changed))
    _append_event(
        case=locked,
        actor=actor,
        transition=transition,
        from_state=from_state,
        to_state=locked.status,
        note=note,
        data=record,
        on_behalf_of=on_behalf_of,
    )
    return locked


def _reject_current_lot(case: ImportCase, *, reason: str) -> None:
    shipment = case.current_shipment
    shipment.rejected_at = timezone.now()
    shipment.rejection_reason = reason
    shipment.save(update_fields=["rejected_at", "rejection_reason"])


def available_transitions(*, case: ImportCase, actor: User) -> list[str]:
    """The transitions `actor` may attempt from the case's current state (guards not
    evaluated: a page shows the action and the guard explains what is missing)."""
    names = []
    for name in TRANSITION_NAMES:
        meta = getattr(case, name)._django_fsm.get_transition(case.status)
        if meta is not None and meta.has_perm(case, actor):
            names.append(name)
    return names


def transition_waiting_for(*, case: ImportCase, transition: str) -> list[str]:
    """What `transition` waits for before it can succeed from the case's state, in the
    guards' own words (those its form answers left out): "the physician's electronic
    signature on the undertaking", "an accepted patient consent". Empty when nothing
    stands in the way but the form itself."""
    meta = getattr(case, transition)._django_fsm.get_transition(case.status)
    if meta is None:
        return []
    return guards.waiting_for(meta.conditions, case)


def system_user() -> User:
    """The account background tasks act as (never signs in: no usable password)."""
    from django.conf import settings

    from npp.accounts.models import Role

    email = settings.NPP_SYSTEM_USER_EMAIL
    return User.objects.filter(email=email).first() or User.objects.create_user(
        email, None, full_name="NPP system", role=Role.SYSTEM
    )


def cases_due_for_auto_close(*, now=None) -> list[ImportCase]:
    """Delivered cases that have waited their pathway's auto-close delay."""
    now = now or timezone.now()
    delivered = ImportCase.objects.filter(status=S.DELIVERED).select_related("pathway")
    return [
        case
        for case in delivered
        if now - case.state_changed_at >= timedelta(days=case.pathway.auto_close_after_days)
    ]
