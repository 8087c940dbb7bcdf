"""What one delivery costs, and what its savings must not change: an event's rows are
recorded sent with one statement however many recipients it has (not one per message),
each template is rendered once per role and language unless it names its reader,
sends are recorded also when a batch stops half-way or a mail server is slow, and
the commit that does not wait for the disk never covers a caller's own writes.

bench/bench_notifications.py measures the throughput these give."""

from __future__ import annotations

import contextlib

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications import services
from notifications.models import Category, Channel, Notification, NotificationPreference, Status
from notifications.services import event_deliver
from npp.accounts.models import Role, User
from orders.models import CaseEvent
from orders.states import CaseStatus
from tests.conftest import make_user
from tests.notifications.conftest import event_on

S = CaseStatus


def statements_of_a_first_delivery(event) -> list[str]:
    """Without the PREPARE a database session's first delivery sends once (see
    test_the_event_query_is_prepared_once_per_database_session)."""
    with CaptureQueriesContext(connection) as queries:
        delivery = event_deliver(event_id=event.pk)
    assert delivery.sent > 0
    return [query["sql"] for query in queries.captured_queries if kind(query["sql"]) != "PREPARE"]


def kind(sql: str) -> str:
    return sql.split()[0].upper()


# A first delivery, outside any caller's transaction (as a worker runs it): the event
# with its case, patient, physician and product; the accounts messages to staff need
# with everyone's choices (for the patient alone: the patient's choices); then one
# transaction creating the marker and every row; then one UPDATE, a transaction of its
# own, recording every message sent. On PostgreSQL the marker and the rows are one
# statement (the marker's INSERT in its WITH clause), its own transaction, and both
# writes tell their commit not to wait for the disk. Per-recipient or per-message
# statements would grow with the recipients; they must not come back.
FIRST_DELIVERY = {
    "postgresql": [
        # Sent together, one round trip, both prepared (PostgreSQL plans each once per
        # session): the event, its case, patient (and account), physician and product,
        # and the accounts (patient's, physician's, actor's, coordinators) with
        # everyone's choices, found from the event's id.
        "EXECUTE",
        "EXECUTE",
        "WITH",  # the dispatch marker, then every row, already taken by this sender
        "UPDATE",  # every email and text message sent
    ],
    "sqlite": [
        "SELECT",
        "SELECT",
        "BEGIN",
        "INSERT",  # the dispatch marker
        "INSERT",  # every notification row
        "COMMIT",
        "UPDATE",
    ],
}
WITHOUT_WAITING_FOR_THE_DISK = "set_config('synchronous_commit', 'off', true)"


def first_delivery() -> list[str]:
    return FIRST_DELIVERY[connection.vendor]


def sent_together(monkeypatch) -> list[int]:
    """How many statements each of psycopg's pipelines (one round trip) carried."""
    if connection.vendor != "postgresql":
        return []
    import psycopg

    carried: list[int] = []
    real = psycopg.Connection.pipeline

    @contextlib.contextmanager
    def counted(self):
        executed = []

        def note(execute, sql, params, many, context):
            executed.append(sql)
            return execute(sql, params, many, context)

        with real(self) as pipeline, connection.execute_wrapper(note):
            yield pipeline
        carried.append(len(executed))

    monkeypatch.setattr(psycopg.Connection, "pipeline", counted)
    return carried


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("more_coordinators", [0, 4])
def test_a_first_delivery_takes_the_same_few_statements_however_many_recipients(
    more_coordinators, draft_case, physician, patient, team, system, mailoutbox, monkeypatch
):
    for n in range(more_coordinators):
        make_user(f"coordinator{n}@npp.example", f"Coordinator {n}", Role.COORDINATOR)
    # The patient also asked for text messages: one more row to send, no more statements.
    NotificationPreference.objects.create(
        user=patient.user, category=Category.CASE_UPDATES, sms=True
    )
    patient.phone = "+91 98450 37164"
    patient.save(update_fields=["phone"])
    # Quarantine: every coordinator by email (safety), the physician and the patient.
    event = event_on(draft_case, "quarantine", system, to_state=S.QUARANTINED)
    together = sent_together(monkeypatch)

    statements = statements_of_a_first_delivery(event)

    coordinators = 2 + more_coordinators
    rows = Notification.objects.filter(event=event)
    assert rows.filter(channel=Channel.EMAIL, status=Status.SENT).count() == coordinators + 2
    assert rows.filter(channel=Channel.SMS, status=Status.SENT).count() == 1
    assert len(mailoutbox) == coordinators + 2
    assert [kind(sql) for sql in statements] == first_delivery()
    if connection.vendor == "postgresql":
        # The event's and the people's SELECTs in one round trip.
        assert together == [2]
        # The marker and rows' statement, and the UPDATE.
        assert [s for s in statements if WITHOUT_WAITING_FOR_THE_DISK in s] == [
            statements[-2],
            statements[-1],
        ]


