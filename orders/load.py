"""Data shaped like ten years of a real service, at any size, for benchmarks.

`make_load(cases=1_000_000)` writes what the issue's measurements assume: a case per
patient every few years (250,000 patients for a million cases), 5,000 physicians, 20
coordinators, a quarter of the cases open (spread over the open states as a working
service has them, each waiting a realistic time for its state: permits take weeks,
customs days), urgent one in 17, the rest closed, cancelled or rejected over ten
years with the identifiers each step records (regulator reference, permit, lot, AWB,
Bill of Entry), three events a case on average (the start and the last two moves).
Smaller sizes keep the proportions (physicians at most one per 200 cases).

Rows are written as COPY text lines made by one f-string each (PostgreSQL: one
streaming COPY a table, the server parsing while Python makes the next lines; SQLite:
the same lines as batched INSERTs, its triggers on). On PostgreSQL the secondary
indexes are dropped and the counter, search and identifier triggers off for the
load; the counts, the new cases' search documents and identifiers are then written in
one statement each and every index built once, in the load's one transaction. Rows
get their ids here, so nothing is read back. `log` hears each phase's time as it ends
(`manage.py make_load` prints them): at a million cases the COPYs, the trigram index
and the identifiers are most of it.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from npp.accounts.models import Role, User
from orders.models import (
    CaseEvent,
    CaseIdentifier,
    CaseSearch,
    CaseSequence,
    CaseStateCount,
    ImportCase,
    Pathway,
    Patient,
    Physician,
    Priority,
    Product,
    Shipment,
    Supplier,
)
from orders.states import HAPPY_PATH, OPEN_STATES, CaseStatus

S = CaseStatus
YEARS = 10

# Where a million cases stand: a quarter open, the rest history.
OPEN_SHARE = 0.25
OPEN_WEIGHTS = {
    S.SUBMITTED: 8,
    S.INFORMATION_REQUESTED: 5,
    S.FORMS_PREPARATION: 8,
    S.AWAITING_PERMIT: 25,
    S.SUPPLIER_ORDERING: 15,
    S.IN_TRANSIT: 10,
    S.CUSTOMS_CLEARANCE: 6,
    S.QUARANTINED: 1,
    S.OUT_FOR_DELIVERY: 4,
    S.DELIVERED: 10,
    S.ON_HOLD: 8,
}
CLOSED_WEIGHTS = {S.CLOSED: 86, S.CANCELLED: 7, S.REJECTED: 4, S.DRAFT: 3}
# Mean days a case waits in each open state (the pathway's clocks, roughly): the
# time in state is drawn from an exponential with this mean, so some are overdue.
MEAN_DAYS = {
    S.SUBMITTED: 1.5,
    S.INFORMATION_REQUESTED: 6,
    S.FORMS_PREPARATION: 3,
    S.AWAITING_PERMIT: 18,
    S.SUPPLIER_ORDERING: 9,
    S.IN_TRANSIT: 4,
    S.CUSTOMS_CLEARANCE: 2.5,
    S.QUARANTINED: 5,
    S.OUT_FOR_DELIVERY: 1,
    S.DELIVERED: 6,
    S.ON_HOLD: 20,
    S.DRAFT: 30,
}
FIRST_NAMES = [
    "Aarav",
    "Aditi",
    "Aisha",
    "Akash",
    "Amit",
    "Ananya",
    "Anil",
    "Anjali",
    "Arjun",
    "Arun",
    "Asha",
    "Bela",
    "Bhavna",
    "Chandra",
    "Deepa",
    "Dev",
    "Divya",
    "Farah",
    "Gauri",
    "Geeta",
    "Harish",
    "Imran",
    "Isha",
    "Jaya",
    "Kabir",
    "Kavya",
    "Kiran",
    "Lakshmi",
    "Leela",
    "Manoj",
    "Meera",
    "Mohan",
    "Nandini",
    "Naveen",
    "Neha",
    "Nikhil",
    "Omar",
    "Pooja",
    "Pradeep",
    "Priya",
    "Rahul",
    "Rajesh",
    "Ravi",
    "Rekha",
    "Rohan",
    "Sadia",
    "Sameer",
    "Sanjay",
    "Sara",
    "Shreya",
    "Sunil",
    "Sunita",
    "Tara",
    "Uma",
    "Varun",
    "Vidya",
    "Vikram",
    "Yash",
    "Zara",
    "Zoya",
]
SURNAMES = [
    "Agarwal",
    "Ahmed",
    "Bhat",
    "Banerjee",
    "Bose",
    "Chatterjee",
    "Chopra",
    "Das",
    "Desai",
    "Dutta",
    "Fernandes",
    "Gandhi",
    "Ghosh",
    "Gill",
    "Gupta",
    "Hegde",
    "Iyer",
    "Jain",
    "Joshi",
    "Kapoor",
    "Khan",
    "Kulkarni",
    "Kumar",
    "Malhotra",
    "Mehta",
    "Menon",
    "Mishra",
    "Mukherjee",
    "Nair",
    "Naidu",
    "Pandey",
    "Patel",
    "Pillai",
    "Rao",
    "Reddy",
    "Saxena",
    "Sen",
    "Shah",
    "Sharma",
    "Shetty",
    "Singh",
    "Sinha",
    "Srinivasan",
    "Subramanian",
    "Thakur",
    "Trivedi",
    "Varma",
    "Verma",
    "Yadav",
]
CITIES = ("Bengaluru", "Mumbai", "Delhi", "Chennai", "Hyderabad", "Kolkata", "Pune", "Kochi")


@dataclass
class Loaded:
    cases: int = 0
    events: int = 0
    patients: int = 0
    physicians: int = 0
    coordinators: int = 0
    shipments: int = 0
    open: int = 0
    # Wall-clock seconds of each phase, in the order they ran.
    seconds: dict[str, float] = field(default_factory=dict)


def sizes(cases: int) -> dict[str, int]:
    return {
        "patients": max(cases // 4, 1),
        "physicians": max(min(5000, cases // 200), 5),
        "coordinators": 20,
    }


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


class _Phases:
    """Times each phase of the load and says so as it goes (`log`, if given)."""

    def __init__(self, loaded: Loaded, log: Callable[[str], None] | None) -> None:
        self.loaded, self.log = loaded, log
        self.began = self.last = time.perf_counter()
        self.cpu = time.process_time()

    def done(self, name: str, detail: str = "") -> None:
        now, cpu = time.perf_counter(), time.process_time()
        seconds = now - self.last
        self.loaded.seconds[name] = self.loaded.seconds.get(name, 0.0) + seconds
        if self.log:
            stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
            extra = f"; {detail}" if detail else ""
            self.log(
                f"{stamp} {name}: {seconds:.1f} s (Python CPU {cpu - self.cpu:.1f} s{extra}), "
                f"{now - self.began:.1f} s in all"
            )
        self.last, self.cpu = now, cpu


# --- Writing rows -------------------------------------------------------------------------
#
# Rows are made as the text lines of PostgreSQL's COPY format (tab-separated, \N for
# NULL), straight from the values, one f-string a row: that is most of the Python
# work of a million cases, so no per-field conversion. SQLite gets the same lines split
# back into values; the formats below are ones both read the same way (timestamps as
# naive UTC "YYYY-MM-DD HH:MM:SS.ffffff", Django's own SQLite format, with the
# PostgreSQL session on UTC; booleans as 1/0). What the generator writes never holds
# a tab, newline or backslash; the defaults are escaped.

NULL = "\\N"


def _text(value: Any) -> str:
    if value is None:
        return NULL
    if value is True or value is False:
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        text = text.replace("\r", "\\r")
    return text


class _Table:
    """One model's COPY lines: the generator writes `given` (attnames) in that order
    and ends each line with `end`, the defaults of the model's other columns (a column
    with a database default and nothing given is left to the database)."""

    def __init__(self, model: type[models.Model], given: tuple[str, ...]) -> None:
        fields = {f.attname: f for f in model._meta.concrete_fields}
        rest = []
        for f in fields.values():
            if f.attname in given or (f.has_db_default() and not f.has_default()):
                continue
            if f.has_default():
                rest.append((f, f.get_default()))
            elif f.null:
                rest.append((f, None))
            elif isinstance(f, models.CharField | models.TextField):
                rest.append((f, ""))
            else:
                raise ValueError(f"make_load gives no value for {model.__name__}.{f.name}")
        self.model = model
        self.columns = [fields[name].column for name in given] + [f.column for f, _ in rest]
        self.end = "".join("\t" + _text(value) for _, value in rest) + "\n"
        self.count = 0

    def copy(self, lines: Iterable[str], batch: int = 5000) -> None:
        """Write the lines: one streaming COPY on PostgreSQL (the server parses one
        batch while the next is made), batched INSERTs on SQLite."""
        table = self.model._meta.db_table
        quoted = ", ".join(connection.ops.quote_name(n) for n in self.columns)
        lines = iter(lines)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    while chunk := list(islice(lines, batch)):
                        copy.write("".join(chunk))
                        self.count += len(chunk)
                return
            placeholders = ", ".join("%s" for _ in self.columns)
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})"
            while chunk := list(islice(lines, batch)):
                cursor.executemany(
                    sql,
                    [
                        [None if value == NULL else value for value in line[:-1].split("\t")]
                        for line in chunk
                    ],
                )
                self.count += len(chunk)


# --- The shape ----------------------------------------------------------------------------


def _reached(state: str, held_from: str, rng: random.Random) -> int:
    """How far along the happy path the case got (an index into HAPPY_PATH)."""
    if state == S.DRAFT:
        return 0
    if state == S.ON_HOLD:
        return HAPPY_PATH.index(held_from)
    if state == S.QUARANTINED:
        return HAPPY_PATH.index(S.CUSTOMS_CLEARANCE)
    if state == S.INFORMATION_REQUESTED:
        return HAPPY_PATH.index(S.SUBMITTED)
    if state in (S.CANCELLED, S.REJECTED):
        last = S.AWAITING_PERMIT if state == S.REJECTED else S.SUPPLIER_ORDERING
        return rng.randint(HAPPY_PATH.index(S.SUBMITTED), HAPPY_PATH.index(last))
    return HAPPY_PATH.index(state)


def _path_events(state: str, reached: int, held_from: str) -> list[tuple[str, str, str]]:
    """The moves that led to `state`, oldest first, as (transition, from, to)."""
    names = {
        S.SUBMITTED: "submit",
        S.FORMS_PREPARATION: "verify",
        S.AWAITING_PERMIT: "file_application",
        S.SUPPLIER_ORDERING: "record_permit",
        S.IN_TRANSIT: "dispatch",
        S.CUSTOMS_CLEARANCE: "arrive",
        S.OUT_FOR_DELIVERY: "clear_customs",
        S.DELIVERED: "confirm_delivery",
        S.CLOSED: "close",
    }
    moves = [
        (names[HAPPY_PATH[i]], HAPPY_PATH[i - 1], HAPPY_PATH[i]) for i in range(1, reached + 1)
    ]
    here = HAPPY_PATH[reached]
    if state == S.ON_HOLD:
        moves.append(("hold", held_from, S.ON_HOLD))
    elif state == S.QUARANTINED:
        moves.append(("quarantine", here, S.QUARANTINED))
    elif state == S.INFORMATION_REQUESTED:
        moves.append(("request_information", here, S.INFORMATION_REQUESTED))
    elif state == S.CANCELLED:
        moves.append(("cancel", here, S.CANCELLED))
    elif state == S.REJECTED:
        moves.append(("reject", here, S.REJECTED))
    return moves


NOTES = {
    "hold": "Patient admitted; paused until discharge.",
    "quarantine": "Logger shows an excursion.",
    "request_information": "Please send the latest eGFR report.",
    "cancel": "No longer needed.",
    "reject": "Registration could not be confirmed.",
}
# The columns each generator writes, in its lines' order.
CASE_COLUMNS = (
    "id",
    "reference",
    "patient_id",
    "physician_id",
    "priority",
    "status",
    "held_from",
    "state_changed_at",
    "created_at",
    "updated_at",
    "assigned_coordinator_id",
    "regulator_reference",
    "permit_number",
    "permit_issued_on",
    "permit_valid_until",
    "permitted_quantity_packs",
    "bill_of_entry_number",
    "assessable_value",
    "duty_amount",
    "clearance_date",
    "delivered_to",
    "delivered_at",
    "delivered_lot",
    "pathway_id",
    "product_id",
    "created_by_id",
    "prescribed_dose",
    "daily_units",
    "quantity_packs",
    "treatment_days",
    "justification",
)
EVENT_COLUMNS = ("id", "case_id", "transition", "from_state", "to_state", "note")
EVENT_COLUMNS += ("actor_id", "created_at")
SHIPMENT_COLUMNS = ("id", "case_id", "supplier_id", "purchase_order_number", "batch_number")
SHIPMENT_COLUMNS += ("manufactured_on", "expiry_date", "quantity_packs", "courier")
SHIPMENT_COLUMNS += ("tracking_number", "created_at")


def make_load(
    *,
    cases: int,
    seed: int = 1,
    now: dt.datetime | None = None,
    log: Callable[[str], None] | None = None,
) -> Loaded:
    """Append `cases` cases (and their people and history) to the database; `log`
    hears each phase's time as it ends."""
    rng = random.Random(seed)
    rand, randrange, choice = rng.random, rng.randrange, rng.choice
    now = (now or timezone.now()).astimezone(dt.UTC).replace(tzinfo=None)
    loaded = Loaded()
    phases = _Phases(loaded, log)
    token = secrets.token_hex(3)
    counts = sizes(cases)
    pathway, product = Pathway.default(), Product.objects.get(brand_name="Lupkynis")
    supplier_id = Supplier.objects.order_by("pk").values_list("pk", flat=True).first()

    with transaction.atomic(), _bulk_mode(phases) as bulk:
        # People.
        user_id = _next_id(User)
        coordinators = list(range(user_id, user_id + counts["coordinators"]))
        first_doctor = coordinators[-1] + 1
        physician_users = range(first_doctor, first_doctor + counts["physicians"])
        users = _Table(
            User,
            (
                "id",
                "email",
                "full_name",
                "role",
                "password",
                "is_active",
                "is_staff",
                "date_joined",
            ),
        )
        users_end = f"\t!\t1\t0\t{_text(now - dt.timedelta(days=365 * YEARS))}{users.end}"
        users.copy(
            f"{pk}\tload-{token}-{n}@load.npp.example\t"
            + (
                f"Coordinator {n}\t{Role.COORDINATOR}"
                if pk < first_doctor
                else f"Dr Load {n}\t{Role.PHYSICIAN}"
            )
            + users_end
            for n, pk in enumerate([*coordinators, *physician_users])
        )
        physician_id = _next_id(Physician)
        physicians = range(physician_id, physician_id + counts["physicians"])
        doctors = _Table(
            Physician,
            (
                "id",
                "user_id",
                "full_name",
                "registration_number",
                "hospital",
                "registration_council",
                "specialty",
            ),
        )
        doctors.copy(
            f"{pk}\t{user}\t{choice(FIRST_NAMES)} {choice(SURNAMES)}\t"
            f"NMC-{token}-{n:06d}\t{choice(CITIES)} General Hospital\tNMC\tNephrology"
            f"{doctors.end}"
            for n, (pk, user) in enumerate(zip(physicians, physician_users, strict=True))
        )
        patient_id = _next_id(Patient)
        patients = range(patient_id, patient_id + counts["patients"])
        people = _Table(
            Patient,
            (
                "id",
                "full_name",
                "date_of_birth",
                "sex",
                "address",
                "city",
                "postal_code",
                "phone",
                "id_document_number_masked",
                "country",
                "id_document_type",
            ),
        )
        people_end = f"\tIN\t{Patient.IdentityDocument.AADHAAR}{people.end}"
        people.copy(
            f"{pk}\t{choice(FIRST_NAMES)} {choice(SURNAMES)}\t"
            f"{1940 + randrange(75)}-{1 + randrange(12):02d}-{1 + randrange(28):02d}\t"
            f"{choice('FM')}\t{randrange(1, 400)} Main Road\t{choice(CITIES)}\t"
            f"{randrange(110000, 700000)}\t+91 9{randrange(1000, 10000)} "
            f"{randrange(10000, 100000)}\tXXXXXXXX{randrange(10000):04d}{people_end}"
            for pk in patients
        )
        phases.done("people", f"{users.count + doctors.count + people.count} rows")

        # Where each case stands: a quarter open (each waiting its state's usual time)
        # and the drafts abandoned lately, after the history, which spreads over ten
        # years in created order (so ids and references rise with time).
        open_count = sum(rand() < OPEN_SHARE for _ in range(cases))
        drawn = rng.choices(
            list(CLOSED_WEIGHTS), weights=list(CLOSED_WEIGHTS.values()), k=cases - open_count
        )
        history = [state for state in drawn if state != S.DRAFT]
        recent = rng.choices(
            list(OPEN_WEIGHTS), weights=list(OPEN_WEIGHTS.values()), k=open_count
        ) + [S.DRAFT] * (len(drawn) - len(history))
        rng.shuffle(recent)
        plan = history + recent
        ages = sorted(rand() for _ in history)

        case_id, shipment_id, event_id = (
            _next_id(ImportCase),
            _next_id(Shipment),
            _next_id(CaseEvent),
        )
        bulk.first_case = case_id
        numbers = dict(CaseSequence.objects.values_list("year", "last_number"))
        case_table = _Table(ImportCase, CASE_COLUMNS)
        case_end = (
            f"\t{pathway.pk}\t{product.pk}\t{coordinators[0]}\t"
            "23.7 mg (3 capsules) twice daily\t6\t3\t90\t"
            f"Lupus nephritis class IV despite standard therapy.{case_table.end}"
        )
        shipment_table = _Table(Shipment, SHIPMENT_COLUMNS)
        shipment_end = shipment_table.end
        supplier = NULL if supplier_id is None else supplier_id
        shipments: list[str] = []
        # What the events need of each case: its history (the start and its last two
        # moves, shared by every case with the same path), created and changed.
        histories: list[tuple[str, ...]] = []
        createds: list[dt.datetime] = []
        changeds: list[dt.datetime] = []
        paths: dict[tuple[str, int, str], tuple[str, ...]] = {}
        day, span = dt.timedelta(days=1), 365 * YEARS
        at = HAPPY_PATH.index
        filed, permitted = at(S.AWAITING_PERMIT), at(S.SUPPLIER_ORDERING)
        dispatched, cleared, delivered = at(S.IN_TRANSIT), at(S.OUT_FOR_DELIVERY), at(S.DELIVERED)
        held_states = HAPPY_PATH[1:-2]
        waits = {state: 1 / days for state, days in MEAN_DAYS.items()}
        urgent, normal = 1 / 17, (Priority.URGENT, Priority.NORMAL)
        n_coordinators, n_patients, n_physicians = len(coordinators), len(patients), len(physicians)
        history_count = len(history)

        def case_lines() -> Iterable[str]:
            nonlocal shipment_id
            for n, state in enumerate(plan):
                pk = case_id + n
                if n < history_count:
                    created = now - (span * (1 - ages[n]) + 30) * day
                    changed = min(created + (20 + 70 * rand()) * day, now)
                else:
                    changed = now - rng.expovariate(waits[state]) * day
                    created = changed - (2 + 58 * rand()) * day
                held = choice(held_states) if state == S.ON_HOLD else ""
                reached = _reached(state, held, rng)
                year = created.year
                numbers[year] = number = numbers.get(year, 0) + 1
                reference = f"NPP-{year}-{number:05d}"
                created_at, changed_at = created.isoformat(" "), changed.isoformat(" ")
                steps = f"SUGAM/{year}/NP/{pk:07d}\t" if reached >= filed else "\t"
                if reached >= permitted:
                    until = (created + 180 * day).isoformat()[:10]
                    steps += f"12B/{pk:07d}/{year}\t{created_at[:10]}\t{until}\t3\t"
                else:
                    steps += "\t\\N\t\\N\t\\N\t"
                lot = ""
                if reached >= dispatched:
                    lot = f"LV{pk:07d}{'ABCDEFGH'[int(rand() * 8)]}"
                    shipments.append(
                        f"{shipment_id}\t{pk}\t{supplier}\tPO-{reference}\t{lot}\t"
                        f"{(created - 60 * day).isoformat()[:10]}\t"
                        f"{(created + 700 * day).isoformat()[:10]}\t3\tDHL Express\t"
                        f"{randrange(10**9, 10**10)}\t{created_at}{shipment_end}"
                    )
                    shipment_id += 1
                if reached >= cleared:
                    steps += f"{randrange(10**6, 10**7)}\t250000.00\t0.00\t{changed_at[:10]}\t"
                else:
                    steps += "\t\\N\t\\N\t\\N\t"
                if reached >= delivered:
                    steps += f"Patient\t{changed_at}\t{lot}"
                else:
                    steps += "\t\\N\t"
                coordinator = coordinators[int(rand() * n_coordinators)] if reached else NULL
                yield (
                    f"{pk}\t{reference}\t{patients[int(rand() * n_patients)]}\t"
                    f"{physicians[int(rand() * n_physicians)]}\t{normal[rand() >= urgent]}\t"
                    f"{state}\t{held}\t{changed_at}\t{created_at}\t{changed_at}\t"
                    f"{coordinator}\t{steps}{case_end}"
                )
                key = (state, reached, held)
                if (path := paths.get(key)) is None:
                    path = paths[key] = tuple(
                        f"{name}\t{source}\t{target}\t{NOTES.get(name, '')}"
                        for name, source, target in _path_events(state, reached, held)[-2:]
                    )
                histories.append(path)
                createds.append(created)
                changeds.append(changed)

        case_table.copy(case_lines())
        loaded.open = sum(state in OPEN_STATES for state in plan)
        plan.clear()
        ages.clear()
        phases.done("cases", f"{case_table.count} rows")

        event_table = _Table(CaseEvent, EVENT_COLUMNS)
        event_end = event_table.end

        def event_lines() -> Iterable[str]:
            pk, number = case_id, event_id
            for path, created, changed in zip(histories, createds, changeds, strict=True):
                actor = coordinators[pk % n_coordinators]
                yield (
                    f"{number}\t{pk}\tcreate\t\t{S.DRAFT}\t\t{actor}\t"
                    f"{created.isoformat(' ')}{event_end}"
                )
                last = len(path)
                for i, move in enumerate(path, start=1):
                    moment = max(changed - 2 * (last - i) * day, created)
                    yield (
                        f"{number + i}\t{pk}\t{move}\t{actor}\t{moment.isoformat(' ')}{event_end}"
                    )
                number += 1 + last
                pk += 1

        event_table.copy(event_lines())
        histories.clear()
        createds.clear()
        changeds.clear()
        phases.done("events", f"{event_table.count} rows")
        shipment_table.copy(shipments)
        shipments.clear()
        phases.done("shipments", f"{shipment_table.count} rows")

        CaseSequence.objects.bulk_create(
            [CaseSequence(year=year, last_number=number) for year, number in numbers.items()],
            update_conflicts=True,
            unique_fields=["year"],
            update_fields=["last_number"],
        )
        _reset_sequences()
    loaded.cases = case_table.count
    loaded.events = event_table.count
    loaded.shipments = shipment_table.count
    loaded.patients = len(patients)
    loaded.physicians = len(physicians)
    loaded.coordinators = len(coordinators)
    phases.done("commit")
    derived = (CaseSearch, CaseIdentifier)
    tables = [
        model._meta.db_table
        for model in (ImportCase, CaseEvent, *derived, Patient, Physician, Shipment, User)
    ]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
            phases.done("analyze")
        elif connection.in_atomic_block:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
            phases.done("analyze")
        else:
            # VACUUM (the visibility map, for index-only scans) outside a transaction
            # only, and with no time limit (a million rows outlast the pages' 30 s).
            cursor.execute("SET statement_timeout = 0")
            try:
                cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
            finally:
                cursor.execute("RESET statement_timeout")
            phases.done("vacuum analyze")
    loaded.seconds["total"] = time.perf_counter() - phases.began
    return loaded


