"""Who hears what: the one table from a case event to its audiences and channels.

Keys are the event's `transition` (the state machine's transitions, and the other
events services append, such as an adverse event report). Each audience gets the
message template `<event>-<role>` (falling back to the generic `step-<role>`), by
email and in the in-app inbox; a text message only to those who asked for one.
While a case has no coordinator, the coordinators hear of it as a team: each in
their inbox, and one email to their shared address, so mail does not grow with staff.

Patients hear every step in plain language (`orders.states.PATIENT_LABELS`) and
never the event's note or data: their message context is built without them
(services.message_context).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q

from notifications.models import Category, Channel
from npp.accounts.models import Role, User
from orders import adverse_events
from orders.states import CaseStatus
from orders.tracker import patient_sees_change

if TYPE_CHECKING:
    from orders.models import CaseEvent, ImportCase


class Audience(StrEnum):
    PATIENT = "patient"
    PHYSICIAN = "physician"
    # The case's assigned coordinator; while none is assigned, the coordinators as a
    # team: an inbox message for each, one email to their shared address.
    COORDINATOR = "coordinator"
    # Every coordinator: safety and escalation.
    ALL_COORDINATORS = "all_coordinators"

    @property
    def role(self) -> str:
        """The template suffix: what the reader is, not how many of them."""
        return "coordinator" if self is Audience.ALL_COORDINATORS else self.value


@dataclass(frozen=True)
class Rule:
    audience: Audience
    category: Category = Category.CASE_UPDATES


PATIENT = Rule(Audience.PATIENT)
PHYSICIAN = Rule(Audience.PHYSICIAN)
COORDINATOR = Rule(Audience.COORDINATOR)
SAFETY_TEAM = Rule(Audience.ALL_COORDINATORS, Category.SAFETY)
PHYSICIAN_SAFETY = Rule(Audience.PHYSICIAN, Category.SAFETY)
ALL_COORDINATORS_RULE = Rule(Audience.ALL_COORDINATORS)


# event -> who hears it. The patient is on every step of the state machine, and told
# when the step their tracker shows changes (recipients_of_event).
WHO_HEARS_WHAT: dict[str, tuple[Rule, ...]] = {
    "submit": (COORDINATOR, PATIENT),
    "request_information": (PHYSICIAN, PATIENT),
    "resubmit": (COORDINATOR, PATIENT),
    "verify": (PHYSICIAN, PATIENT),
    "reject": (PHYSICIAN, PATIENT),
    "file_application": (PHYSICIAN, PATIENT),
    "record_permit": (PATIENT,),
    "order_from_supplier": (PATIENT,),
    "dispatch": (PATIENT,),
    "arrive": (PATIENT,),
    "clear_customs": (PATIENT,),
    "quarantine": (SAFETY_TEAM, PHYSICIAN, PATIENT),
    "release": (PHYSICIAN, PATIENT),
    "reorder": (PHYSICIAN, PATIENT),
    "confirm_delivery": (PHYSICIAN, COORDINATOR, PATIENT),
    "close": (PATIENT,),
    "hold": (PHYSICIAN, PATIENT),
    "resume": (PHYSICIAN, PATIENT),
    "cancel": (PHYSICIAN, COORDINATOR, PATIENT),
    adverse_events.REPORTED: (SAFETY_TEAM, PHYSICIAN_SAFETY),
    # No one of the service: its one message is the email with the CIOMS I form to the
    # supplier's pharmacovigilance address (SUPPLIER_SAFETY below).
    adverse_events.PREPARED: (),
    adverse_events.UNSENT: (SAFETY_TEAM,),
}

# Events that also go to someone outside the service, by email only: the event's
# data names the address. One row per event, keyed like the others.
SUPPLIER_SAFETY = "supplier_safety"
EXTERNAL_RECIPIENTS: dict[str, str] = {adverse_events.PREPARED: SUPPLIER_SAFETY}

# Channels every audience gets; text messages are opt-in (NotificationPreference.sms).
DEFAULT_CHANNELS = (Channel.EMAIL, Channel.INBOX)
OPT_IN_CHANNELS = (Channel.SMS,)


# What each audience must act on, by the state an event moves the case to: the rest
# is news, which a person may choose not to receive (NotificationSetting); safety
# messages always reach them, and reminders are about acting by nature.
MUST_ACT_ON: dict[str, frozenset[str]] = {
    # Answer the question; sign the undertaking.
    Audience.PHYSICIAN: frozenset({CaseStatus.INFORMATION_REQUESTED, CaseStatus.FORMS_PREPARATION}),
    # Send the identity document and consent; confirm the delivery when it comes.
    Audience.PATIENT: frozenset({CaseStatus.FORMS_PREPARATION, CaseStatus.OUT_FOR_DELIVERY}),
    # Verify a request (new or answered).
    Audience.COORDINATOR: frozenset({CaseStatus.SUBMITTED}),
    Audience.ALL_COORDINATORS: frozenset({CaseStatus.SUBMITTED}),
}


def must_act_on(event: CaseEvent, recipient: Recipient) -> bool:
    if recipient.category == Category.SAFETY:
        return True
    moved = event.to_state and event.to_state != event.from_state
    return bool(moved and event.to_state in MUST_ACT_ON.get(recipient.audience, ()))


def notified_events() -> tuple[str, ...]:
    return tuple(WHO_HEARS_WHAT)


@dataclass(frozen=True)
class Recipient:
    user: User
    audience: Audience
    category: Category
    phone: str = ""
    # Told as one of the coordinators' team (the case has no coordinator yet): the
    # email goes once to coordinators_address(), not to each of them.
    team: bool = False


def coordinators() -> list[User]:
    return list(User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("pk"))


def coordinators_address() -> str:
    """The coordinators' shared address or rota (NPP_COORDINATORS_EMAIL); without
    one, the service's own address (NPP_SERVICE_EMAIL), which the service reads."""
    return settings.NPP_COORDINATORS_EMAIL or settings.NPP_SERVICE_EMAIL


