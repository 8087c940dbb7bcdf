"""Data shaped like ten years of a real service, at any size, for benchmarks.

`make_load(cases=1_000_000)` writes what the issue's measurements assume: a case per
patient every few years (250,000 patients for a million cases), 5,000 physicians, 20
coordinators, a quarter of the cases open (spread over the open states as a working
service has them, each waiting a realistic time for its state: permits take weeks,
customs days), urgent one in 17, the rest closed, cancelled or rejected over ten
years with the identifiers each step records (regulator reference, permit, lot, AWB,
Bill of Entry), three events a case on average (the start and the last two moves).
Smaller sizes keep the proportions (physicians at most one per 200 cases).

PostgreSQL is loaded with COPY; the counter and search triggers are switched off
for the load and their tables rebuilt in one statement each afterwards (and the
trigram index built once, not row by row). SQLite gets batched INSERTs with its
triggers on. Rows get their ids here, so nothing is read back.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
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
    seconds: dict[str, float] = field(default_factory=dict)


def sizes(cases: int) -> dict[str, int]:
    return {
        "patients": max(cases // 4, 1),
        "physicians": max(min(5000, cases // 200), 5),
        "coordinators": 20,
    }


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


# --- Writing rows -------------------------------------------------------------------------


def _columns(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.concrete_fields)


def _pg_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        text = text.replace("\r", "\\r")
    return text


class _Writer:
    """Rows of one model, as dicts of attnames, written in batches: COPY on PostgreSQL,
    executemany on SQLite. Columns the generator does not give take their default."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = _columns(model)
        self.defaults = {}
        for f in self.fields:
            if f.has_default():
                self.defaults[f.attname] = f.get_default()
            elif f.has_db_default() or f.null:
                self.defaults[f.attname] = None
            elif isinstance(f, models.CharField | models.TextField):
                self.defaults[f.attname] = ""
        self.count = 0

    def write(self, rows: Iterable[dict[str, Any]], batch: int = 20_000) -> None:
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                self._flush(chunk)
                chunk = []
        if chunk:
            self._flush(chunk)

    def _values(self, row: dict[str, Any]) -> list[Any]:
        defaults = self.defaults
        return [
            row[f.attname] if f.attname in row else defaults.get(f.attname) for f in self.fields
        ]

    def _flush(self, rows: list[dict[str, Any]]) -> None:
        table = self.model._meta.db_table
        names = [f.column for f in self.fields]
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(_pg_text(v) for v in self._values(row)))
                buffer.write("\n")
            quoted = ", ".join(connection.ops.quote_name(n) for n in names)
            with connection.cursor() as cursor:
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    copy.write(buffer.getvalue())
        else:
            values = [
                [
                    f.get_db_prep_value(v, connection)
                    for f, v in zip(self.fields, self._values(row), strict=True)
                ]
                for row in rows
            ]
            placeholders = ", ".join("%s" for _ in names)
            quoted = ", ".join(connection.ops.quote_name(n) for n in names)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})",
                    [[_sqlite_json(v) for v in value] for value in values],
                )
        self.count += len(rows)