@pytest.mark.django_db(transaction=True)
def test_an_event_for_the_patient_alone_takes_as_many_statements_and_tells_no_one_else(
    draft_case, patient, system, mailoutbox
):
    event = event_on(draft_case, "dispatch", system, to_state=S.IN_TRANSIT)

    statements = statements_of_a_first_delivery(event)

    assert [kind(sql) for sql in statements] == first_delivery()
    # No message to staff: the patient's choices are read (on PostgreSQL with the
    # accounts the event names, found by the database and sent with the event's query,
    # as a statement prepared on the session).
    people = statements[1]
    if connection.vendor == "postgresql":
        assert people.startswith(f"EXECUTE {services._PEOPLE_PREPARED}(")
        people = services._EventPeopleStatement(connection).statement.sql
    assert "notificationpreference" in people
    assert [m.to for m in mailoutbox] == [[patient.user.email]]


@pytest.mark.django_db(transaction=True)
def test_the_commit_that_does_not_wait_for_the_disk_lasts_one_transaction(
    draft_case, physician, patient, team, system, mailoutbox
):
    event = event_on(draft_case, "verify", system, to_state=S.FORMS_PREPARATION)

    event_deliver(event_id=event.pk)

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
    assert Notification.objects.filter(event=event, status=Status.SENT).count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_delivery_inside_a_callers_transaction_leaves_its_commit_durable(
    draft_case, physician, patient, team, system, mailoutbox
):
    event = event_on(draft_case, "verify", system, to_state=S.FORMS_PREPARATION)

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        event_deliver(event_id=event.pk)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW synchronous_commit")
                assert cursor.fetchone()[0] == "on"

    assert not [q for q in queries.captured_queries if kind(q["sql"]) == "SET"]
    assert not [q for q in queries.captured_queries if "set_config" in q["sql"]]
    assert Notification.objects.filter(event=event, status=Status.SENT).count() == 4


