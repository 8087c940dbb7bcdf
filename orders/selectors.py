"""Reads for the coordinators' pages: the queue, its counts, a case's page.

The queue is read by keyset (urgent first, then longest in its state, then id) on
the `case_queue_idx` / `case_queue_state_idx` indexes, so a deep page costs what
the first one does, and each page is one query for its rows whatever the filters.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from npp.accounts.models import Role, User
from orders.access import cases_visible_to
from orders.models import (
    AdverseEvent,
    CaseEvent,
    CaseStateCount,
    ImportCase,
    Pathway,
    Patient,
    Physician,
    Priority,
    Product,
)
from orders.models import expected_time as expected_time_of
from orders.papers import DocumentKind
from orders.search import search_condition
from orders.states import OPEN_STATES, CaseStatus

S = CaseStatus

# What the queue lists unless a state is chosen: every case a coordinator works on.
QUEUE_STATES = OPEN_STATES
# Urgent first: the order of the priority segments of the queue.
PRIORITY_ORDER = (Priority.URGENT, Priority.NORMAL)
PER_PAGE = 25
DUE_SOON_FRACTION = 0.75


# --- Time in state --------------------------------------------------------------------


class TemplateRow:
    """Subscriptable by attribute name. The template engine tries `row[name]` before
    `row.name`; answering it spares an exception per variable on the queue's rows,
    a quarter of the page's time."""

    def __getitem__(self, name: str):
        return getattr(self, name)


def expected_time(pathway: Pathway, state: str, priority: str) -> dt.timedelta | None:
    """How long a case may stay in `state` on `pathway`; urgent cases a shorter time."""
    return pathway.expected_time(state, priority)


@dataclass(frozen=True)
class Due(TemplateRow):
    """Where a case stands against its state's clock: "overdue", "due" (most of the
    time used) or "" (on time, or no clock for this state)."""

    status: str
    age: dt.timedelta
    allowed: dt.timedelta | None

    @property
    def overdue(self) -> bool:
        return self.status == "overdue"

    @property
    def remaining(self) -> dt.timedelta | None:
        return None if self.allowed is None else self.allowed - self.age

    @property
    def age_text(self) -> str:
        return span_text(self.age)

    @property
    def allowed_text(self) -> str:
        return span_text(self.allowed) if self.allowed is not None else ""


def span_text(span: dt.timedelta) -> str:
    """3 d 4 h, 5 h, 12 min: how long, to the precision a queue needs."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"


def due_of(case: ImportCase, now: dt.datetime) -> Due:
    return _due(case.pathway.expected_days, case.status, case.priority, case.state_changed_at, now)


def _due(
    expected_days: dict | None, state: str, priority: str, since: dt.datetime, now: dt.datetime
) -> Due:
    age = now - since
    allowed = expected_time_of(expected_days, state, priority)
    if allowed is None:
        return Due("", age, None)
    if age >= allowed:
        return Due("overdue", age, allowed)
    if age >= allowed * DUE_SOON_FRACTION:
        return Due("due", age, allowed)
    return Due("", age, allowed)


def overdue_q(now: dt.datetime) -> Q:
    """Cases past their state's clock, as one filter: the pathways' clocks are data,
    so the filter is built from them (a handful of pathways, a dozen states)."""
    condition = Q(pk__in=[])
    for pathway in Pathway.objects.only("pk", "expected_days"):
        for state in pathway.expected_days or {}:
            for priority in PRIORITY_ORDER:
                allowed = expected_time(pathway, state, priority)
                condition |= Q(
                    pathway_id=pathway.pk,
                    status=state,
                    priority=priority,
                    state_changed_at__lte=now - allowed,
                )
    return condition


# --- Counts per state -------------------------------------------------------------------


def state_counts() -> dict[str, int]:
    """Cases per state: the sum of each state's rows in the counter table the database
    keeps in the transaction of every change (CaseStateCount), a few hundred rows
    whatever the number of cases. Exact at the moment of reading, no cache."""
    rows = CaseStateCount.objects.values_list("status").annotate(n=Sum("count")).order_by()
    return {status: n for status, n in rows if n}


@dataclass(frozen=True)
class StateCount(TemplateRow):
    state: str
    label: str
    count: int


def queue_state_counts(counts: dict[str, int]) -> list[StateCount]:
    return [StateCount(state, S(state).label, counts.get(state, 0)) for state in QUEUE_STATES]


# --- The queue --------------------------------------------------------------------------


@dataclass
class QueueFilters:
    state: str = ""
    coordinator: str = ""  # "me", "none" or a user id
    product: int | None = None
    physician: str = ""  # an id, or part of a name
    overdue: bool = False
    q: str = ""


@dataclass
class QueueRow(TemplateRow):
    """One line of the queue: plain values, not model instances (a page of cases with
    their patient, physician, product and coordinator would be 150 objects)."""

    pk: int
    reference: str
    priority: str
    status: str
    state_changed_at: dt.datetime
    patient_name: str
    physician_name: str
    product_name: str
    product_strength: str
    coordinator_id: int | None
    coordinator_name: str | None
    due: Due
    url: str = ""
    assign_url: str = ""

    @property
    def state_label(self) -> str:
        return S(self.status).label

    @property
    def urgent(self) -> bool:
        return self.priority == Priority.URGENT


def _one(model: type[Model], key: str, column: str) -> Subquery:
    """`column` of the `model` row the case's `key` names, as a scalar subquery."""
    rows = model._base_manager.filter(pk=OuterRef(key)).order_by()
    return Subquery(rows.values(column)[:1])


