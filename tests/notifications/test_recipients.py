"""Who hears what: the recipients table for every transition, channels and
preferences, and what a patient's message may never contain."""

from __future__ import annotations

import pytest

from notifications.models import Category, Channel, Notification, NotificationPreference, Status
from notifications.recipients import WHO_HEARS_WHAT, coordinators_address
from notifications.services import event_fan_out
from orders.services import TRANSITION_NAMES
from orders.states import PATIENT_LABELS, CaseStatus
from tests.notifications.conftest import event_on

S = CaseStatus

# transition -> (the state it leads to, who hears it). "coordinators" is the team
# while the case has no assigned coordinator: each in the inbox, one email to the
# team's address; "safety team" is every coordinator, each by email too.
EXPECTED: dict[str, tuple[str, set[str]]] = {
    "submit": (S.SUBMITTED, {"coordinators", "patient"}),
    "request_information": (S.INFORMATION_REQUESTED, {"physician", "patient"}),
    "resubmit": (S.SUBMITTED, {"coordinators", "patient"}),
    "verify": (S.FORMS_PREPARATION, {"physician", "patient"}),
    "reject": (S.REJECTED, {"physician", "patient"}),
    "file_application": (S.AWAITING_PERMIT, {"physician", "patient"}),
    "record_permit": (S.SUPPLIER_ORDERING, {"patient"}),
    "order_from_supplier": (S.SUPPLIER_ORDERING, {"patient"}),
    "dispatch": (S.IN_TRANSIT, {"patient"}),
    "arrive": (S.CUSTOMS_CLEARANCE, {"patient"}),
    "clear_customs": (S.OUT_FOR_DELIVERY, {"patient"}),
    "quarantine": (S.QUARANTINED, {"safety team", "physician", "patient"}),
    "release": (S.OUT_FOR_DELIVERY, {"physician", "patient"}),
    "reorder": (S.SUPPLIER_ORDERING, {"physician", "patient"}),
    "confirm_delivery": (S.DELIVERED, {"coordinators", "physician", "patient"}),
    "close": (S.CLOSED, {"patient"}),
    "hold": (S.ON_HOLD, {"physician", "patient"}),
    "resume": (S.SUBMITTED, {"physician", "patient"}),
    "cancel": (S.CANCELLED, {"coordinators", "physician", "patient"}),
}

INTERNAL_NOTE = "INTERNAL: supplier invoice dispute, creatinine 2.1"
INTERNAL_DATA = {"reason_code": "SECRET-DATA-7731"}


@pytest.fixture
def people(team, physician, patient):
    return {
        "coordinators": {user.pk for user in team},
        "safety team": {user.pk for user in team},
        "physician": {physician.user.pk},
        "patient": {patient.user.pk},
    }


def test_every_transition_of_the_state_machine_is_in_the_table():
    assert set(TRANSITION_NAMES) <= set(WHO_HEARS_WHAT)
    assert set(EXPECTED) == set(TRANSITION_NAMES)


@pytest.mark.parametrize("transition", sorted(EXPECTED))
def test_each_transition_notifies_its_audiences_by_email_and_inbox(
    transition, draft_case, people, system
):
    to_state, audiences = EXPECTED[transition]
    event = event_on(draft_case, transition, system, note=INTERNAL_NOTE, to_state=to_state)

    event_fan_out(event=event)

    rows = Notification.objects.filter(event=event)
    each_by_email = set().union(*(people[a] for a in audiences if a != "coordinators"))
    team = people["coordinators"] if "coordinators" in audiences else set()
    assert {row.recipient_id for row in rows.exclude(recipient=None)} == each_by_email | team
    for user_id in each_by_email | team:
        channels = sorted(rows.filter(recipient_id=user_id).values_list("channel", flat=True))
        assert channels == ([Channel.INBOX] if user_id in team else [Channel.EMAIL, Channel.INBOX])
    team_email = rows.filter(recipient=None)
    assert list(team_email.values_list("channel", "address")) == (
        [(Channel.EMAIL, coordinators_address())] if team else []
    )
    assert all(row.status == Status.PENDING for row in rows.filter(channel=Channel.EMAIL))
    assert all(row.status == Status.SENT for row in rows.filter(channel=Channel.INBOX))


@pytest.mark.parametrize("transition", sorted(EXPECTED))
def test_patients_hear_every_step_in_plain_language_and_never_the_internal_note(
    transition, draft_case, patient, system
):
    to_state, _ = EXPECTED[transition]
    event = event_on(
        draft_case, transition, system, note=INTERNAL_NOTE, data=INTERNAL_DATA, to_state=to_state
    )

    event_fan_out(event=event)

    rows = Notification.objects.filter(event=event, recipient=patient.user)
    assert rows.count() == 2
    for row in rows:
        text = row.subject + row.body + row.body_html
        assert "INTERNAL" not in text
        assert "creatinine" not in text
        assert "SECRET-DATA" not in text
        assert draft_case.reference in row.subject
    email = rows.get(channel=Channel.EMAIL)
    if transition != "reject":
        assert PATIENT_LABELS[to_state] in email.subject
    assert "Priya Menon" in email.body