def stored_rows(event) -> list[tuple]:
    """An event's rows as stored, without what differs between two events and two
    moments: ids, the event's id in the key, times."""
    skip = {"id", "event", "key", "created_at", "sent_at", "lease_until"}
    fields = [f for f in Notification._meta.concrete_fields if f.name not in skip]
    rows = Notification.objects.filter(event=event).order_by("key")
    return [
        (
            row.key.split(":", 2)[2],
            bool(row.sent_at),
            bool(row.lease_until),
            *(f.value_from_object(row) for f in fields),
        )
        for row in rows
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("transition", ["quarantine", "verify", "dispatch", "cancel"])
def test_the_one_statement_fan_out_stores_what_the_orms_statements_store(
    transition, draft_case, physician, patient, team, system, mailoutbox
):
    """On PostgreSQL a worker's fan-out writes the marker and its rows in one statement
    (a parameter per column); inside a caller's transaction (and on SQLite) the
    ORM's create and bulk_create write them. Both store the same rows, returned with
    their ids and creation times, and the same marker."""
    from notifications.models import EventDispatch
    from notifications.services import event_fan_out
    from orders.models import CaseEvent

    NotificationPreference.objects.create(
        user=patient.user, category=Category.CASE_UPDATES, sms=True
    )
    patient.phone = "+91 98450 37164"
    patient.save(update_fields=["phone"])
    by_one, by_orm = (
        event_on(draft_case, transition, system, note="Checked.", to_state=S.QUARANTINED)
        for _ in range(2)
    )

    with CaptureQueriesContext(connection) as queries:
        made = event_fan_out(event=CaseEvent.objects.get(pk=by_one.pk), claim=True)
    with transaction.atomic():
        event_fan_out(event=CaseEvent.objects.get(pk=by_orm.pk), claim=True)

    writes = [q["sql"] for q in queries.captured_queries if kind(q["sql"]) != "SELECT"]
    if connection.vendor == "postgresql":
        assert [kind(sql) for sql in writes] == ["WITH"]
    assert len(made) == Notification.objects.filter(event=by_one).count() > 1
    stored = {row.pk: row for row in Notification.objects.filter(event=by_one)}
    for row in made:
        assert not row._state.adding and row._state.db == "default"
        assert row.created_at == stored[row.pk].created_at is not None
        assert row.key == stored[row.pk].key
    assert stored_rows(by_one) == stored_rows(by_orm)
    assert EventDispatch.objects.filter(event__in=[by_one, by_orm]).count() == 2
    assert event_fan_out(event=CaseEvent.objects.get(pk=by_one.pk), claim=True) is None


@pytest.mark.django_db(transaction=True)
def test_the_one_statement_fan_out_is_one_text_for_events_of_any_size(
    draft_case, other_case, physician, patient, team, system, mailoutbox
):
    """The fan-out's statement is built once per connection (kept on the connection
    itself) and has one parameter for all its rows (a JSON array), not one per row or
    value: events of other cases and other sizes send the same text with their own
    values (psycopg parses a statement of more than 50 parameters anew each time;
    bulk_create's had 18 a row)."""
    from django.db import connections

    for n in range(10):
        make_user(f"coordinator{n}@npp.example", f"Coordinator {n}", Role.COORDINATOR)
    events = [
        event_on(draft_case, "verify", system, note="One", to_state=S.FORMS_PREPARATION),
        event_on(other_case, "verify", system, note="Two", to_state=S.FORMS_PREPARATION),
        event_on(draft_case, "quarantine", system, to_state=S.QUARANTINED),
        event_on(draft_case, "dispatch", system, to_state=S.IN_TRANSIT),
    ]
    texts = []

    def sent(execute, sql, params, many, context):
        texts.append(sql)  # the text, before psycopg binds its parameters
        return execute(sql, params, many, context)

    with connection.execute_wrapper(sent):
        for event in events:
            event_deliver(event_id=event.pk)
    texts = [sql for sql in texts if kind(sql) in ("WITH", "INSERT")]
    counts = [Notification.objects.filter(event=event).count() for event in events]
    assert counts == [4, 4, 28, 2]
    for event in events:
        rows = Notification.objects.filter(event=event)
        assert {row.case_id for row in rows} == {event.case_id}
        assert all(row.key.startswith(f"event:{event.pk}:") for row in rows)
        assert {row.status for row in rows.exclude(channel=Channel.INBOX)} == {Status.SENT}
    if connection.vendor == "postgresql":
        assert len(texts) == 4 and len(set(texts)) == 1
        assert texts[0].count("%s") == 1 + 1  # the marker's event, and the rows
        kept = connections["default"].__dict__["_npp_compiled"]
        assert [key for key in kept if "fan_out" in str(key)] == ["notifications.fan_out"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_commits", [True, False])
def test_a_fan_out_waits_on_the_marker_of_one_under_way_then_stands_back_or_writes(
    first_commits, draft_case, physician, patient, team, system
):
    """Two fan-outs of one event at once: the second waits on the first's marker. When
    the first commits, the second creates nothing (and sends nothing); when the first
    rolls back, the second writes every row. Neither deadlocks nor fails otherwise."""
    import threading

    import psycopg

    from notifications.models import EventDispatch
    from notifications.services import event_fan_out
    from orders.models import CaseEvent

    if connection.vendor != "postgresql":
        pytest.skip("a lock held by another session: PostgreSQL")
    event = event_on(draft_case, "verify", system, to_state=S.FORMS_PREPARATION)
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    first = psycopg.connect(**params)
    first.execute(
        f"INSERT INTO {EventDispatch._meta.db_table} (event_id, created_at) VALUES (%s, now())",
        [event.pk],
    )
    outcome = {}

    def second():
        try:
            outcome["created"] = event_fan_out(event=CaseEvent.objects.get(pk=event.pk), claim=True)
        except BaseException as error:  # reported below
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=second)
    thread.start()
    # Another session: the statistics a transaction reads are a snapshot.
    watcher = psycopg.connect(**params, autocommit=True)
    waiting = False
    for _ in range(400):
        waits = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()"
        ).fetchone()[0]
        if waits:
            waiting = True
            break
        thread.join(0.025)
    watcher.close()
    (first.commit if first_commits else first.rollback)()
    first.close()
    thread.join(10)

    assert waiting and not thread.is_alive()
    assert "error" not in outcome
    rows = Notification.objects.filter(event=event)
    if first_commits:
        assert outcome["created"] is None and not rows.exists()
    else:
        assert len(outcome["created"]) == rows.count() == 4
        assert rows.filter(status=Status.SENDING).count() == 2


@pytest.mark.parametrize("transition", ["verify", "submit", "quarantine", "cancel"])
def test_the_accounts_read_in_one_statement_give_the_same_recipients_and_messages(
    transition, draft_case, physician, patient, team, system, mailoutbox
):
    """event_people_load replaces the lazy reads (the physician's account, the
    actor's, an assigned coordinator's) and coordinators(): who hears what, and what
    they read, is what a fan-out reading them one by one finds."""
    from notifications.recipients import event_people_load
    from notifications.services import event_fan_out
    from orders.models import CaseEvent

    draft_case.assigned_coordinator = team[0]
    draft_case.save(update_fields=["assigned_coordinator"])
    one_by_one, at_once = (
        event_on(draft_case, transition, system, note="Checked.", to_state=S.SUBMITTED)
        for _ in range(2)
    )

    def made(event):
        rows = Notification.objects.filter(event=event).order_by("key")
        # The key without the event's id: recipient and channel.
        return [
            (row.key.split(":", 2)[2], row.address, row.status, row.subject, row.body)
            for row in rows
        ]

    event_fan_out(event=CaseEvent.objects.get(pk=one_by_one.pk))
    loaded = CaseEvent.objects.select_related(
        "case__patient__user", "case__physician", "case__product"
    ).get(pk=at_once.pk)
    event_fan_out(event=loaded, staff=event_people_load(loaded))

    assert made(one_by_one)
    assert made(at_once) == made(one_by_one)
    if transition in ("quarantine", "cancel"):  # their messages to staff name the actor
        assert any(system.full_name in body for *_, body in made(at_once))


