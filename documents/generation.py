"""Generated documents: what each kind shows, the version of its data, and the render
jobs that turn that data into a stored PDF.

A document's context is plain data (strings, numbers, lists, dicts) built from the
case, its product, pathway, parties and history. Its SHA-256 over canonical JSON is
the `data_version`: the same data always gives the same version, so the unique key
(case, kind, data_version) of RenderJob makes a second request, or a task delivered
twice, produce no second document. Nothing about a particular product or country is
written here: every clinical and regulatory fact comes from the catalogue and the
pathway; the pack's sections come from `Pathway.forms`, each a template.

Flow: `request_render` (inside the caller's transaction) records the job and enqueues
the task on commit; the task calls `render_job_run`, which claims the job with a
conditional UPDATE, renders outside any transaction, and stores the result in a
short one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import get_template
from django.utils import timezone

from documents.models import DocumentKind, RenderJob, RenderStatus
from documents.rendering import render_pdf
from documents.services import document_store
from orders.models import CaseEvent, DomainError, ImportCase, Supplier
from orders.states import CaseStatus

log = logging.getLogger(__name__)

K = DocumentKind
S = CaseStatus

# Time bounds, innermost first: rendering.deadline (45 s) < the task's soft limit <
# its hard limit < the lease. A job whose lease ran out belongs to a worker that died
# (or was killed at the hard limit), so another worker may take it over; the lease
# must outlast the hard limit or a slow but live rendering would be taken twice.
RENDER_SOFT_TIME_LIMIT = 60
RENDER_TIME_LIMIT = 90
RENDER_LEASE = timedelta(seconds=120)
# A job still pending this long after it was requested was never delivered (broker
# down at commit, message lost): the sweep enqueues it again.
STALE_PENDING_AFTER = timedelta(minutes=10)

# Which document a case needs when it enters a state (design section 4, data flow).
RENDERED_ON_ENTRY: dict[str, DocumentKind] = {
    S.FORMS_PREPARATION: K.REGULATORY_APPLICATION,
    S.SUPPLIER_ORDERING: K.PURCHASE_ORDER,
    S.OUT_FOR_DELIVERY: K.PATIENT_INFORMATION,
    S.CLOSED: K.CASE_RECORD,
}

# Titles of the application pack's sections; a pathway lists the keys it needs in
# `Pathway.forms`, and each key has a template documents/_pack_<key>.html.
PACK_SECTION_TITLES = {
    "form_12a": "Application form",
    "justification_letter": "Physician's justification letter",
    "physician_undertaking": "Physician's undertaking",
    "patient_consent": "Patient's consent and declaration",
    "attachments_checklist": "Checklist of attachments",
}
SECTION_KEY = re.compile(r"^[a-z0-9_]{1,40}$")

COUNTRY_NAMES = {
    "AE": "United Arab Emirates",
    "AU": "Australia",
    "BE": "Belgium",
    "CA": "Canada",
    "CH": "Switzerland",
    "DE": "Germany",
    "DK": "Denmark",
    "ES": "Spain",
    "EU": "European Union",
    "FR": "France",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "IN": "India",
    "IT": "Italy",
    "JP": "Japan",
    "NL": "Netherlands",
    "SE": "Sweden",
    "SG": "Singapore",
    "US": "United States",
}


# --- Formatting: deterministic text, so the data (and its version) is stable ------


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get((code or "").upper(), code or "")


def format_date(value: dt.date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


def format_datetime(value: dt.datetime | None, *, short: bool = False) -> str:
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    zone = f" {local.tzname()}" if local.tzname() else ""
    if short:
        return f"{local.day} {local:%b %Y %H:%M}{zone}"
    return f"{local.day} {local:%B %Y, %H:%M}{zone}"


def format_celsius(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _days_phrase(days: int) -> str:
    if days % 30 == 0:
        months = days // 30
        return "month" if months == 1 else f"{months} months"
    if days % 7 == 0:
        weeks = days // 7
        return "week" if weeks == 1 else f"{weeks} weeks"
    return "day" if days == 1 else f"{days} days"


def _every(days: int) -> str:
    return f"every {_days_phrase(days)}"


def monitoring_sentences(schedule: Iterable[Mapping[str, Any]]) -> list[str]:
    """The product's monitoring schedule in a patient's words, one sentence per test:
    [{"test": "eGFR", "every_days": 14, "from_day": 0, "until_day": 30}, {"test":
    "eGFR", "every_days": 30, "from_day": 30}] -> "eGFR: every 2 weeks for the first
    month, then every month." """
    by_test: dict[str, list[Mapping[str, Any]]] = {}
    for entry in schedule:
        by_test.setdefault(entry["test"], []).append(entry)
    sentences = []
    for test, entries in by_test.items():
        parts = []
        for position, entry in enumerate(sorted(entries, key=lambda e: e.get("from_day", 0))):
            start = entry.get("from_day") or 0
            until = entry.get("until_day")
            text = _every(int(entry["every_days"]))
            if position == 0 and start:
                text += f" from the end of the first {_days_phrase(int(start))}"
            if until:
                text += (
                    f" for the first {_days_phrase(int(until))}"
                    if not start
                    else f" until day {int(until)}"
                )
            parts.append(text if position == 0 else f"then {text}")
        sentences.append(f"{test}: " + ", ".join(parts) + ".")
    return sentences