def test_staff_read_the_note_that_concerns_them(draft_case, physician, system):
    event = event_on(
        draft_case,
        "request_information",
        system,
        note="Please send the latest eGFR report.",
        to_state=S.INFORMATION_REQUESTED,
    )

    event_fan_out(event=event)

    email = Notification.objects.get(event=event, recipient=physician.user, channel=Channel.EMAIL)
    assert "Please send the latest eGFR report." in email.body
    assert "Please send the latest eGFR report." in email.body_html
    assert email.template == "request_information-physician"


def test_the_person_who_acted_is_not_told_what_they_just_did(draft_case, physician, team):
    event = event_on(draft_case, "cancel", physician.user, note="No longer needed.")

    event_fan_out(event=event)

    recipients = set(Notification.objects.filter(event=event).values_list("recipient", flat=True))
    assert physician.user.pk not in recipients
    assert {user.pk for user in team} <= recipients


def test_an_assigned_coordinator_hears_alone_but_safety_goes_to_everyone(
    draft_case, coordinator, other_coordinator, system
):
    draft_case.assigned_coordinator = other_coordinator
    draft_case.save(update_fields=["assigned_coordinator"])
    submitted = event_on(draft_case, "submit", system, to_state=S.SUBMITTED)
    quarantined = event_on(draft_case, "quarantine", system, note="34 C", to_state=S.QUARANTINED)

    event_fan_out(event=submitted)
    event_fan_out(event=quarantined)

    def coordinators_told(event):
        rows = Notification.objects.filter(event=event, recipient__role="coordinator")
        return set(rows.values_list("recipient", flat=True))

    assert coordinators_told(submitted) == {other_coordinator.pk}
    assert coordinators_told(quarantined) == {coordinator.pk, other_coordinator.pk}
    safety = Notification.objects.filter(event=quarantined, recipient=coordinator)
    assert {row.category for row in safety} == {Category.SAFETY}


def test_events_outside_the_table_notify_nobody(draft_case, system):
    event = event_on(draft_case, "update_request", system)

    assert event_fan_out(event=event) == []
    assert not Notification.objects.filter(event=event).exists()


def test_patients_without_a_login_are_followed_through_their_physician(physician, lupkynis, system):
    from tests.conftest import make_patient, new_case

    offline = make_patient(None, "Ravi Iyer")
    case = new_case(physician=physician, patient=offline, product=lupkynis)
    event = event_on(
        case, "request_information", system, note="?", to_state=S.INFORMATION_REQUESTED
    )

    event_fan_out(event=event)

    assert set(Notification.objects.filter(event=event).values_list("recipient", flat=True)) == {
        physician.user.pk
    }


def test_email_switched_off_is_recorded_as_skipped_and_the_inbox_still_gets_it(
    draft_case, patient, system
):
    NotificationPreference.objects.create(
        user=patient.user, category=Category.CASE_UPDATES, email=False
    )
    event = event_on(draft_case, "dispatch", system, to_state=S.IN_TRANSIT)

    event_fan_out(event=event)

    rows = {row.channel: row for row in Notification.objects.filter(event=event)}
    assert rows[Channel.EMAIL].status == Status.SKIPPED
    assert "preferences" in rows[Channel.EMAIL].last_error
    assert rows[Channel.INBOX].status == Status.SENT


def test_urgent_safety_messages_ignore_the_email_preference(draft_case, coordinator, system):
    NotificationPreference.objects.create(user=coordinator, category=Category.SAFETY, email=False)
    event = event_on(draft_case, "quarantine", system, note="34 C", to_state=S.QUARANTINED)

    event_fan_out(event=event)

    email = Notification.objects.get(event=event, recipient=coordinator, channel=Channel.EMAIL)
    assert email.status == Status.PENDING


def test_text_messages_go_only_to_those_who_asked_and_have_a_phone(
    draft_case, patient, physician, system
):
    NotificationPreference.objects.create(
        user=patient.user, category=Category.CASE_UPDATES, sms=True
    )
    event = event_on(draft_case, "dispatch", system, to_state=S.IN_TRANSIT)

    event_fan_out(event=event)

    sms = Notification.objects.get(event=event, channel=Channel.SMS)
    assert sms.recipient == patient.user
    assert sms.address == patient.phone
    assert "On its way" in sms.body
    assert sms.status == Status.PENDING


def test_fanning_out_twice_creates_nothing_new(draft_case, system):
    event = event_on(draft_case, "submit", system, to_state=S.SUBMITTED)

    event_fan_out(event=event)
    keys = set(Notification.objects.filter(event=event).values_list("key", flat=True))
    event_fan_out(event=event)

    assert keys
    assert set(Notification.objects.filter(event=event).values_list("key", flat=True)) == keys