def test_the_event_query_compiled_once_reads_each_event_as_the_orm_does(
    draft_case, other_case, physician, patient, system
):
    """_event_load keeps the ORM's compiled SELECT per connection: each event, its
    case, patient (and account), physician and product come out field for field as
    the queryset reads them, for several events in turn (the primary key is its only
    parameter), and an event that does not exist is the ORM's DoesNotExist."""
    from orders.models import CaseEvent

    def fields(obj):
        return {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields}

    first = event_on(draft_case, "submit", system, data={"x": [1]}, to_state=S.SUBMITTED)
    second = event_on(other_case, "dispatch", system, note="On its way", to_state=S.IN_TRANSIT)
    for event in (first, second, first):
        loaded = services._event_load(event.pk)
        stored = CaseEvent.objects.select_related(*services.EVENT_RELATED).get(pk=event.pk)
        assert not loaded._state.adding and loaded._state.db == stored._state.db
        assert fields(loaded) == fields(stored)
        for related in (
            lambda e: e.case,
            lambda e: e.case.patient,
            lambda e: e.case.patient.user,
            lambda e: e.case.physician,
            lambda e: e.case.product,
        ):
            assert fields(related(loaded)) == fields(related(stored))
        # Already there: reading them takes no statement.
        with CaptureQueriesContext(connection) as queries:
            loaded.case.patient.user.email, loaded.case.physician.full_name  # noqa: B018
            loaded.case.product.brand_name  # noqa: B018
        assert queries.captured_queries == []
    with pytest.raises(CaseEvent.DoesNotExist):
        services._event_load(second.pk + 1000)


def test_the_choices_compiled_once_per_count_read_what_the_orm_reads(
    physician, patient, team, system
):
    """_choices_of keeps the ORM's compiled query per connection and number of people:
    for one, two and three people in turn, and again, it finds who hears only what
    they must act on and everyone's preferences (booleans as booleans) as the
    queryset itself does."""
    from notifications.models import NotificationSetting

    NotificationSetting.objects.create(user=physician.user, only_to_act_on=True)
    NotificationPreference.objects.create(
        user=patient.user, category=Category.CASE_UPDATES, email=False, sms=True
    )
    NotificationPreference.objects.create(
        user=patient.user, category=Category.REMINDERS, email=True, sms=False
    )
    people = [patient.user.pk, physician.user.pk, team[0].pk]

    def as_orm_reads(ids):
        rows = services._choices_query(ids)
        quiet = {pk for pk, only, *_ in rows if only}
        prefs = {(pk, c): (e, s) for pk, _, c, e, s in rows if c is not None}
        return quiet, prefs

    for ids in (people[:1], people[:2], people, people[1:], people[:1], people):
        quiet, prefs = services._choices_of(ids)
        assert (quiet, {k: (p.email, p.sms) for k, p in prefs.items()}) == as_orm_reads(ids)
        assert all(type(p.email) is bool and type(p.sms) is bool for p in prefs.values())
    quiet, prefs = services._choices_of(people)
    assert quiet == {physician.user.pk}
    assert (prefs[(patient.user.pk, Category.CASE_UPDATES)].sms, len(prefs)) == (True, 2)
    with CaptureQueriesContext(connection) as queries:
        assert services._choices_of([]) == (set(), {})
    assert queries.captured_queries == []