# The names on a row are read by scalar subqueries rather than joins: PostgreSQL plans
# a six-table join in some 4 ms (its join orders, each with the cases' fifteen
# indexes), ten times what reading the page takes; a subquery is planned on its own
# for a fraction of that and run only for the 26 rows the LIMIT lets through.
def _queue_names() -> dict[str, Subquery]:
    return {
        "patient_name": _one(Patient, "patient_id", "full_name"),
        "physician_name": _one(Physician, "physician_id", "full_name"),
        "product_name": _one(Product, "product_id", "brand_name"),
        "product_strength": _one(Product, "product_id", "strength"),
        "coordinator_name": _one(User, "assigned_coordinator_id", "full_name"),
        "expected_days": _one(Pathway, "pathway_id", "expected_days"),
    }


QUEUE_COLUMNS = (
    "pk",
    "reference",
    "priority",
    "status",
    "state_changed_at",
    "patient_name",
    "physician_name",
    "product_name",
    "product_strength",
    "assigned_coordinator_id",
    "coordinator_name",
    "expected_days",
)


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None
    is_first: bool
    previous_cursor: str | None = None


def encode_cursor(case: ImportCase) -> str:
    raw = f"{case.priority}|{case.state_changed_at.isoformat()}|{case.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[str, dt.datetime, int] | None:
    """The position after which the next page starts; None for a token we did not
    write (a tampered or stale link shows the first page)."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        priority, moment, pk = raw.split("|")
        at = parse_datetime(moment)
        if priority not in Priority.values or at is None:
            return None
        return priority, at, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _after(cursor: tuple[str, dt.datetime, int]) -> Q:
    """Rows after `cursor` in (priority segment, state_changed_at, id) order. The
    `state_changed_at__gte` bound makes the cursor's segment an index range scan."""
    priority, at, pk = cursor
    same_segment = Q(priority=priority, state_changed_at__gte=at) & (
        Q(state_changed_at__gt=at) | Q(id__gt=pk)
    )
    later = PRIORITY_ORDER[PRIORITY_ORDER.index(priority) + 1 :]
    return same_segment | Q(priority__in=later) if later else same_segment


def _before(cursor: tuple[str, dt.datetime, int]) -> Q:
    """Rows before `cursor` in the queue's order (read backwards for "Previous")."""
    priority, at, pk = cursor
    same_segment = Q(priority=priority, state_changed_at__lte=at) & (
        Q(state_changed_at__lt=at) | Q(id__lt=pk)
    )
    earlier = PRIORITY_ORDER[: PRIORITY_ORDER.index(priority)]
    return same_segment | Q(priority__in=earlier) if earlier else same_segment


