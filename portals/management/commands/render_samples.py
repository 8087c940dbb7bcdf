"""Render one sample of each generated document from a demo case (and the CIOMS I
form of a side effect reported after its delivery).

Creates its own people and one case, walks it along the happy path with the same
services a person would use (portals.demo.walk_to), and renders each document at the
state that asks for it. Meant for a scratch database:

    DATABASE_URL=sqlite:////tmp/samples.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/samples.sqlite3 .venv/bin/python manage.py render_samples
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.test import override_settings
from django.utils import timezone

from billing import services as billing
from billing.selectors import case_account
from documents.generation.adverse_event_report import render_report
from documents.generation.papers import RENDERED_ON_ENTRY, data_version, render_document_pdf
from documents.generation.quality_release import quality_release_sign
from documents.generation.requests import render_papers_now
from documents.generation.signing import paper_sign
from documents.models import Document
from documents.models import DocumentKind as K
from npp.accounts.models import Role, User
from orders.adverse_events import adverse_event_report
from orders.models import AdverseEvent, Patient, Physician, Product
from orders.services import case_create, case_transition
from orders.states import CaseStatus as S
from portals import demo

# The sample people sign with this (the physician re-enters it for the undertaking).
SAMPLE_PASSWORD = "npp-samples-2026"

# The states a sample is rendered at, in walking order.
SAMPLE_STATES = tuple(state for state in demo.HAPPY_PATH if state in RENDERED_ON_ENTRY)


def _user(email: str, full_name: str, role: Role) -> User:
    return User.objects.filter(email=email).first() or User.objects.create_user(
        email, SAMPLE_PASSWORD, full_name=full_name, role=role
    )


def _physician() -> Physician:
    user = _user("dr.rao@samples.npp", "Dr Anil Rao", Role.PHYSICIAN)
    physician, _ = Physician.objects.get_or_create(
        user=user,
        defaults={
            "full_name": "Anil Rao",
            "registration_number": "NMC-2011-48213",
            "registration_council": "National Medical Commission (NMC)",
            "specialty": "Nephrology",
            "hospital": "Whitefield Renal Centre, Bengaluru",
            "phone": "+91 80 4000 1122",
            "email": "dr.rao@samples.npp",
        },
    )
    return physician


def _patient() -> Patient:
    user = _user("priya.menon@samples.npp", "Priya Menon", Role.PATIENT)
    patient = Patient.objects.filter(user=user).first()
    if patient is None:
        patient = Patient(
            user=user,
            full_name="Priya Menon",
            date_of_birth=dt.date(1990, 5, 17),
            sex=Patient.Sex.FEMALE,
            occupation="Teacher",
            address="Flat 4B, Lakeview Apartments\n12 Old Airport Road",
            city="Bengaluru",
            state="Karnataka",
            postal_code="560017",
            phone="+91 98450 12345",
            email="priya.menon@samples.npp",
            id_document_type=Patient.IdentityDocument.AADHAAR,
        )
        patient.set_identity_number("4821 7730 9012")
        patient.save()
    return patient


class Command(BaseCommand):
    help = "Render a sample PDF of each generated document into docs/samples/."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", default=str(settings.BASE_DIR / "docs" / "samples"))

    def handle(self, *args, output: str, **options) -> None:
        target = Path(output)
        target.mkdir(parents=True, exist_ok=True)
        coordinator = _user("coordinator@samples.npp", "Cora Coordinator", Role.COORDINATOR)
        physician = _physician()
        product = Product.objects.get(brand_name="Lupkynis")
        # Uploaded stand-in files of the walk go to a throwaway directory.
        scratch = tempfile.mkdtemp(prefix="npp-samples-")
        storages = {
            **settings.STORAGES,
            "private": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": scratch},
            },
        }
        with override_settings(STORAGES=storages):
            case = case_create(
                actor=physician.user,
                patient=_patient(),
                physician=physician,
                product=product,
                prescribed_dose="23.7 mg (3 capsules) twice daily",
                daily_units=6,
                quantity_packs=3,
                treatment_days=90,
                justification=(
                    "Biopsy-proven active lupus nephritis (ISN/RPS class IV) with persistent "
                    "proteinuria (UPCR 2.4 g/g) after six months of mycophenolate mofetil and "
                    "corticosteroids. Voclosporin added to the current regimen is indicated; "
                    "it is not approved in India."
                ),
                port_of_entry="INBLR4",
            )
            for state in SAMPLE_STATES:
                if state == S.CLOSED:
                    # Customs assessed less than the estimate: the excess is refunded
                    # after delivery, before the case closes (its credit note is then
                    # among the record's documents).
                    case = demo.walk_to(
                        case,
                        S.DELIVERED,
                        coordinator=coordinator,
                        signing_password=SAMPLE_PASSWORD,
                        papers=render_papers_now,
                    )
                    self._refund_the_excess(case, coordinator)
                    render_papers_now(case)
                if state == S.OUT_FOR_DELIVERY:
                    # Customs assess 850 rupees less than estimated: the excess is
                    # refunded after delivery, with its credit note.
                    case = self._clear_customs_below_the_estimate(case, coordinator)
                # Every paper rendered and stored as the system does at each step, so
                # the pack filed is a real one and the case record the one made at closing.
                case = demo.walk_to(
                    case,
                    state,
                    coordinator=coordinator,
                    signing_password=SAMPLE_PASSWORD,
                    papers=render_papers_now,
                )
                kinds = [RENDERED_ON_ENTRY[state]]
                if state == S.SUPPLIER_ORDERING:
                    self._write_filed_pack(target, case)
                    demo.settle_money(case, coordinator)
                    kinds = [K.PROFORMA_INVOICE, *kinds]
                if state == S.CLOSED:
                    kinds = [K.TAX_INVOICE, K.CREDIT_NOTE]
                    self._write_stored(target, case, K.CASE_RECORD)  # as made at closing
                if state == S.FORMS_PREPARATION:
                    # The papers signed before filing, as read and signed; then the
                    # pack with their signatures' manifestations.
                    kinds = [K.PHYSICIAN_UNDERTAKING, K.PATIENT_CONSENT]
                    for kind in kinds:
                        self._write(target, case, kind)
                    self._sign_papers(case, coordinator)
                    kinds = []  # the pack: as filed, once the case is past filing
                for kind in kinds:
                    self._write(target, case, kind)
            self._write_adverse_event_report(target, case, physician)
            self._write_quality_release(target, coordinator, physician, product)

    def _write_filed_pack(self, target: Path, case) -> None:
        """The pack as the regulator received it: the version the filing's event names,
        with both signatures' manifestations and its checklist complete."""
        filed = case.events.get(transition="file_application").data["filed_pack"]
        self._write_document(target, Document.objects.get(pk=filed["document_id"]))

    def _write_stored(self, target: Path, case, kind: str) -> None:
        self._write_document(target, Document.objects.current().get(case=case, kind=kind))

    def _write_document(self, target: Path, paper: Document) -> None:
        with paper.file.open("rb") as stored:
            pdf = stored.read()
        path = target / f"{paper.kind.replace('_', '-')}.pdf"
        path.write_bytes(pdf)
        self.stdout.write(f"{path} ({len(pdf)} bytes, version {paper.version} as stored)")

    def _sign_papers(self, case, coordinator) -> None:
        for kind, signer, name in (
            (K.PHYSICIAN_UNDERTAKING, case.physician.user, case.physician.full_name),
            (K.PATIENT_CONSENT, case.patient.user, case.patient.full_name),
        ):
            paper_sign(
                case=case,
                kind=kind,
                signer=signer,
                password=SAMPLE_PASSWORD,
                printed_name=name,
                read_version=data_version(case, kind),
            )
        demo.upload(case, K.PATIENT_IDENTITY, case.patient.user, accept_by=coordinator)

    def _write_quality_release(self, target: Path, coordinator, physician, product) -> None:
        """A second case, held at customs after a temperature excursion and released
        with the coordinator's signed quality decision."""
        case = case_create(
            actor=physician.user,
            patient=_patient(),
            physician=physician,
            product=product,
            prescribed_dose="23.7 mg (3 capsules) twice daily",
            daily_units=6,
            quantity_packs=3,
            treatment_days=90,
            justification="Active lupus nephritis class IV; voclosporin is not approved in India.",
            port_of_entry="INBLR4",
        )
        case = demo.walk_to(
            case, S.CUSTOMS_CLEARANCE, coordinator=coordinator, signing_password=SAMPLE_PASSWORD
        )
        case = case_transition(
            case=case,
            actor=coordinator,
            transition="quarantine",
            note="The data logger shows 33.5 to 34.0 °C for 45 minutes during the transfer at "
            "Bengaluru air cargo.",
        )
        case = quality_release_sign(
            case=case,
            actor=coordinator,
            decision=(
                "The manufacturer's stability data cover 30 days at up to 40 °C; 45 minutes at "
                "34 °C does not affect the lot. Packs inspected: seals intact, no damage. "
                "Released for delivery."
            ),
            printed_name=coordinator.full_name,
            password=SAMPLE_PASSWORD,
        )
        statement = case.documents.current().get(kind=K.QUALITY_RELEASE)
        with statement.file.open("rb") as stored:
            pdf = stored.read()
        path = target / "quality-release.pdf"
        path.write_bytes(pdf)
        self.stdout.write(f"{path} ({len(pdf)} bytes)")

    def _write(self, target: Path, case, kind: str) -> None:
        pdf, version = render_document_pdf(case, kind)
        path = target / f"{kind.replace('_', '-')}.pdf"
        path.write_bytes(pdf)
        self.stdout.write(f"{path} ({len(pdf)} bytes, data version {version[:12]})")

    def _write_adverse_event_report(self, target: Path, case, physician) -> None:
        """A side effect the physician reports after delivery, on its CIOMS I form."""
        report = adverse_event_report(
            case=case,
            reporter=physician.user,
            onset_date=timezone.localdate(),
            description=(
                "Fine tremor of both hands and headache from the evening of the first day; "
                "BP 148/92 mmHg at the clinic the next morning (baseline 128/82). eGFR 70 "
                "mL/min/1.73 m2, unchanged. Dose continued; paracetamol for the headache."
            ),
            seriousness=AdverseEvent.Seriousness.NON_SERIOUS,
            outcome=AdverseEvent.Outcome.RECOVERING,
        )
        pdf = render_report(report)
        path = target / "adverse-event-report.pdf"
        path.write_bytes(pdf)
        self.stdout.write(f"{path} ({len(pdf)} bytes, CIOMS I {case.reference}-AE{report.pk})")

    def _clear_customs_below_the_estimate(self, case, coordinator):
        case = demo.walk_to(
            case, S.CUSTOMS_CLEARANCE, coordinator=coordinator, signing_password=SAMPLE_PASSWORD
        )
        estimate = case.quotations.get(status="accepted").duty_total
        return case_transition(
            case=case,
            actor=coordinator,
            transition="clear_customs",
            data=demo.customs_data(case, duty_amount=str(estimate - 850)),
        )

    def _refund_the_excess(self, case, coordinator) -> None:
        billing.invoice_issue(case=case, actor=coordinator)
        excess = case_account(case).refundable
        billing.refund_record(
            case=case,
            actor=coordinator,
            method="neft_rtgs",
            reference="UTR-HDFC-884120",
            amount=excess,
            paid_on=timezone.localdate(),
            reason="Customs assessed less duty than estimated: the excess is refunded.",
        )