@pytest.mark.parametrize("transition", ["verify", "submit", "quarantine", "cancel", "dispatch"])
def test_the_accounts_and_choices_read_together_are_those_read_apart(
    transition, draft_case, physician, patient, team, system
):
    """_people_and_choices reads in one statement what event_people_load and
    _choices_of read in two: the same accounts attached to the event, the same staff,
    and for everyone the fan-out tells the same choices (a quiet physician, a patient's
    preferences, a coordinator's text messages, an inactive coordinator left out);
    compiled once per connection, number of people and team, for several events."""
    from notifications.models import NotificationSetting
    from notifications.recipients import event_people_load, recipients_of_event

    NotificationSetting.objects.create(user=physician.user, only_to_act_on=True)
    NotificationPreference.objects.create(
        user=patient.user, category=Category.CASE_UPDATES, email=False, sms=True
    )
    NotificationPreference.objects.create(
        user=team[1], category=Category.SAFETY, email=True, sms=True
    )
    NotificationPreference.objects.create(
        user=team[1], category=Category.CASE_UPDATES, email=False, sms=False
    )
    gone = make_user("gone@npp.example", "Gone Coordinator", Role.COORDINATOR)
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    def fields(obj):
        return {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields}

    for assigned in (None, team[0], None):
        draft_case.assigned_coordinator = assigned
        draft_case.save(update_fields=["assigned_coordinator"])
        event = event_on(draft_case, transition, team[0], to_state=S.SUBMITTED)
        apart, together = (services._event_load(event.pk) for _ in range(2))
        staff_apart = event_people_load(apart)
        with CaptureQueriesContext(connection) as queries:
            staff, choices = services._people_and_choices(together)
        recipients = recipients_of_event(together, staff=staff)
        if staff_apart is None and all(r.audience == "patient" for r in recipients):
            assert (staff, choices, queries.captured_queries) == (None, None, [])
            continue
        assert len(queries.captured_queries) == 1
        assert [fields(u) for u in staff or []] == [fields(u) for u in staff_apart or []]
        assert fields(together.actor) == fields(apart.actor)
        assert fields(together.case.physician.user) == fields(apart.case.physician.user)
        if assigned is not None:
            assert fields(together.case.assigned_coordinator) == fields(assigned)
        assert recipients == recipients_of_event(apart, staff=staff_apart)
        told = [r.user.pk for r in recipients]
        assert set(told) <= choices.read and gone.pk not in choices.read
        quiet, prefs = services._choices_of(told)
        assert choices.quiet & set(told) == quiet
        assert {k: (p.email, p.sms) for k, p in choices.prefs.items() if k[0] in told} == {
            k: (p.email, p.sms) for k, p in prefs.items()
        }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "transition", ["verify", "submit", "quarantine", "cancel", "dispatch", "report_adverse_event"]
)
def test_the_event_and_its_people_read_in_one_round_trip_are_those_read_one_after_the_other(
    transition, draft_case, physician, patient, team, system, monkeypatch
):
    """_event_and_people_load sends the event's query and a people's query that finds
    them from the event's id together; what it gives is what _event_load then
    _people_and_choices give: the event field for field, the accounts attached, the
    staff, and the choices of everyone the event tells (a quiet physician, a patient's
    preferences, an inactive coordinator left out), with and without an assigned
    coordinator, for several events on one connection; an event that does not exist
    is the ORM's DoesNotExist."""
    from notifications.models import NotificationSetting
    from notifications.recipients import recipients_of_event
    from orders.models import CaseEvent

    NotificationSetting.objects.create(user=physician.user, only_to_act_on=True)
    NotificationPreference.objects.create(
        user=patient.user, category=Category.CASE_UPDATES, email=False, sms=True
    )
    NotificationPreference.objects.create(
        user=team[1], category=Category.SAFETY, email=True, sms=True
    )
    gone = make_user("gone@npp.example", "Gone Coordinator", Role.COORDINATOR)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    together = sent_together(monkeypatch)

    def fields(obj):
        return {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields}

    for assigned in (None, team[0], None):
        draft_case.assigned_coordinator = assigned
        draft_case.save(update_fields=["assigned_coordinator"])
        event = event_on(draft_case, transition, team[0], note="N", to_state=S.SUBMITTED)
        apart = services._event_load(event.pk)
        staff_apart, choices_apart = services._people_and_choices(apart)
        loaded, staff, choices = services._event_and_people_load(event.pk)

        assert fields(loaded) == fields(apart)
        assert fields(loaded.case) == fields(apart.case)
        assert fields(loaded.case.patient.user) == fields(apart.case.patient.user)
        assert [fields(u) for u in staff or []] == [fields(u) for u in staff_apart or []]
        recipients = recipients_of_event(loaded, staff=staff)
        assert recipients == recipients_of_event(apart, staff=staff_apart)
        if staff_apart is not None or choices_apart is not None:
            assert fields(loaded.actor) == fields(apart.actor)
            assert fields(loaded.case.physician.user) == fields(apart.case.physician.user)
        if choices is None:  # one after the other (SQLite): a patient-only event
            assert (staff, choices_apart) == (None, None)
            continue
        told = {r.user.pk for r in recipients}
        assert told <= choices.read and gone.pk not in choices.read
        quiet, prefs = services._choices_of(told)
        assert choices.quiet & told == quiet
        assert {k: (p.email, p.sms) for k, p in choices.prefs.items() if k[0] in told} == {
            k: (p.email, p.sms) for k, p in prefs.items()
        }
    if connection.vendor == "postgresql":
        assert together == [2, 2, 2]
    with pytest.raises(CaseEvent.DoesNotExist):
        services._event_and_people_load(event.pk + 1000)