def _in_queue() -> RawSQL:
    """status IN (the open states), written out rather than bound: a partial index is
    used only for a query that repeats its condition, and SQLite plans a query before
    its parameters are bound. The states are our own constants, not user input."""
    assert all(re.fullmatch(r"[a-z_]+", state) for state in QUEUE_STATES)
    column = f'{connection.ops.quote_name(ImportCase._meta.db_table)}."status"'
    states = ", ".join(f"'{state}'" for state in QUEUE_STATES)
    return RawSQL(f"{column} IN ({states})", [], output_field=BooleanField())


def queue_cases(filters: QueueFilters, *, user: User, now: dt.datetime) -> QuerySet[ImportCase]:
    """The cases the filters ask for: the open ones, or one state; a search looks in
    every state unless one is chosen."""
    cases = cases_visible_to(user)
    if filters.state:
        cases = cases.filter(status=filters.state)
    elif not filters.q:
        cases = cases.filter(_in_queue())
    if filters.coordinator == "me":
        cases = cases.filter(assigned_coordinator=user)
    elif filters.coordinator == "none":
        cases = cases.filter(assigned_coordinator__isnull=True)
    elif filters.coordinator:
        cases = cases.filter(assigned_coordinator_id=filters.coordinator)
    if filters.product:
        cases = cases.filter(product_id=filters.product)
    if filters.physician:
        cases = cases.filter(physician_id__in=physicians_named(filters.physician))
    if filters.overdue:
        cases = cases.filter(overdue_q(now))
    if filters.q:
        cases = cases.filter(search_condition(filters.q, within=cases))
    return cases


def physicians_named(name: str) -> QuerySet[Physician]:
    """The physicians a filter names: by id (a link), or by a part of their name as
    typed (the field suggests names as one types, physician_suggestions)."""
    name = str(name).strip()
    if name.isdigit():
        return Physician.objects.filter(pk=int(name)).values("pk")
    name = name.removeprefix("Dr ").strip()
    return Physician.objects.filter(full_name__icontains=name).values("pk")


def physician_suggestions(typed: str, *, limit: int = 15) -> list[str]:
    """Names for the physician filter as one types: those starting with what was typed
    first, then those containing it."""
    typed = typed.strip().removeprefix("Dr ").strip()
    if len(typed) < 2:
        return []
    names = Physician.objects.order_by("full_name").values_list("full_name", flat=True)
    starting = list(names.filter(full_name__istartswith=typed)[:limit])
    if len(starting) < limit:
        containing = names.filter(full_name__icontains=typed).exclude(full_name__istartswith=typed)
        starting += list(containing[: limit - len(starting)])
    return list(dict.fromkeys(starting))


QUEUE_ORDER = ("-priority", "state_changed_at", "id")
QUEUE_ORDER_BACKWARDS = ("priority", "-state_changed_at", "-id")


@dataclass(frozen=True)
class _Keyset:
    """One order the list can be read in, by keyset: the queue's (urgent first, then
    longest waiting) or a search's (newest case first)."""

    forwards: tuple[str, ...]
    backwards: tuple[str, ...]
    decode: Callable[[str], Any]
    after: Callable[[Any], Q]
    before: Callable[[Any], Q]
    encode: Callable[[Any], str]


def _decode_id(token: str) -> int | None:
    return int(token) if token.isdigit() else None


QUEUE_KEYSET = _Keyset(QUEUE_ORDER, QUEUE_ORDER_BACKWARDS, decode_cursor, _after, _before,
                       lambda row: encode_cursor(row))  # fmt: skip
# Search results span the years: newest first, by id (the primary key's index).
SEARCH_KEYSET = _Keyset(("-id",), ("id",), _decode_id, lambda pk: Q(id__lt=pk),
                        lambda pk: Q(id__gt=pk), lambda row: str(row.pk))  # fmt: skip