def _plural(noun: str) -> str:
    return noun if not noun or noun.endswith("s") else f"{noun}s"


def _person(user) -> str:
    if user is None:
        return ""
    return f"{user.full_name} ({user.get_role_display().lower()})"


def _address_lines(patient) -> list[str]:
    lines = [line.strip() for line in patient.address.splitlines() if line.strip()]
    city = " ".join(part for part in (patient.city, patient.postal_code) if part)
    lines += [part for part in (city, patient.state, country_name(patient.country)) if part]
    return lines


ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and ISO_DATETIME.match(value):
        with contextlib.suppress(ValueError):
            return format_datetime(dt.datetime.fromisoformat(value), short=True)
    if isinstance(value, str) and ISO_DATE.match(value):
        with contextlib.suppress(ValueError):
            parsed = dt.date.fromisoformat(value)
            return f"{parsed.day} {parsed:%b %Y}"
    return str(value)


def _flatten(data: Any, prefix: str = "") -> list[str]:
    """An event's structured data as 'key: value' lines for a reader."""
    if isinstance(data, dict):
        if set(data) == {"id", "name"}:
            return [f"{prefix}: {data['name']}"] if prefix else [str(data["name"])]
        lines = []
        for key in sorted(data):
            label = str(key).replace("_", " ")
            lines += _flatten(data[key], f"{prefix}, {label}" if prefix else label)
        return lines
    if isinstance(data, list):
        shown = ", ".join(_value_text(item) for item in data)
        return [f"{prefix}: {shown}" if prefix else shown] if shown else []
    if data in (None, ""):
        return []
    return [f"{prefix}: {_value_text(data)}" if prefix else _value_text(data)]


def _action_label(transition: str) -> str:
    from orders.services import TRANSITIONS, transition_label  # orders.services calls us

    if transition == CaseEvent.CREATED:
        return "Request opened"
    if transition in TRANSITIONS:
        return transition_label(transition)
    return transition.replace("_", " ").capitalize()


# --- The data of each document ----------------------------------------------------


def _common(case: ImportCase, kind: DocumentKind) -> dict[str, Any]:
    return {
        "kind": str(kind),
        "title": kind.label,
        "service": {
            "name": settings.NPP_SERVICE_NAME,
            "phone": settings.NPP_SERVICE_PHONE,
            "email": settings.NPP_SERVICE_EMAIL,
        },
        "case": {
            "reference": case.reference,
            "status": case.get_status_display(),
            "opened": format_date(timezone.localtime(case.created_at).date()),
            "regulator_reference": case.regulator_reference,
            "priority": case.get_priority_display(),
        },
    }