@pytest.mark.django_db(transaction=True)
def test_the_event_query_is_prepared_once_per_database_session(
    draft_case, other_case, physician, patient, team, system, mailoutbox
):
    """PREPARE once per session, then EXECUTE; a new session (a reconnection) prepares
    it again; inside a caller's transaction the query's own text, never a PREPARE."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements: PostgreSQL")

    def kinds_of(transition, case, inside=False):
        event = event_on(case, transition, system, to_state=S.FORMS_PREPARATION)
        caller = transaction.atomic() if inside else contextlib.nullcontext()
        with CaptureQueriesContext(connection) as queries, caller:
            event_deliver(event_id=event.pk)
        assert Notification.objects.filter(event=event).exists()
        return [kind(q["sql"]) for q in queries.captured_queries]

    first = first_prepared()
    connection.close()
    assert kinds_of("verify", draft_case)[:4] == first
    assert kinds_of("verify", other_case)[:3] == ["EXECUTE", "EXECUTE", "WITH"]
    inside = kinds_of("submit", draft_case, inside=True)
    assert "PREPARE" not in inside and "EXECUTE" not in inside
    connection.close()
    assert kinds_of("verify", draft_case)[:4] == first


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "model, column, length",
    [(CaseEvent, "transition", 40), (User, "full_name", 200)],
    ids=["the event's query", "the people's query"],
)
def test_a_worker_that_lives_through_a_migration_prepares_its_queries_anew(
    model, column, length, draft_case, other_case, physician, patient, team, system, mailoutbox
):
    """A column a prepared query reads changes type (a migration while the worker
    runs): PostgreSQL refuses the statement as prepared, and the delivery prepares
    both again instead of failing every task until the worker reconnects."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements: PostgreSQL")
    connection.close()
    first = event_on(draft_case, "verify", system, to_state=S.FORMS_PREPARATION)
    event_deliver(event_id=first.pk)  # prepared on this session
    table = model._meta.db_table
    alter = f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE varchar(%s)'
    with connection.cursor() as cursor:
        cursor.execute(alter % (length + 1))
    try:
        second = event_on(other_case, "verify", system, to_state=S.FORMS_PREPARATION)
        with CaptureQueriesContext(connection) as queries:
            delivery = event_deliver(event_id=second.pk)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(alter % length)

    assert delivery.sent > 0
    assert Notification.objects.filter(event=second).exists()
    kinds = [kind(q["sql"]) for q in queries.captured_queries]
    # The refused pair, then both statements dropped, prepared again and run.
    assert kinds[:8] == ["EXECUTE", "EXECUTE", "DEALLOCATE", "DEALLOCATE", *first_prepared()]


def first_prepared() -> list[str]:
    return ["PREPARE", "PREPARE", "EXECUTE", "EXECUTE"]


@pytest.mark.django_db(transaction=True)
def test_a_delivery_of_an_event_whose_patient_has_no_account_tells_the_physician(
    physician, lupkynis, system, mailoutbox
):
    """A patient without a login has no account to read: the people's query finds the
    others all the same."""
    from tests.conftest import make_patient, new_case

    patient = make_patient(None, "Ravi Kumar")
    case = new_case(physician=physician, patient=patient, product=lupkynis)
    event = event_on(case, "verify", system, to_state=S.FORMS_PREPARATION)

    event_deliver(event_id=event.pk)

    assert [m.to for m in mailoutbox] == [[physician.user.email]]


@pytest.mark.django_db(transaction=True)
def test_choices_read_for_other_people_are_read_again_for_the_recipients(
    draft_case, physician, patient, team, system, mailoutbox
):
    """A fan-out given choices that do not cover every recipient reads them itself: a
    preference is never missed."""
    from notifications.services import Choices, event_fan_out
    from orders.models import CaseEvent

    NotificationPreference.objects.create(
        user=physician.user, category=Category.CASE_UPDATES, email=False
    )
    event = event_on(draft_case, "verify", system, to_state=S.FORMS_PREPARATION)
    elsewhere = Choices(read=frozenset({patient.user.pk}), quiet=set(), prefs={})

    event_fan_out(event=CaseEvent.objects.get(pk=event.pk), choices=elsewhere)

    email = Notification.objects.get(event=event, recipient=physician.user, channel=Channel.EMAIL)
    assert email.status == Status.SKIPPED


def test_an_event_for_the_patient_alone_reads_no_other_account(draft_case, patient, system):
    from notifications.recipients import event_people_load

    event = event_on(draft_case, "dispatch", system, to_state=S.IN_TRANSIT)

    with CaptureQueriesContext(connection) as queries:
        assert event_people_load(event) is None
    assert queries.captured_queries == []


# --- One rendering per role and language ---------------------------------------------