def queue_page(
    filters: QueueFilters,
    *,
    user: User,
    after: str = "",
    before: str = "",
    per_page: int = PER_PAGE,
    now: dt.datetime | None = None,
    narrow: Q | None = None,
) -> QueuePage:
    """One page of the queue, after a cursor (Next) or before one (Previous): a single
    query for its rows, whichever page it is. `narrow` is a further condition from a
    layer above the domain (billing's: an amount due or overdue)."""
    now = now or timezone.now()
    cases = queue_cases(filters, user=user, now=now)
    if narrow is not None:
        cases = cases.filter(narrow)
    keyset = SEARCH_KEYSET if filters.q else QUEUE_KEYSET
    backwards = keyset.decode(before)
    forwards = None if backwards else keyset.decode(after)
    if backwards is not None:
        cases = cases.filter(keyset.before(backwards)).order_by(*keyset.backwards)
    elif forwards is not None:
        cases = cases.filter(keyset.after(forwards)).order_by(*keyset.forwards)
    else:
        cases = cases.order_by(*keyset.forwards)
    # Only the columns the queue shows, as tuples: the catalogue's and pathway's JSON
    # documents and six model instances a row would cost more than the query.
    found = list(cases.annotate(**_queue_names()).values_list(*QUEUE_COLUMNS)[: per_page + 1])
    more = len(found) > per_page
    found = found[:per_page]
    if backwards is not None:
        found.reverse()
    rows = [
        QueueRow(*values[:-1], due=_due(values[-1], values[3], values[2], values[4], now))
        for values in found
    ]
    if backwards is not None:
        has_previous, has_next = more, True
    else:
        has_previous, has_next = forwards is not None, more
    return QueuePage(
        rows=rows,
        next_cursor=keyset.encode(rows[-1]) if rows and has_next else None,
        previous_cursor=keyset.encode(rows[0]) if rows and has_previous else None,
        is_first=not has_previous,
    )


def coordinators() -> QuerySet[User]:
    return User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("full_name")


# --- The case page -----------------------------------------------------------------------


def case_for_page(case: ImportCase) -> ImportCase:
    return ImportCase.objects.select_related(
        "pathway",
        "patient",
        "physician",
        "product",
        "assigned_coordinator",
        "resupply_of",
        "verification",
    ).get(pk=case.pk)


def case_timeline(case: ImportCase) -> list[CaseEvent]:
    return list(case.events.select_related("actor", "on_behalf_of").order_by("created_at", "pk"))


def case_adverse_events(case: ImportCase) -> list[AdverseEvent]:
    """The side effects reported on `case`, newest first, with who reported them and
    their CIOMS I form."""
    return list(
        case.adverse_events.select_related("reported_by", "acknowledged_by", "report_document")
    )


def resupplies_of(case: ImportCase) -> list[ImportCase]:
    return list(case.resupplies.order_by("-created_at"))


# --- The physician's pages ------------------------------------------------------------


def physician_cases(user: User, *, term: str = "", state: str = "") -> QuerySet[ImportCase]:
    """The physician's cases, those waiting on them first (a draft to finish, a
    question to answer, an undertaking to sign), then the most recently moved;
    narrowed to those whose reference or patient's name holds `term`, in `state`."""
    signed = ImportCase.objects.filter(
        pk=OuterRef("pk"),
        documents__kind=DocumentKind.PHYSICIAN_UNDERTAKING,
        documents__superseded_by__isnull=True,
        documents__signatures__signer=user,
    )
    waiting = Case(
        When(status__in=[S.DRAFT, S.INFORMATION_REQUESTED], then=Value(0)),
        When(Q(status=S.FORMS_PREPARATION) & ~Exists(signed), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    cases = cases_visible_to(user)
    if term:
        cases = cases.filter(Q(reference__icontains=term) | Q(patient__full_name__icontains=term))
    if state:
        cases = cases.filter(status=state)
    return (
        cases.select_related("patient", "product")
        .annotate(waiting=waiting)
        .order_by("waiting", "-state_changed_at", "-pk")
    )


WAITING_ON_PHYSICIAN = {
    S.DRAFT: "Finish and submit the request",
    S.INFORMATION_REQUESTED: "Answer the coordinator's question",
    S.FORMS_PREPARATION: "Sign the undertaking",
}


def open_question(case: ImportCase) -> CaseEvent | None:
    """The coordinator's question the physician has to answer, if any."""
    if case.status != S.INFORMATION_REQUESTED:
        return None
    return (
        case.events.filter(transition="request_information").order_by("-created_at", "-pk").first()
    )