def _reset_sequences() -> None:
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(
        no_style(), [User, Physician, Patient, ImportCase, Shipment, CaseEvent]
    )
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


# --- Bulk mode for the load (PostgreSQL) -----------------------------------------------------

PAUSED = {
    "orders_importcase": (
        "case_state_count",
        "case_search_insert",
        "case_search_update",
        "case_identifier_insert",
        "case_identifier_update",
    ),
    "orders_shipment": ("case_search_shipment", "case_identifier_shipment"),
}
BULK_TABLES = (
    "orders_importcase",
    "orders_caseevent",
    "orders_shipment",
    "orders_casesearch",
    "orders_caseidentifier",
    "orders_patient",
    "orders_physician",
)
# Built before the search documents: the view reads each case's shipments by case.
FIRST_INDEXED = ("orders_shipment",)


class _bulk_mode:
    """On PostgreSQL the load COPYs into tables without their secondary indexes (each
    built once afterwards, from its own definition, is far cheaper than a million
    insertions into it) and without row triggers: as a superuser with
    session_replication_role = replica (no foreign-key checks either: every id is
    ours), otherwise with the counter, search and identifier triggers disabled. The
    counts, and the search documents and identifiers of the new cases, are then
    written in one statement each. All in the caller's transaction, with no statement
    time limit, on UTC, the commit not waiting for the disk (one commit: nothing to
    gain from waiting), and memory enough to sort an index in one pass. SQLite keeps
    its triggers and indexes."""

    superuser = False
    first_case = 0

    def __init__(self, phases: _Phases) -> None:
        self.phases = phases
        self.indexes: list[tuple[str, str, str]] = []

    def __enter__(self) -> _bulk_mode:
        if connection.vendor != "postgresql":
            return self
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 0")
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            self.superuser = cursor.fetchone()[0]
            if self.superuser:
                cursor.execute("SET LOCAL session_replication_role = replica")
            else:
                for table, triggers in PAUSED.items():
                    for trigger in triggers:
                        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
            cursor.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes i "
                "WHERE tablename = ANY(%s) AND schemaname = current_schema() "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [list(BULK_TABLES)],
            )
            self.indexes = cursor.fetchall()
            for _table, name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        self.phases.done("prepare", f"{len(self.indexes)} indexes dropped")
        return self

    def __exit__(self, kind, error, trace) -> None:
        if connection.vendor != "postgresql" or kind is not None:
            return
        with connection.cursor() as cursor:
            # Checks queued by the load (without superuser rights) run now: an index
            # cannot be built on a table with checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self._build(cursor, lambda table, _name: table in FIRST_INDEXED)
            rebuild_derived_tables(cases_from=self.first_case, phases=self.phases)
            if self.superuser:
                cursor.execute("SET LOCAL session_replication_role = origin")
            else:
                for table, triggers in PAUSED.items():
                    for trigger in triggers:
                        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self._build(cursor, lambda table, _name: table not in FIRST_INDEXED)

    def _build(self, cursor, which: Callable[[str, str], bool]) -> None:
        """Build the dropped indexes `which` picks: one phase per table."""
        for table in BULK_TABLES:
            built = [
                (name, definition)
                for owner, name, definition in self.indexes
                if owner == table and which(owner, name)
            ]
            slowest = ""
            for name, definition in built:
                began = time.perf_counter()
                cursor.execute(definition)
                seconds = time.perf_counter() - began
                if seconds > 2:
                    slowest += f", {name} {seconds:.1f} s"
            if built:
                self.phases.done(f"indexes {table}", f"{len(built)} built{slowest}")