def test_coordinators_reading_one_language_share_one_rendering(
    draft_case, physician, patient, team, system, monkeypatch, mailoutbox
):
    for n in range(3):
        make_user(f"coordinator{n}@npp.example", f"Coordinator {n}", Role.COORDINATOR)
    rendered = []
    render = services.render_message
    monkeypatch.setattr(
        services,
        "render_message",
        lambda name, role, context: rendered.append(role) or render(name, role, context),
    )
    event = event_on(draft_case, "quarantine", system, to_state=S.QUARANTINED)

    event_deliver(event_id=event.pk)

    # Five coordinators, one physician, one patient: three renderings.
    assert sorted(rendered) == ["coordinator", "patient", "physician"]
    emails = Notification.objects.filter(event=event, channel=Channel.EMAIL)
    assert emails.count() == 7
    to_staff = emails.filter(recipient__role=Role.COORDINATOR)
    assert len({(row.subject, row.body, row.body_html) for row in to_staff}) == 1


def test_coordinators_reading_different_languages_each_get_theirs(
    draft_case, physician, patient, coordinator, other_coordinator, system, mailoutbox
):
    other_coordinator.language = "hi"
    other_coordinator.save(update_fields=["language"])
    event = event_on(draft_case, "quarantine", system, to_state=S.QUARANTINED)

    event_deliver(event_id=event.pk)

    def email_to(user):
        return Notification.objects.get(event=event, channel=Channel.EMAIL, recipient=user)

    assert '<html lang="en">' in email_to(coordinator).body_html
    assert '<html lang="hi">' in email_to(other_coordinator).body_html


@pytest.fixture
def templates_naming_the_reader(settings, tmp_path):
    """The coordinators' quarantine message, rewritten to greet its reader."""
    folder = tmp_path / "templates" / "notifications"
    folder.mkdir(parents=True)
    (folder / "quarantine-coordinator-body.txt").write_text(
        '{% include "notifications/greeting.txt" %}Lot quarantined on {{ reference }}.\n'
    )
    (folder / "greeting.txt").write_text("Dear {{ recipient_name }},\n")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [str(tmp_path / "templates"), *engine["DIRS"]]}]
    yield
    services._template_base.cache_clear()
    services._has_html.cache_clear()
    services._personal.cache_clear()
    services._mentions.cache_clear()


def test_a_template_that_names_its_reader_is_rendered_for_each(
    templates_naming_the_reader,
    draft_case,
    physician,
    patient,
    coordinator,
    other_coordinator,
    system,
    mailoutbox,
):
    event = event_on(draft_case, "quarantine", system, to_state=S.QUARANTINED)

    event_deliver(event_id=event.pk)

    for user in (coordinator, other_coordinator):
        row = Notification.objects.get(event=event, channel=Channel.EMAIL, recipient=user)
        assert row.body.startswith(f"Dear {user.full_name},")
        assert f"Lot quarantined on {draft_case.reference}." in row.body


def test_a_template_is_shared_only_when_nothing_it_uses_names_the_reader(
    templates_naming_the_reader, db
):
    assert services._personal("quarantine", "coordinator")  # through its include
    assert services._personal("dispatch", "patient")  # step-patient: "Dear ..."
    assert not services._personal("submit", "coordinator")
    assert not services._personal("dispatch", "coordinator")  # step-coordinator


# --- Recording the sends ------------------------------------------------------------------


class StopsAtSecondBackend:
    """An email backend whose process is stopped while sending the second message."""

    sent: list[str] = []

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        if StopsAtSecondBackend.sent:
            raise KeyboardInterrupt("worker shutting down")
        StopsAtSecondBackend.sent += [m.to[0] for m in messages]
        return len(messages)


def test_a_batch_stopped_half_way_records_what_it_sent(
    draft_case, physician, patient, team, system, settings
):
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery_cost.StopsAtSecondBackend"
    StopsAtSecondBackend.sent = []
    event = event_on(draft_case, "verify", system, to_state=S.FORMS_PREPARATION)

    with pytest.raises(KeyboardInterrupt):
        event_deliver(event_id=event.pk)

    emails = Notification.objects.filter(event=event, channel=Channel.EMAIL)
    assert len(StopsAtSecondBackend.sent) == 1
    assert emails.get(address=StopsAtSecondBackend.sent[0]).status == Status.SENT
    # The other stays taken until its lease runs out, then it is sent again.
    assert emails.exclude(address=StopsAtSecondBackend.sent[0]).get().status == Status.SENDING


class FailsForPhysicianBackend:
    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        if any(m.to[0].startswith("dr.") for m in messages):
            raise ConnectionRefusedError("mailbox unavailable")
        return len(messages)


