"""Side-effect reports on the CIOMS I form, sent to the supplier's pharmacovigilance
address: what the form says (and never: the patient's name), made once per report
and sent once through the notification outbox with the form attached, however often
delivery runs; a supplier with no address, or an email given up, tells the
coordinators."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from documents.generation import adverse_event_report as cioms
from documents.models import Document, DocumentKind
from notifications import services as notification_services
from notifications import tasks
from notifications.models import Channel, Notification, Status
from orders import adverse_events
from orders.adverse_events import adverse_event_report
from orders.display import format_date
from orders.models import AdverseEvent, CaseEvent, Patient, Supplier
from orders.services import case_transition
from orders.states import CaseStatus
from tests.documents.test_rendering import pdf_text

S = CaseStatus
K = DocumentKind
SERIOUS = AdverseEvent.Seriousness.SERIOUS
PHARMACOVIGILANCE = "drug.safety@aurinia.example"


@pytest.fixture
def delivered(case_in):
    return case_in(S.DELIVERED)


@pytest.fixture
def run_at_once(monkeypatch):
    """Run the tasks the handlers enqueue in this process, as a worker would."""
    monkeypatch.setattr(
        cioms.prepare_adverse_event_report,
        "apply_async",
        lambda args, **kw: cioms.prepare_adverse_event_report.apply(args),
    )
    monkeypatch.setattr(
        tasks.deliver_event, "apply_async", lambda args, **kw: tasks.deliver_event.apply(args)
    )


def report(case, reporter, **overrides) -> AdverseEvent:
    values = {
        "onset_date": dt.date(2026, 11, 28),
        "description": "Priya developed a tremor of both hands and headache; Menon family "
        "doctor measured BP 150/95. eGFR 58 on day 3.",
        "seriousness": SERIOUS,
        "outcome": AdverseEvent.Outcome.RECOVERING,
    }
    values.update(overrides)
    return adverse_event_report(case=case, reporter=reporter, **values)


def test_the_supplier_of_the_reference_product_has_a_pharmacovigilance_address(catalogue):
    aurinia = Supplier.objects.get(name="Aurinia Pharmaceuticals Inc.")
    assert aurinia.safety_contact_email == PHARMACOVIGILANCE


# --- The form -----------------------------------------------------------------------------


def test_the_cioms_form_names_the_patient_by_initials_and_age_never_by_name(
    delivered, physician, patient
):
    reported = report(delivered, physician.user)

    text = pdf_text(cioms.render_report(reported))

    assert "CIOMS FORM" in text and "Suspect adverse reaction report" in text
    boxes = text.upper()  # the boxes' captions are printed in capitals
    assert "1. PATIENT INITIALS P.M." in boxes
    assert "2A. AGE 36 YEARS" in boxes  # born 17 May 1990, onset 28 November 2026
    assert "3. SEX FEMALE" in boxes
    assert "India" in text
    assert "28 NOV 2026" in text  # onset, as day, month and year
    assert "Seriousness: Serious" in text
    assert "Lupkynis (voclosporin) 7.9 mg capsule" in text
    assert f"Lot: {delivered.delivered_lot}" in text
    assert "23.7 mg (3 capsules) twice daily" in text
    assert "Oral" in text
    assert "mycophenolate mofetil" in text  # a concomitant drug, from the verification
    assert "Dr Anil Rao" in text and "NMC-123456" in text  # the reporter
    assert "☒ Health professional" in text
    assert "Aurinia Pharmaceuticals Inc." in text
    assert f"{delivered.reference}-AE{reported.pk}" in text
    # The description keeps its facts, without the name the reporter typed.
    assert "[patient] developed a tremor of both hands" in text
    assert "BP 150/95" in text
    for part in (patient.full_name, "Priya", "Menon", patient.email):
        assert part.lower() not in text.lower(), part
    assert format_date(patient.date_of_birth) not in text


def test_a_patients_own_report_is_a_consumer_report_that_names_no_one(delivered, patient):
    reported = report(delivered, patient.user, description="Headache every evening.")

    text = pdf_text(cioms.render_report(reported))

    assert "Consumer report (the patient)" in text
    assert "consumer (the patient)" in text
    assert "Priya" not in text and "Menon" not in text


def test_the_forms_age_and_a_consents_minority_count_years_alike():
    """One count of years (Patient.age_on): the CIOMS form's age and whether a consent
    needs a parent or guardian agree on the 18th birthday and the day before."""
    teen = Patient(date_of_birth=dt.date(2008, 5, 17))
    eve, birthday = dt.date(2026, 5, 16), dt.date(2026, 5, 17)

    assert (teen.age_on(eve), teen.is_minor(eve)) == (17, True)
    assert (teen.age_on(birthday), teen.is_minor(birthday)) == (Patient.AGE_OF_MAJORITY, False)


def test_initials_age_and_names_taken_out_of_free_text():
    assert cioms.initials("Priya  Menon") == "P.M."
    assert cioms.initials("K. S. Lakshmi") == "K.S.L."
    priya = Patient(date_of_birth=dt.date(1990, 5, 17))
    assert priya.age_on(dt.date(2026, 5, 16)) == 35
    assert priya.age_on(dt.date(2026, 5, 17)) == 36
    assert (
        cioms.without_name("PRIYA MENON said Priya's hands shook; Priyanka did not", "Priya Menon")
        == "[patient] said [patient]'s hands shook; Priyanka did not"
    )


# --- Made once, sent once ----------------------------------------------------------------------


def test_a_report_goes_to_the_pharmacovigilance_address_once_with_the_form_attached(
    delivered,
    physician,
    coordinator,
    run_at_once,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        reported = report(delivered, physician.user)

    to_supplier = [m for m in mailoutbox if m.to == [PHARMACOVIGILANCE]]
    assert len(to_supplier) == 1
    email = to_supplier[0]
    number = f"{delivered.reference}-AE{reported.pk}"
    assert email.subject.startswith("CIOMS I: SERIOUS suspected adverse reaction to Lupkynis")
    assert number in email.subject
    assert "Priya" not in email.body and "Menon" not in email.body
    [(name, content, content_type)] = email.attachments
    assert (name, content_type) == (
        f"{delivered.reference}-AE{reported.pk}-cioms-i.pdf",
        "application/pdf",
    )
    assert "P.M." in pdf_text(content)

    reported.refresh_from_db()
    document = reported.report_document
    assert document.kind == K.ADVERSE_EVENT_REPORT and document.generated
    assert document.file.open("rb").read() == content
    assert reported.forwarded_to == PHARMACOVIGILANCE
    assert reported.forwarded_at is not None
    events = list(
        CaseEvent.objects.filter(case=delivered, data__adverse_event_id=reported.pk).values_list(
            "transition", flat=True
        )
    )
    assert events == [
        adverse_events.REPORTED,
        adverse_events.PREPARED,
        adverse_events.FORWARDED,
    ]
    prepared = CaseEvent.objects.get(transition=adverse_events.PREPARED)
    assert prepared.data == {
        "adverse_event_id": reported.pk,
        "safety_contact": PHARMACOVIGILANCE,
        "document_id": document.pk,
        "document_version": document.version,
        "sha256": document.sha256,
    }

    # Delivered again (a redelivery, the sweep, a retry), prepared again: nothing more.
    tasks.deliver_event.apply((prepared.pk,))
    notification_services.event_deliver(event_id=prepared.pk)
    assert cioms.adverse_event_report_prepare(reported.pk) == "already"
    assert len([m for m in mailoutbox if m.to == [PHARMACOVIGILANCE]]) == 1
    row = Notification.objects.get(event=prepared)
    assert (row.channel, row.status, row.recipient, row.attachment) == (
        Channel.EMAIL,
        Status.SENT,
        None,
        document,
    )
    assert CaseEvent.objects.filter(transition=adverse_events.FORWARDED).count() == 1
    assert Document.objects.filter(kind=K.ADVERSE_EVENT_REPORT).count() == 1


def test_two_deliveries_of_the_same_event_send_one_email(
    delivered, physician, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        reported = report(delivered, physician.user)
    assert cioms.adverse_event_report_prepare(reported.pk) == "prepared"
    prepared = CaseEvent.objects.get(transition=adverse_events.PREPARED)

    tasks.deliver_event.apply((prepared.pk,))
    tasks.deliver_event.apply((prepared.pk,))

    assert [m.to for m in mailoutbox] == [[PHARMACOVIGILANCE]]


def test_a_supplier_without_a_pharmacovigilance_address_tells_the_coordinators(
    delivered,
    physician,
    coordinator,
    run_at_once,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    Supplier.objects.update(safety_contact_email="")

    with django_capture_on_commit_callbacks(execute=True):
        reported = report(delivered, physician.user)

    reported.refresh_from_db()
    assert reported.report_document is None and reported.forwarded_at is None
    unsent = CaseEvent.objects.get(transition=adverse_events.UNSENT)
    assert "no pharmacovigilance email" in unsent.data["reason"]
    told = [m for m in mailoutbox if "could not be sent" in m.subject]
    assert [m.to for m in told] == [[coordinator.email]]
    assert "no pharmacovigilance email" in told[0].body

    # The address is added; the coordinator sends it from the case page.
    Supplier.objects.update(safety_contact_email=PHARMACOVIGILANCE)
    with django_capture_on_commit_callbacks(execute=True):
        cioms.adverse_event_report_request(adverse_event=reported, actor=coordinator)
    assert [m.to for m in mailoutbox if m.to == [PHARMACOVIGILANCE]] == [[PHARMACOVIGILANCE]]


def test_an_email_given_up_tells_the_coordinators(
    delivered, physician, coordinator, settings, monkeypatch, mailoutbox
):
    settings.NPP_NOTIFICATION_MAX_ATTEMPTS = 1
    reported = report(delivered, physician.user)
    cioms.adverse_event_report_prepare(reported.pk)
    prepared = CaseEvent.objects.get(transition=adverse_events.PREPARED)

    def refuse(self, notification):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(notification_services.EmailChannel, "send", refuse)
    notification_services.event_deliver(event_id=prepared.pk)

    row = Notification.objects.get(event=prepared)
    assert row.status == Status.FAILED
    unsent = CaseEvent.objects.get(transition=adverse_events.UNSENT)
    assert unsent.data["reason"].startswith(f"The email to {PHARMACOVIGILANCE} failed")
    reported.refresh_from_db()
    assert reported.forwarded_at is None


def test_a_side_effect_on_a_closed_case_is_reported_too(delivered, physician, coordinator):
    closed = case_transition(case=delivered, actor=coordinator, transition="close")
    reported = report(closed, physician.user)

    assert cioms.adverse_event_report_prepare(reported.pk) == "prepared"
    reported.refresh_from_db()
    assert reported.report_document.case == closed


def test_the_sweep_finds_reports_whose_form_was_never_made(
    delivered, physician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        reported = report(delivered, physician.user)
    now = timezone.now()

    assert cioms.reports_to_prepare(now=now) == []  # its handler may still run
    later = now + dt.timedelta(minutes=5)
    assert cioms.reports_to_prepare(now=later) == [reported.pk]
    cioms.adverse_event_report_prepare(reported.pk)
    assert cioms.reports_to_prepare(now=later) == []


def test_sending_a_report_that_already_has_its_form_says_nothing_was_sent_again(
    delivered, physician, coordinator, client, run_at_once, django_capture_on_commit_callbacks
):
    """The button's message says what happened: a report already prepared is not
    prepared or sent again, and the coordinator is told so, with where it went."""
    from django.urls import reverse

    with django_capture_on_commit_callbacks(execute=True):
        reported = report(delivered, physician.user)
    reported.refresh_from_db()
    assert reported.report_document_id and reported.forwarded_at
    url = reverse("orders:coordinator-adverse-event-send", args=[delivered.pk, reported.pk])
    client.force_login(coordinator)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = client.post(url, follow=True).content.decode()

    assert callbacks == []  # nothing enqueued
    assert cioms.adverse_event_report_request(adverse_event=reported, actor=coordinator) is False
    assert "being prepared and sent" not in page
    assert (
        f"Nothing was sent again: the CIOMS I report was already sent to {PHARMACOVIGILANCE}"
        in (page)
    )
    assert Document.objects.filter(kind=K.ADVERSE_EVENT_REPORT).count() == 1
    assert CaseEvent.objects.filter(transition=adverse_events.PREPARED).count() == 1