def rebuild_derived_tables(*, cases_from: int | None = None, phases: _Phases | None = None) -> None:
    """Recount every state and rewrite the search documents and identifiers (every
    case's, or those of the cases from id `cases_from` on: a bulk load's own): what
    the triggers keep, computed again in one statement each (after a bulk load, or to
    check them)."""
    slots = CaseStateCount.SLOTS
    since = "" if cases_from is None else f" WHERE case_id >= {int(cases_from)}"
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM orders_casestatecount")
        cursor.execute(
            "INSERT INTO orders_casestatecount (status, slot, count) "
            f"SELECT status, id % {slots}, COUNT(*) FROM orders_importcase "
            f"GROUP BY status, id % {slots}"
        )
        if phases:
            phases.done("state counts")
        cursor.execute(f"DELETE FROM orders_casesearch{since}")
        cursor.execute(
            "INSERT INTO orders_casesearch (case_id, document) "
            f"SELECT case_id, document FROM orders_casesearch_source{since}"
        )
        if phases:
            phases.done("search documents", f"{cursor.rowcount} rows")
        # In the primary key's order: the b-tree is filled left to right.
        cursor.execute(f"DELETE FROM orders_caseidentifier{since}")
        cursor.execute(
            "INSERT INTO orders_caseidentifier (case_id, key) "
            f"SELECT case_id, key FROM orders_caseidentifier_source{since} ORDER BY key, case_id"
        )
        if phases:
            phases.done("identifiers", f"{cursor.rowcount} rows")