def test_a_failed_message_is_recorded_and_the_others_of_the_batch_are_sent(
    draft_case, physician, patient, team, system, settings
):
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery_cost.FailsForPhysicianBackend"
    physician.user.email = "dr.rao@hospital.example"
    physician.user.save(update_fields=["email"])
    event = event_on(draft_case, "verify", system, to_state=S.FORMS_PREPARATION)

    delivery = event_deliver(event_id=event.pk)

    assert (delivery.sent, delivery.failed) == (1, 1)
    emails = Notification.objects.filter(event=event, channel=Channel.EMAIL)
    failed = emails.get(recipient=physician.user)
    assert failed.status == Status.PENDING
    assert "mailbox unavailable" in failed.last_error
    assert emails.get(recipient=patient.user).status == Status.SENT


class RecordsWhatItSeesBackend:
    """A slow mail server: notes, as each message leaves, which rows are recorded sent."""

    seen: list[int] = []

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        RecordsWhatItSeesBackend.seen.append(
            Notification.objects.filter(channel=Channel.EMAIL, status=Status.SENT).count()
        )
        return len(messages)


def test_with_a_slow_mail_server_rows_are_recorded_as_they_leave(
    draft_case, physician, patient, team, system, settings, monkeypatch
):
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery_cost.RecordsWhatItSeesBackend"
    RecordsWhatItSeesBackend.seen = []
    event = event_on(draft_case, "verify", system, to_state=S.FORMS_PREPARATION)
    monkeypatch.setattr(services, "RECORD_AFTER_SECONDS", 0.0)

    event_deliver(event_id=event.pk)

    # Each send found the one before it recorded already.
    assert RecordsWhatItSeesBackend.seen == [0, 1]


def test_with_a_fast_mail_server_rows_are_recorded_after_the_batch(
    draft_case, physician, patient, team, system, settings
):
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery_cost.RecordsWhatItSeesBackend"
    RecordsWhatItSeesBackend.seen = []
    event = event_on(draft_case, "verify", system, to_state=S.FORMS_PREPARATION)

    event_deliver(event_id=event.pk)

    assert RecordsWhatItSeesBackend.seen == [0, 0]
    emails = Notification.objects.filter(event=event, channel=Channel.EMAIL)
    assert {row.status for row in emails} == {Status.SENT}
    assert all(row.sent_at and row.lease_until is None for row in emails)


# --- A worker's pool processes start warm ---------------------------------------------


def test_the_worker_loads_urls_templates_and_catalogues_before_forking(
    draft_case, physician, patient, team, system, mailoutbox
):
    """worker_init (in the worker's main process, before the pool forks): the URL
    configuration, the template engine, each language's catalogue and every event
    message's templates are loaded there, without a statement, so a new pool process
    does not load them on its first task (1.3 s for the URL configuration alone)."""
    from celery.signals import worker_init
    from django.urls import get_resolver

    from notifications import tasks
    from npp import celery

    # Connected (the worker imports both modules before it sends the signal); called
    # here without Celery's own receivers, which close the database connections.
    receivers = [receiver() for _key, receiver in worker_init.receivers]
    assert {celery._warm_before_fork, tasks._warm_before_fork} <= set(receivers)
    services._personal.cache_clear()
    services._template_base.cache_clear()
    services._has_html.cache_clear()
    with CaptureQueriesContext(connection) as queries:
        celery._warm_before_fork()
        tasks._warm_before_fork()
    assert queries.captured_queries == []
    assert get_resolver()._populated
    warmed = services._personal.cache_info().currsize
    assert warmed >= len(services.notified_events())

    event_deliver(event_id=event_on(draft_case, "quarantine", system).pk)
    event_deliver(event_id=event_on(draft_case, "verify", system).pk)

    # Nothing left for a task to find: every template it used was looked up already.
    assert services._personal.cache_info().currsize == warmed
    assert services._personal.cache_info().misses == warmed
    assert len(mailoutbox) > 0


def test_sends_whose_recording_failed_are_recorded_when_the_batch_stops(
    draft_case, physician, patient, team, system, settings, monkeypatch
):
    """A failed UPDATE of the sends does not forget them: the batch's last try records
    them, rather than leaving them taken until their lease runs out (and sent again)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    event = event_on(draft_case, "verify", system, to_state=S.FORMS_PREPARATION)
    monkeypatch.setattr(services, "RECORD_AFTER_SECONDS", 0.0)
    real, calls = services._record_sent, []

    def fails_once(rows):
        calls.append(len(rows))
        if len(calls) == 1:
            raise DatabaseError("the connection dropped")
        real(rows)

    monkeypatch.setattr(services, "_record_sent", fails_once)

    with pytest.raises(DatabaseError):
        event_deliver(event_id=event.pk)

    first = calls[0]
    assert calls[1] == first  # the same rows, tried again
    emails = Notification.objects.filter(event=event, channel=Channel.EMAIL)
    assert emails.filter(status=Status.SENT).count() == first