def _patient(case: ImportCase) -> dict[str, Any]:
    patient = case.patient
    return {
        "name": patient.full_name,
        "date_of_birth": format_date(patient.date_of_birth),
        "sex": patient.get_sex_display(),
        "occupation": patient.occupation,
        "address_lines": _address_lines(patient),
        "phone": patient.phone,
        "email": patient.email,
        "id_document": patient.get_id_document_type_display(),
        "id_number_masked": patient.id_document_number_masked,
    }


def _physician(case: ImportCase) -> dict[str, Any]:
    physician = case.physician
    return {
        "name": physician.full_name,
        "registration_number": physician.registration_number,
        "registration_council": physician.registration_council,
        "specialty": physician.specialty,
        "hospital": physician.hospital,
        "phone": physician.phone,
        "email": physician.email,
    }


def _product(case: ImportCase) -> dict[str, Any]:
    product = case.product
    approvals = [
        {"country": country_name(a.get("country", "")), "regulator": a.get("regulator", "")}
        for a in product.approved_in
    ]
    return {
        "brand_name": product.brand_name,
        "generic_name": product.generic_name,
        "manufacturer": product.manufacturer,
        "strength": product.strength,
        "dosage_form": product.dosage_form,
        "dosage_form_plural": _plural(product.dosage_form),
        "units_per_pack": product.units_per_pack,
        "dosing": product.dosing,
        "administration": product.administration,
        "missed_dose": product.missed_dose,
        "avoid": product.avoid,
        "dose_adjustment": product.dose_adjustment,
        "contraindicated_comedications": list(product.contraindicated_comedications),
        "approved_in": approvals,
        "approved_in_text": "; ".join(
            f"{a['regulator']} ({a['country']})" if a["regulator"] else a["country"]
            for a in approvals
        ),
        "storage": {
            "min": format_celsius(product.storage_min_c),
            "max": format_celsius(product.storage_max_c),
            "excursion_min": format_celsius(product.excursion_min_c),
            "excursion_max": format_celsius(product.excursion_max_c),
            "notes": product.storage_notes,
        },
        "monitoring": monitoring_sentences(product.monitoring_schedule),
    }


def _request(case: ImportCase) -> dict[str, Any]:
    units = (case.quantity_packs or 0) * case.product.units_per_pack
    return {
        "prescribed_dose": case.prescribed_dose,
        "daily_units": case.daily_units,
        "quantity_packs": case.quantity_packs,
        "quantity_units": units,
        "treatment_days": case.treatment_days,
        "days_of_supply": case.days_of_supply,
        "justification": case.justification,
        "port_of_entry": case.port_of_entry,
        "source_country": country_name(case.source_country),
    }


def _pathway(case: ImportCase) -> dict[str, Any]:
    pathway = case.pathway
    return {
        "name": pathway.name,
        "country": country_name(pathway.country),
        "regulator": pathway.regulator,
        "application_form": pathway.application_form,
        "application_form_name": pathway.application_form.split(" (")[0],
        "application_form_basis": (pathway.application_form.partition(" (")[2].removesuffix(")")),
        "permit_form": pathway.permit_form,
        "quantity_cap_days": pathway.quantity_cap_days,
        "adverse_event_days": dict(pathway.adverse_event_days),
    }


def _documents_on_file(case: ImportCase) -> dict[str, dict[str, Any]]:
    return {
        doc.kind: {"version": doc.version, "status": doc.get_review_status_display()}
        for doc in case.documents.current()
    }


def pack_sections(case: ImportCase) -> list[dict[str, str]]:
    """The pack's sections, in the pathway's order: a key, a title and its template."""
    sections = []
    for key in case.pathway.forms:
        if not isinstance(key, str) or not SECTION_KEY.match(key):
            raise DomainError(f"The pathway lists an invalid form key {key!r}.")
        title = PACK_SECTION_TITLES.get(key, key.replace("_", " ").capitalize())
        if key == "form_12a":
            title = case.pathway.application_form
        sections.append({"key": key, "title": title, "template": f"documents/_pack_{key}.html"})
    return sections


