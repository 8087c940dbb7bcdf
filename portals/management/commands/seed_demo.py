"""Demo data: people who can sign in, and import cases in every state.

Every case is opened with `case_create` and moved with the same services a click
would call (`portals.demo.walk_to` along the happy path, `case_transition` off it),
so each one has a true event history, and every paper a case asks for is rendered
(here, synchronously) before it moves on: each is Ready, none failed. The data is
fixed, not random: the demo is the same every time. Running it again changes
nothing: people are found by email and cases by their patient and clinical
justification, which differ per case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand

from documents.generation.requests import render_papers_now
from documents.models import DocumentKind
from npp.accounts.models import Role, User
from orders.models import ImportCase, Patient, Physician, Priority, Product
from orders.services import case_create, case_transition
from orders.states import CaseStatus
from portals import demo

S = CaseStatus
PASSWORD = "npp-demo-2026"
ADMIN_URL = "http://127.0.0.1:8000/admin/"
COORDINATOR_EMAIL = "coordinator@demo.npp"
# Coordinators sign in with an authenticator app: the demo one is set up with this
# secret (add it to any TOTP app by hand). Never use it outside the demo.
DEMO_TOTP_SECRET = "NPPDEMOTOTPSECRETNPPDEMOTOTPSECR"


# --- People -------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPhysician:
    email: str
    full_name: str
    registration_number: str
    registration_council: str
    specialty: str
    hospital: str
    phone: str


PHYSICIANS = (
    DemoPhysician(
        email="dr.rao@demo.npp",
        full_name="Anil Rao",
        registration_number="48213",
        registration_council="NMC",
        specialty="Nephrology",
        hospital="Whitefield Renal Centre, Bengaluru",
        phone="+91 80 4000 1122",
    ),
    DemoPhysician(
        email="dr.shah@demo.npp",
        full_name="Bela Shah",
        registration_number="2009/03/1187",
        registration_council="Maharashtra Medical Council",
        specialty="Rheumatology",
        hospital="Bandra Rheumatology Clinic, Mumbai",
        phone="+91 22 4000 3344",
    ),
)


@dataclass(frozen=True)
class DemoPatient:
    full_name: str
    physician: str  # the treating physician's email
    date_of_birth: dt.date
    sex: str
    occupation: str
    address: str
    city: str
    state: str
    postal_code: str
    phone: str
    id_type: str
    id_number: str  # stored masked only (Patient.set_identity_number)
    email: str = ""  # with an email the patient signs in; without, the physician follows them


F, M = Patient.Sex.FEMALE, Patient.Sex.MALE
AADHAAR, PASSPORT = Patient.IdentityDocument.AADHAAR, Patient.IdentityDocument.PASSPORT
RAO, SHAH = "dr.rao@demo.npp", "dr.shah@demo.npp"

PATIENTS = (
    DemoPatient(
        full_name="Priya Menon",
        physician=RAO,
        date_of_birth=dt.date(1991, 3, 14),
        sex=F,
        occupation="Software engineer",
        address="Flat 4B, Prestige Lakeside Habitat, Varthur Main Road, Whitefield",
        city="Bengaluru",
        state="Karnataka",
        postal_code="560087",
        phone="+91 98450 31266",
        id_type=AADHAAR,
        id_number="5274 8301 6642",
        email="priya@demo.npp",
    ),
    DemoPatient(
        full_name="Omar Khan",
        physician=SHAH,
        date_of_birth=dt.date(1984, 11, 2),
        sex=M,
        occupation="Chartered accountant",
        address="702, Sea Breeze Apartments, 14th Road, Bandra West",
        city="Mumbai",
        state="Maharashtra",
        postal_code="400050",
        phone="+91 98200 47715",
        id_type=PASSPORT,
        id_number="Z4829173",
        email="omar@demo.npp",
    ),
    DemoPatient(
        full_name="Lakshmi Nair",
        physician=RAO,
        date_of_birth=dt.date(1978, 7, 25),
        sex=F,
        occupation="School teacher",
        address="TC 25/1432, Vazhuthacaud",
        city="Thiruvananthapuram",
        state="Kerala",
        postal_code="695014",
        phone="+91 94470 28831",
        id_type=AADHAAR,
        id_number="6813 2290 4475",
        email="lakshmi@demo.npp",
    ),
    DemoPatient(
        full_name="Arjun Pillai",
        physician=RAO,
        date_of_birth=dt.date(1996, 1, 9),
        sex=M,
        occupation="Graduate student",
        address="No. 18, 3rd Cross, Jayanagar 4th Block",
        city="Bengaluru",
        state="Karnataka",
        postal_code="560011",
        phone="+91 99000 51234",
        id_type=AADHAAR,
        id_number="3409 7716 2258",
    ),
    DemoPatient(
        full_name="Kavya Reddy",
        physician=RAO,
        date_of_birth=dt.date(1993, 8, 4),
        sex=F,
        occupation="Pharmacist",
        address="Plot 41, Road No. 12, Banjara Hills",
        city="Hyderabad",
        state="Telangana",
        postal_code="500034",
        phone="+91 98490 66120",
        id_type=AADHAAR,
        id_number="7752 0148 9931",
    ),
    DemoPatient(
        full_name="Deepa Krishnan",
        physician=RAO,
        date_of_birth=dt.date(1982, 12, 19),
        sex=F,
        occupation="Accountant",
        address="New No. 7, Old No. 3, Second Main Road, Gandhi Nagar, Adyar",
        city="Chennai",
        state="Tamil Nadu",
        postal_code="600020",
        phone="+91 94440 73518",
        id_type=AADHAAR,
        id_number="2961 5583 0417",
    ),
    DemoPatient(
        full_name="Anjali Das",
        physician=RAO,
        date_of_birth=dt.date(1989, 4, 27),
        sex=F,
        occupation="Journalist",
        address="12/1 Hindusthan Park, Gariahat",
        city="Kolkata",
        state="West Bengal",
        postal_code="700029",
        phone="+91 98300 24876",
        id_type=AADHAAR,
        id_number="8820 3147 5562",
    ),
    DemoPatient(
        full_name="Sunita Deshpande",
        physician=SHAH,
        date_of_birth=dt.date(1969, 9, 30),
        sex=F,
        occupation="Retired bank officer",
        address="B-12, Kumar Parisar, Kothrud",
        city="Pune",
        state="Maharashtra",
        postal_code="411038",
        phone="+91 98220 19047",
        id_type=AADHAAR,
        id_number="4187 6620 3395",
    ),
    DemoPatient(
        full_name="Farah Qureshi",
        physician=SHAH,
        date_of_birth=dt.date(1988, 5, 21),
        sex=F,
        occupation="Architect",
        address="Flat 3, Maker Tower F, Cuffe Parade",
        city="Mumbai",
        state="Maharashtra",
        postal_code="400005",
        phone="+91 98190 88342",
        id_type=PASSPORT,
        id_number="V7351902",
    ),
    DemoPatient(
        full_name="Rohan Mehta",
        physician=SHAH,
        date_of_birth=dt.date(1990, 2, 11),
        sex=M,
        occupation="Textile trader",
        address="21, Sahajanand Society, Navrangpura",
        city="Ahmedabad",
        state="Gujarat",
        postal_code="380009",
        phone="+91 98250 40719",
        id_type=AADHAAR,
        id_number="5530 9264 1178",
    ),
    DemoPatient(
        full_name="Vikram Singh",
        physician=SHAH,
        date_of_birth=dt.date(1975, 10, 6),
        sex=M,
        occupation="Civil engineer",
        address="C-54, Shastri Nagar",
        city="Jaipur",
        state="Rajasthan",
        postal_code="302016",
        phone="+91 94140 62285",
        id_type=AADHAAR,
        id_number="6695 4812 0736",
    ),
    DemoPatient(
        full_name="Neha Joshi",
        physician=SHAH,
        date_of_birth=dt.date(1998, 6, 15),
        sex=F,
        occupation="Content designer",
        address="Flat 9, Shree Apartments, Dharampeth",
        city="Nagpur",
        state="Maharashtra",
        postal_code="440010",
        phone="+91 98230 57604",
        id_type=AADHAAR,
        id_number="9143 2076 8851",
    ),
)


# --- Cases ----------------------------------------------------------------------


@dataclass(frozen=True)
class Walk:
    """Along the happy path to `state` (portals.demo.walk_to)."""

    state: str


@dataclass(frozen=True)
class Act:
    """One transition off the happy path, by "coordinator", "physician" or "patient"."""

    transition: str
    by: str
    note: str


@dataclass(frozen=True)
class Upload:
    kind: str
    by: str


@dataclass(frozen=True)
class DemoCase:
    patient: str
    justification: str  # differs per case: with the patient, it finds the case again
    steps: tuple[Walk | Act | Upload, ...] = ()
    quantity_packs: int = 3
    treatment_days: int = 90
    priority: str = Priority.NORMAL
    port_of_entry: str = "INBLR4"
    resupply_of: str = ""  # justification of the earlier case of the same patient
    expect: str = field(default="")  # the state the steps lead to, checked after seeding


LN = "Lupus nephritis"
NOT_IN_INDIA = "Voclosporin is not approved in India and no approved alternative is left."

CASES = (
    DemoCase(
        "Priya Menon",
        f"{LN} class IV, biopsy-proven, active despite six months of mycophenolate and "
        f"prednisolone. {NOT_IN_INDIA}",
        (Walk(S.CLOSED),),
        expect=S.CLOSED,
    ),
    DemoCase(
        "Priya Menon",
        f"Resupply: {LN} class IV responding to voclosporin (UPCR down from 3.1 to 0.9 g/g); "
        "continue for a further three months.",
        (Walk(S.OUT_FOR_DELIVERY),),
        resupply_of="Lupus nephritis class IV, biopsy-proven",
        expect=S.OUT_FOR_DELIVERY,
    ),
    DemoCase(
        "Lakshmi Nair",
        f"{LN} class III+V with persistent nephrotic-range proteinuria on mycophenolate. "
        f"{NOT_IN_INDIA}",
        (Walk(S.DELIVERED),),
        port_of_entry="INTRV4",
        expect=S.DELIVERED,
    ),
    DemoCase(
        "Lakshmi Nair",
        f"{LN} class III+V: request opened twice by mistake.",
        (
            Act(
                "cancel",
                "physician",
                "Opened twice by mistake; the other request for Lakshmi Nair goes ahead.",
            ),
        ),
        port_of_entry="INTRV4",
        expect=S.CANCELLED,
    ),
    DemoCase(
        "Omar Khan",
        f"{LN} class IV with rising creatinine on cyclophosphamide induction. {NOT_IN_INDIA}",
        (
            Walk(S.SUBMITTED),
            Act(
                "reject",
                "coordinator",
                "Screening blood pressure 172/108 mmHg is above the 165/105 mmHg limit on the "
                "voclosporin label, and no justification was given. Please refer again once "
                "blood pressure is controlled.",
            ),
        ),
        port_of_entry="INBOM4",
        expect=S.REJECTED,
    ),
    DemoCase(
        "Omar Khan",
        f"{LN} class IV; blood pressure now controlled on amlodipine (138/86 mmHg). {NOT_IN_INDIA}",
        (
            Walk(S.SUBMITTED),
            Act(
                "request_information",
                "coordinator",
                "The uploaded prescription is not dated and the signature is illegible. Please "
                "upload a signed, dated prescription and confirm the latest eGFR (value and "
                "date).",
            ),
        ),
        port_of_entry="INBOM4",
        expect=S.INFORMATION_REQUESTED,
    ),
    DemoCase(
        "Arjun Pillai",
        f"{LN} class IV diagnosed three months ago; partial response to mycophenolate. "
        f"{NOT_IN_INDIA}",
        (),  # no prescription uploaded yet: Submit explains what is missing
        quantity_packs=2,
        treatment_days=60,
        expect=S.DRAFT,
    ),
    DemoCase(
        "Kavya Reddy",
        f"{LN} class IV relapse after tapering steroids; mycophenolate not tolerated at "
        f"full dose. {NOT_IN_INDIA}",
        (Walk(S.SUBMITTED),),
        priority=Priority.URGENT,
        port_of_entry="INHYD4",
        expect=S.SUBMITTED,
    ),
    DemoCase(
        "Deepa Krishnan",
        f"{LN} class IV with proteinuria above 3 g/day after six months of standard "
        f"therapy. {NOT_IN_INDIA}",
        (
            Walk(S.SUBMITTED),
            Act(
                "request_information",
                "coordinator",
                "The justification mentions a renal biopsy: please upload the biopsy report "
                "(ISN/RPS class) and the latest urine protein-creatinine ratio.",
            ),
            Upload(DocumentKind.MEDICAL_REPORT, "physician"),
            Act(
                "resubmit",
                "physician",
                "Biopsy report uploaded: ISN/RPS class IV lupus nephritis. UPCR 3.4 g/g last week.",
            ),
            Walk(S.FORMS_PREPARATION),
        ),
        port_of_entry="INMAA4",
        expect=S.FORMS_PREPARATION,
    ),
    DemoCase(
        "Farah Qureshi",
        f"{LN} class V with nephrotic syndrome, steroid-dependent. {NOT_IN_INDIA}",
        (Walk(S.AWAITING_PERMIT),),
        priority=Priority.URGENT,
        port_of_entry="INBOM4",
        expect=S.AWAITING_PERMIT,
    ),
    DemoCase(
        "Rohan Mehta",
        f"{LN} class IV in a patient who cannot take cyclophosphamide. {NOT_IN_INDIA}",
        (
            Walk(S.SUPPLIER_ORDERING),
            Act(
                "hold",
                "coordinator",
                "The manufacturer has no stock of this pack until next week; order paused.",
            ),
            Act("resume", "coordinator", "Stock confirmed by the manufacturer; ordering now."),
        ),
        port_of_entry="INAMD4",
        expect=S.SUPPLIER_ORDERING,
    ),
    DemoCase(
        "Sunita Deshpande",
        f"{LN} class III with declining eGFR despite mycophenolate. {NOT_IN_INDIA}",
        (Walk(S.IN_TRANSIT),),
        quantity_packs=2,
        treatment_days=60,
        port_of_entry="INBOM4",
        expect=S.IN_TRANSIT,
    ),
    DemoCase(
        "Vikram Singh",
        f"{LN} class IV, second flare in two years on azathioprine maintenance. {NOT_IN_INDIA}",
        (Walk(S.CUSTOMS_CLEARANCE),),
        port_of_entry="INDEL4",
        expect=S.CUSTOMS_CLEARANCE,
    ),
    DemoCase(
        "Neha Joshi",
        f"{LN} class IV diagnosed at 26; proteinuria persists on triple therapy. {NOT_IN_INDIA}",
        (
            Walk(S.CUSTOMS_CLEARANCE),
            Act(
                "quarantine",
                "coordinator",
                "The shipper's temperature logger shows 33.5 C for 6 hours during the Dubai "
                "transfer, outside the 15-30 C excursion range. Lot held; the manufacturer is "
                "asked for a stability assessment.",
            ),
        ),
        port_of_entry="INBOM4",
        expect=S.QUARANTINED,
    ),
    DemoCase(
        "Anjali Das",
        f"{LN} class IV with rising proteinuria after a steroid taper. {NOT_IN_INDIA}",
        (
            Walk(S.AWAITING_PERMIT),
            Act(
                "hold",
                "coordinator",
                "Patient admitted with a chest infection; Dr Rao asked us to pause until she "
                "is discharged and re-assessed.",
            ),
        ),
        port_of_entry="INCCU4",
        expect=S.ON_HOLD,
    ),
)


# --- The command ----------------------------------------------------------------------


class Command(BaseCommand):
    help = "Create demo users and import cases in every state (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--without-papers",
            action="store_true",
            help="Render nothing (the pack a one-page stand-in): quicker, for tests that "
            "need the cases and their histories, not their papers.",
        )

    def handle(self, *args, **options) -> None:
        self.papers = None if options["without_papers"] else render_papers_now
        # One hash for every demo account: hashing is deliberately slow, and the demo
        # accounts share one password anyway.
        self.password_hash = make_password(PASSWORD)
        coordinator = self.user(COORDINATOR_EMAIL, "Cora Iyer", Role.COORDINATOR, staff=True)
        self.second_factor(coordinator)
        physicians = {spec.email: self.physician(spec) for spec in PHYSICIANS}
        patients = {spec.full_name: self.patient(spec, physicians) for spec in PATIENTS}
        lupkynis = Product.objects.get(brand_name="Lupkynis", strength="7.9 mg")

        created = 0
        for spec in CASES:
            patient, physician = patients[spec.patient]
            case = ImportCase.objects.filter(patient=patient, justification=spec.justification)
            if case.exists():
                continue
            self.case(spec, patient, physician, lupkynis, coordinator)
            created += 1

        self.report(created)

    # --- People -------------------------------------------------------------------

    def user(self, email: str, full_name: str, role: str, *, staff: bool = False) -> User:
        user, _ = User.objects.get_or_create(
            email=email,
            defaults={
                "full_name": full_name,
                "role": role,
                "password": self.password_hash,
                "is_staff": staff,
                "is_superuser": staff,
            },
        )
        return user

    def second_factor(self, user: User) -> None:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP

        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)

    def physician(self, spec: DemoPhysician) -> Physician:
        user = self.user(spec.email, f"Dr {spec.full_name}", Role.PHYSICIAN)
        physician, _ = Physician.objects.get_or_create(
            user=user,
            defaults={
                "full_name": spec.full_name,
                "registration_number": spec.registration_number,
                "registration_council": spec.registration_council,
                "specialty": spec.specialty,
                "hospital": spec.hospital,
                "phone": spec.phone,
                "email": spec.email,
            },
        )
        return physician

    def patient(
        self, spec: DemoPatient, physicians: dict[str, Physician]
    ) -> tuple[Patient, Physician]:
        user = self.user(spec.email, spec.full_name, Role.PATIENT) if spec.email else None
        patient = Patient.objects.filter(
            full_name=spec.full_name, date_of_birth=spec.date_of_birth
        ).first()
        if patient is None:
            patient = Patient(
                user=user,
                full_name=spec.full_name,
                date_of_birth=spec.date_of_birth,
                sex=spec.sex,
                occupation=spec.occupation,
                address=spec.address,
                city=spec.city,
                state=spec.state,
                postal_code=spec.postal_code,
                phone=spec.phone,
                email=spec.email,
                id_document_type=spec.id_type,
            )
            patient.set_identity_number(spec.id_number)
            patient.full_clean()
            patient.save()
        return patient, physicians[spec.physician]

    # --- Cases ----------------------------------------------------------------------

    def case(
        self,
        spec: DemoCase,
        patient: Patient,
        physician: Physician,
        product: Product,
        coordinator: User,
    ) -> ImportCase:
        resupply_of = None
        if spec.resupply_of:
            resupply_of = ImportCase.objects.get(
                patient=patient, justification__startswith=spec.resupply_of
            )
        case = case_create(
            actor=physician.user,
            patient=patient,
            physician=physician,
            product=product,
            resupply_of=resupply_of,
            prescribed_dose="23.7 mg (3 capsules of 7.9 mg) twice daily",
            daily_units=6,
            quantity_packs=spec.quantity_packs,
            treatment_days=spec.treatment_days,
            justification=spec.justification,
            port_of_entry=spec.port_of_entry,
            priority=spec.priority,
        )
        actors = {"coordinator": coordinator, "physician": physician.user, "patient": patient.user}
        for step in spec.steps:
            if isinstance(step, Walk):
                case = demo.walk_to(
                    case,
                    step.state,
                    coordinator=coordinator,
                    signing_password=PASSWORD,
                    papers=self.papers,
                )
            elif isinstance(step, Upload):
                demo.upload(case, step.kind, actors[step.by])
            else:
                case = case_transition(
                    case=case, actor=actors[step.by], transition=step.transition, note=step.note
                )
            # Every paper asked for so far, rendered before the next step: no case
            # moves on (or closes) with one left to render, or failed.
            if self.papers is not None:
                self.papers(case)
        if spec.expect and case.status != spec.expect:
            raise RuntimeError(f"{case.reference} ended {case.status}, expected {spec.expect}.")
        return case

    def report(self, created: int) -> None:
        out = self.stdout
        if created:
            out.write(self.style.SUCCESS(f"Created {created} demo import case(s)."))
        else:
            out.write("Demo data already present: nothing changed.")
        demo_cases = (
            ImportCase.objects.filter(physician__user__email__in=[p.email for p in PHYSICIANS])
            .select_related("patient")
            .order_by("pk")
        )
        for case in demo_cases:
            out.write(f"  {case.reference}  {case.get_status_display():<34} {case.patient}")
        out.write("")
        out.write(f"Admin: {ADMIN_URL}")
        out.write(f"Demo logins (password {PASSWORD}):")
        out.write(
            f"  coordinator (admin)  {COORDINATOR_EMAIL}  authenticator key {DEMO_TOTP_SECRET}"
        )
        for physician in PHYSICIANS:
            out.write(f"  physician            {physician.email}")
        for patient in PATIENTS:
            if patient.email:
                out.write(f"  patient              {patient.email}")