def _sqlite_json(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


# --- The shape ----------------------------------------------------------------------------


def _state_of(rng: random.Random) -> str:
    if rng.random() < OPEN_SHARE:
        return rng.choices(list(OPEN_WEIGHTS), weights=list(OPEN_WEIGHTS.values()))[0]
    return rng.choices(list(CLOSED_WEIGHTS), weights=list(CLOSED_WEIGHTS.values()))[0]


def _reached(state: str, held_from: str, rng: random.Random) -> int:
    """How far along the happy path the case got (an index into HAPPY_PATH)."""
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


def make_load(*, cases: int, seed: int = 1, now: dt.datetime | None = None) -> Loaded:
    """Append `cases` cases (and their people and history) to the database."""
    import time

    rng = random.Random(seed)
    now = now or timezone.now()
    loaded = Loaded()
    token = secrets.token_hex(3)
    counts = sizes(cases)
    started = time.perf_counter()
    pathway, product = Pathway.default(), Product.objects.get(brand_name="Lupkynis")
    supplier_id = Supplier.objects.order_by("pk").values_list("pk", flat=True).first()

    with transaction.atomic(), _triggers_paused():
        # People.
        user_id = _next_id(User)
        users = _Writer(User)
        coordinators = list(range(user_id, user_id + counts["coordinators"]))
        physician_users = list(
            range(coordinators[-1] + 1, coordinators[-1] + 1 + counts["physicians"])
        )
        joined = now - dt.timedelta(days=365 * YEARS)
        users.write(
            {
                "id": pk,
                "password": "!",
                "email": f"load-{token}-{n}@load.npp.example",
                "full_name": (f"Coordinator {n}" if pk in coordinators else f"Dr Load {n}"),
                "role": Role.COORDINATOR if pk < physician_users[0] else Role.PHYSICIAN,
                "is_active": True,
                "is_staff": False,
                "is_superuser": False,
                "date_joined": joined,
            }
            for n, pk in enumerate(coordinators + physician_users)
        )
        physician_id = _next_id(Physician)
        physicians = list(range(physician_id, physician_id + counts["physicians"]))
        _Writer(Physician).write(
            {
                "id": pk,
                "user_id": user,
                "full_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                "registration_number": f"NMC-{token}-{n:06d}",
                "registration_council": "NMC",
                "specialty": "Nephrology",
                "hospital": f"{rng.choice(CITIES)} General Hospital",
            }
            for n, (pk, user) in enumerate(zip(physicians, physician_users, strict=True))
        )
        patient_id = _next_id(Patient)
        patients = list(range(patient_id, patient_id + counts["patients"]))
        _Writer(Patient).write(
            {
                "id": pk,
                "full_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                "date_of_birth": dt.date(
                    1940 + rng.randrange(75), 1 + rng.randrange(12), 1 + rng.randrange(28)
                ),
                "sex": rng.choice("FM"),
                "address": f"{rng.randrange(1, 400)} Main Road",
                "city": rng.choice(CITIES),
                "postal_code": f"{rng.randrange(110000, 700000)}",
                "country": "IN",
                "phone": f"+91 9{rng.randrange(1000, 10000)} {rng.randrange(10000, 100000)}",
                "id_document_type": Patient.IdentityDocument.AADHAAR,
                "id_document_number_masked": f"XXXXXXXX{rng.randrange(10000):04d}",
            }
            for pk in patients
        )
        loaded.seconds["people"] = time.perf_counter() - started

        # Cases, their shipments and events.
        case_id, shipment_id, event_id = (
            _next_id(ImportCase),
            _next_id(Shipment),
            _next_id(CaseEvent),
        )
        numbers = dict(CaseSequence.objects.values_list("year", "last_number"))
        case_rows: list[dict[str, Any]] = []
        shipment_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        writers = {
            "case": _Writer(ImportCase),
            "shipment": _Writer(Shipment),
            "event": _Writer(CaseEvent),
        }
        span = 365 * YEARS

        def flush(final: bool = False) -> None:
            if len(case_rows) >= 20_000 or (final and case_rows):
                writers["case"].write(case_rows)
                writers["shipment"].write(shipment_rows)
                writers["event"].write(event_rows)
                case_rows.clear()
                shipment_rows.clear()
                event_rows.clear()

        # Open cases are recent; history spreads over ten years, in created order.
        plan = sorted(
            ((_state_of(rng), rng.random()) for _ in range(cases)),
            key=lambda item: (item[0] in OPEN_STATES or item[0] == S.DRAFT, item[1]),
        )
        for n, (state, u) in enumerate(plan):
            pk = case_id + n
            opened = state in OPEN_STATES or state == S.DRAFT
            if opened:
                wait = dt.timedelta(days=rng.expovariate(1 / MEAN_DAYS[state]))
                changed = now - wait
                created = changed - dt.timedelta(days=rng.uniform(2, 60))
            else:
                created = now - dt.timedelta(days=span * (1 - u) + 30)
                changed = min(created + dt.timedelta(days=rng.uniform(20, 90)), now)
            held_from = ""
            if state == S.ON_HOLD:
                held_from = rng.choice([s for s in HAPPY_PATH[1:-2]])
            reached = 0 if state == S.DRAFT else _reached(state, held_from, rng)
            year = created.year
            numbers[year] = numbers.get(year, 0) + 1
            reference = f"NPP-{year}-{numbers[year]:05d}"
            patient = patients[rng.randrange(len(patients))]
            row: dict[str, Any] = {
                "id": pk,
                "reference": reference,
                "pathway_id": pathway.pk,
                "patient_id": patient,
                "physician_id": physicians[rng.randrange(len(physicians))],
                "product_id": product.pk,
                "prescribed_dose": "23.7 mg (3 capsules) twice daily",
                "daily_units": 6,
                "quantity_packs": 3,
                "treatment_days": 90,
                "justification": "Lupus nephritis class IV despite standard therapy.",
                "priority": Priority.URGENT if rng.randrange(17) == 0 else Priority.NORMAL,
                "status": state,
                "held_from": held_from,
                "state_changed_at": changed,
                "created_at": created,
                "updated_at": changed,
                "created_by_id": coordinators[0],
                "assigned_coordinator_id": (
                    coordinators[rng.randrange(len(coordinators))] if reached >= 1 else None
                ),
            }
            at = HAPPY_PATH.index
            if reached >= at(S.AWAITING_PERMIT):
                row["regulator_reference"] = f"SUGAM/{year}/NP/{pk:07d}"
            if reached >= at(S.SUPPLIER_ORDERING):
                row["permit_number"] = f"12B/{pk:07d}/{year}"
                row["permit_issued_on"] = created.date()
                row["permit_valid_until"] = created.date() + dt.timedelta(days=180)
                row["permitted_quantity_packs"] = 3
            if reached >= at(S.IN_TRANSIT):
                lot = f"LV{pk:07d}{rng.choice('ABCDEFGH')}"
                shipment_rows.append(
                    {
                        "id": shipment_id,
                        "case_id": pk,
                        "supplier_id": supplier_id,
                        "purchase_order_number": f"PO-{reference}",
                        "batch_number": lot,
                        "manufactured_on": created.date() - dt.timedelta(days=60),
                        "expiry_date": created.date() + dt.timedelta(days=700),
                        "quantity_packs": 3,
                        "courier": "DHL Express",
                        "tracking_number": f"{rng.randrange(10**9, 10**10)}",
                        "created_at": created,
                    }
                )
                shipment_id += 1
            if reached >= at(S.OUT_FOR_DELIVERY):
                row["bill_of_entry_number"] = f"{rng.randrange(10**6, 10**7)}"
                row["assessable_value"] = Decimal("250000.00")
                row["duty_amount"] = Decimal("0.00")
                row["clearance_date"] = changed.date()
            if reached >= at(S.DELIVERED):
                row["delivered_to"] = "Patient"
                row["delivered_at"] = changed
                row["delivered_lot"] = shipment_rows[-1]["batch_number"]
            case_rows.append(row)
            # History: the start and the last two moves (three events a case on average).
            moves = _path_events(state, reached, held_from)[-2:]
            history = [("create", "", S.DRAFT, created)] + [
                (
                    name,
                    source,
                    target,
                    max(changed - dt.timedelta(days=2 * (len(moves) - 1 - i)), created),
                )
                for i, (name, source, target) in enumerate(moves)
            ]
            for name, source, target, moment in history:
                event_rows.append(
                    {
                        "id": event_id,
                        "case_id": pk,
                        "transition": name,
                        "from_state": source,
                        "to_state": target,
                        "actor_id": coordinators[pk % len(coordinators)],
                        "created_at": moment,
                        "note": NOTES.get(name, ""),
                        "data": {},
                    }
                )
                event_id += 1
            loaded.open += state in OPEN_STATES
            flush()
        flush(final=True)
        loaded.seconds["cases"] = time.perf_counter() - started

        CaseSequence.objects.bulk_create(
            [CaseSequence(year=year, last_number=number) for year, number in numbers.items()],
            update_conflicts=True,
            unique_fields=["year"],
            update_fields=["last_number"],
        )
        _reset_sequences()
    loaded.seconds["rebuilt"] = time.perf_counter() - started
    loaded.cases = writers["case"].count
    loaded.events = writers["event"].count
    loaded.shipments = writers["shipment"].count
    loaded.patients = len(patients)
    loaded.physicians = len(physicians)
    loaded.coordinators = len(coordinators)
    if connection.vendor == "postgresql":
        # VACUUM (the visibility map, for index-only scans) outside a transaction only.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            derived = (CaseSearch, CaseIdentifier)
            for model in (ImportCase, CaseEvent, *derived, Patient, Physician, Shipment, User):
                cursor.execute(f"{command} {model._meta.db_table}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    loaded.seconds["total"] = time.perf_counter() - started
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


class _triggers_paused:
    """On PostgreSQL the load COPYs into tables without their secondary indexes (each
    built once afterwards, from its own definition, is far cheaper than a million
    insertions into it) and without row triggers: as a superuser with
    session_replication_role = replica (no foreign-key checks either: every id is
    ours), otherwise with the counter and search triggers disabled. The counts and
    the search documents are then rebuilt in one statement each. SQLite keeps its
    triggers and indexes."""

    superuser = False
    indexes: list[tuple[str, str]] = []

    def __enter__(self) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            self.superuser = cursor.fetchone()[0]
            if self.superuser:
                cursor.execute("SET LOCAL session_replication_role = replica")
            else:
                for table, triggers in PAUSED.items():
                    for trigger in triggers:
                        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = ANY(%s) "
                "AND schemaname = current_schema() "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [list(BULK_TABLES)],
            )
            self.indexes = cursor.fetchall()
            for name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")

    def __exit__(self, kind, error, trace) -> None:
        if connection.vendor != "postgresql" or kind is not None:
            return
        rebuild_derived_tables()
        with connection.cursor() as cursor:
            if self.superuser:
                cursor.execute("SET LOCAL session_replication_role = origin")
            else:
                for table, triggers in PAUSED.items():
                    for trigger in triggers:
                        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
            # Checks queued before the load run now: an index cannot be built on a
            # table with checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _name, definition in self.indexes:
                cursor.execute(definition)


def rebuild_derived_tables() -> None:
    """Recount every state and rewrite every search document and identifier from the
    cases: what the triggers keep, computed again in one statement each (after a bulk
    load, or to check them)."""
    slots = CaseStateCount.SLOTS
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM orders_casestatecount")
        cursor.execute(
            "INSERT INTO orders_casestatecount (status, slot, count) "
            f"SELECT status, id % {slots}, COUNT(*) FROM orders_importcase "
            f"GROUP BY status, id % {slots}"
        )
        cursor.execute("DELETE FROM orders_casesearch")
        cursor.execute(
            "INSERT INTO orders_casesearch (case_id, document) "
            "SELECT case_id, document FROM orders_casesearch_source"
        )
        # In the primary key's order: the b-tree is filled left to right.
        cursor.execute("DELETE FROM orders_caseidentifier")
        cursor.execute(
            "INSERT INTO orders_caseidentifier (case_id, key) "
            "SELECT case_id, key FROM orders_caseidentifier_source ORDER BY key, case_id"
        )