def _attachments(case: ImportCase, sections: list[dict[str, str]]) -> list[dict[str, Any]]:
    """What goes with the application: this pack's signed sections, then the other
    documents the pathway requires up to filing. A section that is itself a required
    document (the undertaking, the consent) is listed once, with its upload status."""
    on_file = _documents_on_file(case)
    wanted: dict[str, str] = {}
    for transition in ("submit", "verify", "file_application"):
        for kind, level in case.pathway.required_documents.get(transition, {}).items():
            if kind != K.REGULATORY_APPLICATION and wanted.get(kind) != "accepted":
                wanted[kind] = level

    def status(kind: str) -> str:
        held = on_file.get(kind)
        return f"Version {held['version']}, {held['status'].lower()}" if held else ""

    rows = []
    for section in sections:
        if section["key"] == "attachments_checklist":
            continue
        level = wanted.pop(section["key"], None)
        rows.append(
            {
                "item": section["title"],
                "source": "This pack, signed"
                + ("; upload accepted by the coordinator" if level == "accepted" else ""),
                "on_file": status(section["key"]) if level else "",
            }
        )
    for kind, level in wanted.items():
        rows.append(
            {
                "item": DocumentKind(kind).label if kind in K.values else kind,
                "source": "Upload, accepted by the coordinator"
                if level == "accepted"
                else "Upload",
                "on_file": status(kind),
            }
        )
    return rows


def regulatory_application_data(case: ImportCase) -> dict[str, Any]:
    sections = pack_sections(case)
    return {
        **_common(case, K.REGULATORY_APPLICATION),
        "patient": _patient(case),
        "physician": _physician(case),
        "product": _product(case),
        "request": _request(case),
        "pathway": _pathway(case),
        "supplier": _supplier(case, case.current_shipment),
        "sections": sections,
        "attachments": _attachments(case, sections),
    }


def _supplier(case: ImportCase, shipment) -> dict[str, Any]:
    supplier = shipment.supplier if shipment and shipment.supplier_id else None
    if supplier is None:
        # Before a shipment names its supplier, the order goes to the manufacturer.
        supplier = Supplier.objects.filter(name=case.product.manufacturer).first()
    if supplier is None:
        return {"name": case.product.manufacturer, "country": "", "kind": "", "email": ""}
    return {
        "name": supplier.name,
        "country": country_name(supplier.country),
        "kind": supplier.get_kind_display(),
        "email": supplier.contact_email,
    }


def _order_number(case: ImportCase, shipment) -> str:
    if shipment and shipment.purchase_order_number:
        return shipment.purchase_order_number
    # A reorder after a rejected lot is a new order: number it after the rejections.
    rejected = case.shipments.filter(rejected_at__isnull=False).count()
    return f"PO-{case.reference}" + (f"-{rejected + 1}" if rejected else "")


def _entered(case: ImportCase, state: str) -> CaseEvent | None:
    return case.events.filter(to_state=state).exclude(from_state=state).order_by("-pk").first()


def purchase_order_data(case: ImportCase) -> dict[str, Any]:
    shipment = case.current_shipment
    ordered = _entered(case, S.SUPPLIER_ORDERING)
    pathway = case.pathway
    shelf_life = []
    if case.treatment_days:
        shelf_life.append(f"cover the treatment period of {case.treatment_days} days")
    if pathway.min_remaining_shelf_life_days:
        shelf_life.append(f"be at least {pathway.min_remaining_shelf_life_days} days")
    if pathway.min_shelf_life_fraction:
        share = int(pathway.min_shelf_life_fraction * 100)
        shelf_life.append(f"be at least {share}% of the total shelf life")
    return {
        **_common(case, K.PURCHASE_ORDER),
        "order": {
            "number": _order_number(case, shipment),
            "date": format_date(timezone.localtime(ordered.created_at).date()) if ordered else "",
        },
        "supplier": _supplier(case, shipment),
        "patient": _patient(case),
        "physician": _physician(case),
        "product": _product(case),
        "request": _request(case),
        "pathway": _pathway(case),
        "permit": {
            "number": case.permit_number,
            "issued_on": format_date(case.permit_issued_on),
            "valid_until": format_date(case.permit_valid_until),
            "quantity_packs": case.permitted_quantity_packs,
        },
        "shelf_life": shelf_life,
    }