def _people(case: ImportCase, audience: Audience, staff: list[User] | None) -> list[tuple]:
    """(user, phone, team) for each person of one audience of a case."""
    if audience is Audience.PATIENT:
        user = case.patient.user
        return [(user, case.patient.phone, False)] if user is not None else []
    if audience is Audience.PHYSICIAN:
        return [(case.physician.user, case.physician.phone, False)]
    if audience is Audience.COORDINATOR and case.assigned_coordinator_id is not None:
        assigned = case.assigned_coordinator
        if assigned.is_active:
            return [(assigned, "", False)]
    team = audience is Audience.COORDINATOR
    return [(user, "", team) for user in (staff if staff is not None else coordinators())]


def recipients_of(
    case: ImportCase,
    rules: Iterable[Rule],
    *,
    exclude: Iterable[int] = (),
    staff: list[User] | None = None,
) -> list[Recipient]:
    """The people the rules name for `case`, once each (the first rule naming a
    person decides their message), active accounts only, without `exclude`."""
    seen = set(exclude)
    found = []
    for rule in rules:
        for user, phone, team in _people(case, rule.audience, staff):
            if user is None or not user.is_active or user.pk in seen:
                continue
            seen.add(user.pk)
            found.append(Recipient(user, rule.audience, rule.category, phone or "", team))
    return found


def rules_of_event(event: CaseEvent) -> tuple[Rule, ...]:
    rules = WHO_HEARS_WHAT.get(event.transition, ())
    if not patient_sees_change(event.from_state, event.to_state):
        # One message per change the patient's tracker shows, not one per event.
        rules = tuple(rule for rule in rules if rule.audience is not Audience.PATIENT)
    return rules


TEAM_AUDIENCES = (Audience.COORDINATOR, Audience.ALL_COORDINATORS)


def team_events() -> frozenset[str]:
    """The events whose messages may go to the coordinators as a team (the active
    coordinators are read for them: event_people_load)."""
    return frozenset(
        name
        for name, rules in WHO_HEARS_WHAT.items()
        if any(rule.audience in TEAM_AUDIENCES for rule in rules)
    )


def recipients_of_event(event: CaseEvent, *, staff: list[User] | None = None) -> list[Recipient]:
    """Who hears `event`. The person who acted is not told what they just did."""
    rules = rules_of_event(event)
    if not rules:
        return []
    if staff is None and any(rule.audience in TEAM_AUDIENCES for rule in rules):
        staff = coordinators()
    return recipients_of(event.case, rules, exclude=[event.actor_id], staff=staff)


def event_people_load(event: CaseEvent) -> list[User] | None:
    """Read in one statement the accounts an event's messages to staff need, and
    attach them to the event and its case: the physician's, the actor's (named in
    those messages), an assigned coordinator's, and the active coordinators when the
    event concerns them (returned, for `recipients_of_event`; None otherwise). An
    event for the patient alone needs none of them and reads nothing. Otherwise each
    would be a query of its own, and every join added to the event's query costs
    more planning than this statement. (A worker's delivery reads the same accounts
    with their notification choices: services._people_and_choices.)"""
    wanted = event_people_wanted(event)
    if wanted is None:
        return None
    ids, team = wanted
    found = Q(pk__in=ids)
    if team:
        found |= Q(role=Role.COORDINATOR, is_active=True)
    return event_people_attach(event, {user.pk: user for user in User.objects.filter(found)}, team)


def event_people_wanted(event: CaseEvent) -> tuple[set[int], bool] | None:
    """The accounts `event_people_load` reads: (the ids it names, whether the active
    coordinators too); None for an event for the patient alone."""
    rules = rules_of_event(event)
    if all(rule.audience is Audience.PATIENT for rule in rules):
        return None
    case = event.case
    wanted = {event.actor_id, case.physician.user_id, case.assigned_coordinator_id} - {None}
    return wanted, any(rule.audience in TEAM_AUDIENCES for rule in rules)


def event_people_attach(event: CaseEvent, users: dict[int, User], team: bool) -> list[User] | None:
    """Attach the accounts read for `event_people_wanted` (by id) to the event and its
    case; the active coordinators when `team`, as coordinators() reads them."""
    case = event.case
    event.actor = users[event.actor_id]
    case.physician.user = users[case.physician.user_id]
    if case.assigned_coordinator_id is not None:
        case.assigned_coordinator = users[case.assigned_coordinator_id]
    if not team:
        return None
    return sorted(
        (user for user in users.values() if user.role == Role.COORDINATOR and user.is_active),
        key=lambda user: user.pk,
    )
