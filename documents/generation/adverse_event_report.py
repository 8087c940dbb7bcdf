"""The side-effect report on a CIOMS I form, sent to the supplier's pharmacovigilance
address.

One form per adverse event: made from the event and its case, with the patient as
initials and age only (never the name, the date of birth or the address: the form
leaves the service for another company). Free text typed by the reporter is printed
with the patient's name taken out. The form is rendered outside any transaction and
stored, with the `send_adverse_event_report` event that takes it to the safety
contact, in one short transaction (orders.adverse_events); the email itself leaves
through the notification outbox with the stored file attached.

Flow: the `report_adverse_event` event commits -> `prepare_on_report` (a case-event
handler) enqueues `prepare_adverse_event_report` -> `adverse_event_report_prepare`.
A report never prepared (the handler or the task lost) is found by
`reports_to_prepare` and enqueued again by the sweep.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from documents.generation import parts
from documents.generation.formatting import country_name, format_date
from documents.generation.jobs import RENDER_TASK_OPTIONS
from documents.generation.papers import version_of
from documents.models import DocumentKind
from documents.rendering import render_pdf
from documents.services import document_store
from orders import adverse_events
from orders.models import AdverseEvent, CaseEvent, ImportCase
from orders.services import system_user

log = logging.getLogger(__name__)

K = DocumentKind
TEMPLATE = "documents/adverse_event_report.html"

# A report is looked for by the sweep once its handler had time to run, and for a day.
SWEEP_GRACE = dt.timedelta(minutes=2)
SWEEP_WINDOW = dt.timedelta(days=1)


# --- What the form says -------------------------------------------------------------------


def initials(full_name: str) -> str:
    """ "Priya Menon" -> "P.M."; each part of the name by its first letter."""
    return "".join(f"{part[0].upper()}." for part in full_name.split() if part[:1].isalpha())


def without_name(text: str, full_name: str) -> str:
    """`text` with the patient's name (whole, or any part of three letters or more,
    as a word) replaced by "[patient]": a reporter may write "Priya has a tremor"."""
    words = sorted(
        {full_name.strip(), *(part for part in full_name.split() if len(part) >= 3)},
        key=len,
        reverse=True,
    )
    for word in filter(None, words):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", "[patient]", text, flags=re.IGNORECASE)
    return text


def _reporter(report: AdverseEvent) -> dict[str, Any]:
    """Who reported it, as CIOMS asks (24d: report source). A patient's own report
    names no one: they are the patient."""
    case = report.case
    user = report.reported_by
    physician = case.physician
    if user.pk == physician.user_id:
        return {
            "source": "health_professional",
            "name": f"Dr {physician.full_name}",
            "role": "Prescribing physician"
            + (f" ({physician.specialty})" if physician.specialty else ""),
            "details": [
                part
                for part in (
                    f"{physician.registration_council} {physician.registration_number}".strip(),
                    physician.hospital,
                    physician.email,
                    physician.phone,
                )
                if part
            ],
        }
    if case.patient.user_id is not None and user.pk == case.patient.user_id:
        return {
            "source": "consumer",
            "name": "The patient",
            "role": "Consumer report (the patient)",
            "details": ["Contact through the sender below."],
        }
    return {
        "source": "other",
        "name": user.full_name,
        "role": f"Coordinator, {parts.importer().get('name') or settings.NPP_SERVICE_NAME}",
        "details": [user.email],
    }


def _treatment_start(case: ImportCase) -> dt.date | None:
    """The first delivery of the chain of resupplies this case belongs to."""
    first, start = case, case.delivered_at
    while first.resupply_of_id is not None:
        first = ImportCase.objects.only("delivered_at", "resupply_of").get(pk=first.resupply_of_id)
        start = first.delivered_at or start
    return timezone.localdate(start) if start else None


def adverse_event_report_data(report: AdverseEvent, *, today: dt.date | None = None) -> dict:
    """The CIOMS I form's content, plain data."""
    today = today or timezone.localdate()
    case = report.case
    patient = case.patient
    product = case.product
    supplier, address = adverse_events.safety_contact(case)
    verification = getattr(case, "verification", None)
    started = _treatment_start(case)
    reporter = _reporter(report)
    name = patient.full_name
    return {
        **parts.common(case, K.ADVERSE_EVENT_REPORT),
        "report": {
            "number": f"{case.reference}-AE{report.pk}",
            "type": "Initial",
            "date": format_date(today),
            "received": format_date(timezone.localdate(report.reported_at)),
            "due_on": format_date(report.due_on),
        },
        # Initials, country, age and sex only: CIOMS items 1 to 3, as the form leaves
        # the service. No "name" key, so no template can print it by mistake.
        "subject": {
            "initials": initials(name),
            "country": country_name(case.pathway.country),
            "age": patient.age_on(report.onset_date),
            "sex": patient.get_sex_display(),
        },
        "reaction": {
            "onset": format_date(report.onset_date),
            "onset_parts": {
                "day": f"{report.onset_date.day:02d}",
                "month": f"{report.onset_date:%b}".upper(),
                "year": str(report.onset_date.year),
            },
            "description": without_name(report.description, name),
            "serious": report.seriousness == AdverseEvent.Seriousness.SERIOUS,
            "seriousness": report.get_seriousness_display(),
            "died": report.outcome == AdverseEvent.Outcome.FATAL,
            "outcome": report.get_outcome_display(),
        },
        "drug": {
            "brand_name": product.brand_name,
            "generic_name": product.generic_name,
            "strength": product.strength,
            "dosage_form": product.dosage_form,
            "manufacturer": product.manufacturer,
            "lot": report.lot_number,
            "dose": case.prescribed_dose,
            "daily_units": case.daily_units,
            "route": product.route.capitalize(),
            "indication": product.indication.strip(),
            "therapy_from": format_date(started),
            # None when the onset came before this supply's first delivery on record.
            "therapy_days": (report.onset_date - started).days
            if started and report.onset_date >= started
            else None,
        },
        "concomitant": list(verification.co_medications) if verification else [],
        "history": without_name(case.justification, name),
        "reporter": reporter,
        "manufacturer": {
            "name": supplier.name if supplier else product.manufacturer,
            "address_lines": [
                line.strip() for line in (supplier.address if supplier else "").splitlines()
            ],
            "safety_contact": address,
        },
        "pathway": {"name": case.pathway.name, "regulator": case.pathway.regulator},
    }