def patient_information_data(case: ImportCase) -> dict[str, Any]:
    shipment = case.current_shipment
    coordinator = case.assigned_coordinator
    delivery = {
        "lot": case.delivered_lot or (shipment.batch_number if shipment else ""),
        "expiry": format_date(shipment.expiry_date) if shipment else "",
        "quantity_packs": (shipment.quantity_packs if shipment else None) or case.quantity_packs,
        "courier": shipment.courier if shipment else "",
        "tracking_number": shipment.tracking_number if shipment else "",
        "received_by": case.delivered_to,
        "received_at": format_datetime(case.delivered_at),
    }
    return {
        **_common(case, K.PATIENT_INFORMATION),
        "patient": _patient(case),
        "physician": _physician(case),
        "product": _product(case),
        "request": _request(case),
        "pathway": _pathway(case),
        "coordinator": {
            "name": coordinator.full_name if coordinator else "",
            "email": coordinator.email if coordinator else "",
        },
        "delivery": delivery,
    }


def case_record_data(case: ImportCase) -> dict[str, Any]:
    events = [
        {
            "at": format_datetime(event.created_at, short=True),
            "who": event.actor.full_name,
            "role": event.actor.get_role_display().lower(),
            "on_behalf_of": _person(event.on_behalf_of),
            "transition": _action_label(event.transition),
            "from": event.get_from_state_display() if event.from_state else "",
            "to": event.get_to_state_display() if event.to_state else "",
            "note": event.note,
            "data": _flatten(event.data),
        }
        for event in case.events.select_related("actor", "on_behalf_of").order_by(
            "created_at", "pk"
        )
    ]
    documents = []
    for doc in (
        case.documents.select_related("uploaded_by", "reviewed_by", "superseded_by")
        .prefetch_related("signatures__signer")
        .order_by("created_at", "pk")
    ):
        superseded = getattr(doc, "superseded_by", None)
        documents.append(
            {
                "kind": doc.get_kind_display(),
                "version": doc.version,
                "generated": doc.generated,
                "sha256": doc.sha256,
                "size": doc.size,
                "content_type": doc.content_type,
                "added_at": format_datetime(doc.created_at, short=True),
                "added_by": _person(doc.uploaded_by),
                "review": doc.get_review_status_display(),
                "reviewed_by": _person(doc.reviewed_by),
                "reviewed_at": format_datetime(doc.reviewed_at, short=True),
                "review_reason": doc.review_reason,
                "superseded_by": superseded.version if superseded else None,
                "signatures": [
                    f"{sig.printed_name}, {sig.get_meaning_display().lower()}, "
                    f"{format_datetime(sig.signed_at, short=True)}"
                    for sig in doc.signatures.all()
                ],
            }
        )
    shipments = [
        {
            "supplier": str(s.supplier) if s.supplier_id else "",
            "purchase_order_number": s.purchase_order_number,
            "lot": s.batch_number,
            "expiry": format_date(s.expiry_date),
            "quantity_packs": s.quantity_packs,
            "courier": s.courier,
            "tracking_number": s.tracking_number,
            "rejected": format_datetime(s.rejected_at),
            "rejection_reason": s.rejection_reason,
        }
        for s in case.shipments.select_related("supplier").order_by("pk")
    ]
    return {
        **_common(case, K.CASE_RECORD),
        "patient": _patient(case),
        "physician": _physician(case),
        "product": _product(case),
        "request": _request(case),
        "pathway": _pathway(case),
        "permit": {
            "number": case.permit_number,
            "issued_on": format_date(case.permit_issued_on),
            "valid_until": format_date(case.permit_valid_until),
            "quantity_packs": case.permitted_quantity_packs,
        },
        "customs": {
            "bill_of_entry_number": case.bill_of_entry_number,
            "assessable_value": str(case.assessable_value or ""),
            "duty_amount": str(case.duty_amount or ""),
            "duty_exemption": case.get_duty_exemption_display() if case.duty_exemption else "",
            "clearance_date": format_date(case.clearance_date),
        },
        "delivery": {
            "received_by": case.delivered_to,
            "received_at": format_datetime(case.delivered_at),
            "lot": case.delivered_lot,
        },
        "events": events,
        "documents": documents,
        "shipments": shipments,
    }