def render_report(report: AdverseEvent) -> bytes:
    data = adverse_event_report_data(report)
    return render_pdf(TEMPLATE, {**data, "data_version": version_of(data)})


# --- Preparing and sending ------------------------------------------------------------------


def _load(adverse_event_id: int) -> AdverseEvent:
    return AdverseEvent.objects.select_related(
        "case__pathway",
        "case__product",
        "case__patient",
        "case__physician",
        "case__verification",
        "reported_by",
    ).get(pk=adverse_event_id)


def adverse_event_report_prepare(adverse_event_id: int) -> str:
    """Render the CIOMS I form of one report and hand it to the outbox, once: a
    report that has its form is left alone, whoever runs this again. Returns what
    happened: "prepared", "already" or "unsent" (no pharmacovigilance address)."""
    report = _load(adverse_event_id)
    if report.report_document_id is not None:
        return "already"
    supplier, address = adverse_events.safety_contact(report.case)
    if not address:
        who = supplier.name if supplier else "The product's supplier"
        adverse_events.adverse_event_report_unsent(
            adverse_event=report,
            reason=f"{who} has no pharmacovigilance email in the catalogue: "
            "add it to the supplier, then send the report again.",
        )
        return "unsent"
    # Slow work, outside any transaction: no row is locked while WeasyPrint runs.
    pdf = render_report(report)
    with transaction.atomic():
        # The report first: of two workers given the same report, the second waits
        # here, then finds the form linked and stores nothing.
        locked = AdverseEvent.objects.select_for_update(of=("self",)).get(pk=report.pk)
        if locked.report_document_id is not None:
            return "already"
        case = report.case
        document = document_store(
            case=case,
            kind=K.ADVERSE_EVENT_REPORT,
            content=pdf,
            content_type="application/pdf",
            original_filename=f"{case.reference}-AE{report.pk}-cioms-i.pdf",
            actor=system_user(),
            generated=True,
        )
        adverse_events.adverse_event_report_prepared(
            adverse_event=locked, document=document, safety_contact=address
        )
    return "prepared"


def _queue_options() -> dict:
    queue = settings.NPP_RENDER_QUEUE
    return {"queue": queue} if queue else {}


def _enqueue(adverse_event_id: int) -> None:
    try:
        prepare_adverse_event_report.apply_async((adverse_event_id,), **_queue_options())
    except Exception:  # the broker is down: the sweep enqueues it again
        log.exception("Could not enqueue the report of adverse event %s", adverse_event_id)


def prepare_on_report(event: CaseEvent) -> None:
    """A case-event handler (settings.NPP_CASE_EVENT_HANDLERS): a side effect was
    reported, its CIOMS I form is to be made and sent."""
    if event.transition != adverse_events.REPORTED:
        return
    adverse_event_id = (event.data or {}).get("adverse_event_id")
    if adverse_event_id:
        _enqueue(int(adverse_event_id))


def adverse_event_report_request(*, adverse_event: AdverseEvent, actor) -> bool:
    """A coordinator sends a report again that could not go (the supplier had no
    address and now has one): the form is made and sent after the commit. False, and
    nothing is done, when the report already has its form (made, and sent or on its
    way): the caller says so rather than that it is sending."""
    if not actor.is_coordinator:
        raise PermissionDenied("Only a coordinator sends side-effect reports.")
    if adverse_event.report_document_id is not None:
        return False
    transaction.on_commit(lambda: _enqueue(adverse_event.pk), robust=True)
    return True


def reports_to_prepare(*, now: dt.datetime | None = None) -> list[int]:
    """Reports of the last day with no form whose handler or task was lost: none
    made, none refused for want of an address."""
    now = now or timezone.now()
    refused = CaseEvent.objects.filter(transition=adverse_events.UNSENT).values_list(
        "data__adverse_event_id", flat=True
    )
    waiting = AdverseEvent.objects.filter(
        report_document__isnull=True,
        forwarded_at__isnull=True,
        reported_at__lte=now - SWEEP_GRACE,
        reported_at__gte=now - SWEEP_WINDOW,
    )
    refused_ids = {int(pk) for pk in refused if pk is not None}
    return [pk for pk in waiting.values_list("pk", flat=True) if pk not in refused_ids]


# The task sits beside its runner (as documents.generation.jobs.render_document does)
# and is named for documents.tasks. acks_late: a worker that dies mid-render leaves
# the message to be delivered again; the report's lock makes that harmless.
@shared_task(
    name="documents.tasks.prepare_adverse_event_report",
    dont_autoretry_for=(AdverseEvent.DoesNotExist,),
    **RENDER_TASK_OPTIONS,
)
def prepare_adverse_event_report(adverse_event_id: int) -> str:
    return adverse_event_report_prepare(adverse_event_id)


@shared_task(name="documents.tasks.sweep_adverse_event_reports", acks_late=True)
def sweep_adverse_event_reports() -> int:
    """Enqueue again the reports whose form was never made (Celery beat runs this)."""
    found = reports_to_prepare()
    for adverse_event_id in found:
        _enqueue(adverse_event_id)
    return len(found)