DATA_BUILDERS: dict[str, Callable[[ImportCase], dict[str, Any]]] = {
    K.REGULATORY_APPLICATION: regulatory_application_data,
    K.PURCHASE_ORDER: purchase_order_data,
    K.PATIENT_INFORMATION: patient_information_data,
    K.CASE_RECORD: case_record_data,
}
GENERATED_KINDS = frozenset(DATA_BUILDERS)


def template_for(kind: str) -> str:
    return f"documents/{kind}.html"


def document_data(case: ImportCase, kind: str) -> dict[str, Any]:
    if kind not in DATA_BUILDERS:
        raise DomainError(f"{kind!r} is not a document the system generates.")
    return DATA_BUILDERS[kind](case)


def version_of(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def data_version(case: ImportCase, kind: str) -> str:
    """SHA-256 of the exact data the document is rendered from."""
    return version_of(document_data(case, kind))


def render_document_pdf(case: ImportCase, kind: str) -> tuple[bytes, str]:
    """The PDF of `kind` for `case` as its data stands now, and that data's version."""
    data = document_data(case, kind)
    version = version_of(data)
    if kind == K.REGULATORY_APPLICATION:
        for section in data["sections"]:
            get_template(section["template"])  # a missing one fails with its name
    pdf = render_pdf(template_for(kind), {**data, "data_version": version})
    return pdf, version


# --- Render jobs -------------------------------------------------------------------


def request_render(*, case: ImportCase, kind: str, actor) -> RenderJob:
    """Ask for `kind` to be generated from the case's current data. Runs in the
    caller's transaction; the task leaves only when it commits. Asking again for the
    same data finds the same job, and a job already rendered is not enqueued again."""
    version = data_version(case, kind)
    job, _created = RenderJob.objects.get_or_create(
        case=case, kind=kind, data_version=version, defaults={"requested_by": actor}
    )
    if job.status != RenderStatus.READY:
        _enqueue_on_commit(job.pk)
    return job


def _enqueue_on_commit(job_id: int) -> None:
    from documents.tasks import render_document  # the task module imports this one

    # An optional dedicated queue (a worker for heavy rendering, or a test's own queue).
    queue = settings.NPP_RENDER_QUEUE
    options = {"queue": queue} if queue else {}
    # robust: a broker that is down must not turn the committed transition into an
    # error for the person acting; the job stays pending and the sweep enqueues it.
    transaction.on_commit(lambda: render_document.apply_async((job_id,), **options), robust=True)


def on_transition(event: CaseEvent) -> RenderJob | None:
    """Request what the case needs on entering a state. Call it from the transition's
    transaction, after the event is appended; rendering starts after the commit."""
    kind = RENDERED_ON_ENTRY.get(event.to_state)
    if kind is None or event.from_state == event.to_state:
        return None
    return request_render(case=event.case, kind=kind, actor=event.actor)


def claim(job_id: int, *, now: dt.datetime | None = None) -> bool:
    """Take the job for this worker. A conditional UPDATE, so of two workers given the
    same job only one wins; a running job is taken over only once its lease expired."""
    now = now or timezone.now()
    claimable = Q(status__in=[RenderStatus.PENDING, RenderStatus.FAILED]) | Q(
        status=RenderStatus.RUNNING, lease_until__lt=now
    )
    updated = RenderJob.objects.filter(claimable, pk=job_id).update(
        status=RenderStatus.RUNNING,
        lease_until=now + RENDER_LEASE,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    return updated == 1


def render_job_run(job_id: int) -> RenderJob:
    """Render and store one job. Idempotent: a job that is ready, or held by another
    worker, is left alone. On failure the job records the error and the exception
    propagates so the task retries."""
    if not claim(job_id):
        job = RenderJob.objects.get(pk=job_id)
        log.info("Render job %s not claimed: it is %s.", job_id, job.status)
        return job
    job = RenderJob.objects.get(pk=job_id)
    try:
        # Slow work, outside any transaction: no row lock is held while WeasyPrint runs.
        case = ImportCase.objects.select_related(
            "pathway", "product", "patient", "physician", "assigned_coordinator"
        ).get(pk=job.case_id)
        pdf, version = render_document_pdf(case, job.kind)
        if version != job.data_version:
            # The case moved on between the request and now: the document shows the
            # data as it is now (a later request for this data finds its own job).
            log.info("Render job %s: data changed since requested (%s).", job_id, version[:12])
        return _record_success(job_id, case=case, pdf=pdf)
    except Exception as error:
        _record_failure(job_id, error)
        raise


@transaction.atomic
def _record_success(job_id: int, *, case: ImportCase, pdf: bytes) -> RenderJob:
    from orders.services import system_user

    job = RenderJob.objects.select_for_update().get(pk=job_id)
    if job.status == RenderStatus.READY:
        return job  # another worker that took over an expired lease finished first
    document = document_store(
        case=case,
        kind=job.kind,
        content=pdf,
        content_type="application/pdf",
        original_filename=f"{case.reference}-{job.kind.replace('_', '-')}.pdf",
        actor=system_user(),
        generated=True,
    )
    job.document = document
    job.status = RenderStatus.READY
    job.lease_until = None
    job.last_error = ""
    job.save(update_fields=["document", "status", "lease_until", "last_error", "updated_at"])
    return job


def _record_failure(job_id: int, error: BaseException) -> None:
    message = f"{type(error).__name__}: {error}"[:2000]
    RenderJob.objects.filter(pk=job_id).exclude(status=RenderStatus.READY).update(
        status=RenderStatus.FAILED, lease_until=None, last_error=message, updated_at=timezone.now()
    )


@transaction.atomic
@transaction.atomic
def retry_failed(job: RenderJob, actor) -> RenderJob:
    """A coordinator runs a failed rendering again (after fixing what made it fail)."""
    if not actor.is_coordinator:
        raise PermissionDenied("Only a coordinator may retry a document rendering.")
    locked = RenderJob.objects.select_for_update().get(pk=job.pk)
    if locked.status != RenderStatus.FAILED:
        raise DomainError(
            f"Only a failed rendering can be retried; this one is {locked.get_status_display()}."
        )
    locked.status = RenderStatus.PENDING
    locked.save(update_fields=["status", "updated_at"])
    _enqueue_on_commit(locked.pk)
    return locked


def stale_render_jobs(*, now: dt.datetime | None = None) -> list[int]:
    """Jobs that should be running but are not: pending long after the request (the
    task never left or was lost) or running with an expired lease (the worker died)."""
    now = now or timezone.now()
    stale = RenderJob.objects.filter(
        Q(status=RenderStatus.PENDING, updated_at__lt=now - STALE_PENDING_AFTER)
        | Q(status=RenderStatus.RUNNING, lease_until__lt=now)
    )
    return list(stale.values_list("pk", flat=True))


def requeue_stale(*, now: dt.datetime | None = None) -> int:
    jobs = stale_render_jobs(now=now)
    for job_id in jobs:
        _enqueue_on_commit(job_id)
    return len(jobs)
