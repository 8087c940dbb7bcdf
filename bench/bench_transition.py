"""A transition against the SQL it needs, on PostgreSQL: the service, the page's POST,
and the raw transaction (lock, update, insert), in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/npp \\
    .venv/bin/python bench/bench_transition.py [-n 400] [--cases 10000] [--clients 8]
        [--large-db npp_1m_tr]

It fills a scratch database `<name>_bench_transition` with orders.load.make_load
(dropped afterwards), or runs on `--large-db`, an already loaded database (a million
cases: `createdb -T npp_1m npp_1m_tr`), which it writes to (cases moved, events and a
coordinator added) and leaves in place, and times, each as transitions per second:

- `case_transition`: hold then resume, over and over, on open cases, from one client
  and from 8 client processes at once (each on its own cases);
- the raw transaction the same move needs, written by hand with psycopg: BEGIN;
  SELECT the case FOR UPDATE; UPDATE its status, held_from, state_changed_at and
  updated_at; INSERT the case event; COMMIT (the counter trigger fires in both);
- the coordinator page's POST (the whole middleware stack, the form, the service,
  the redirect) against a bare view on the same stack that runs the raw transaction.

What follows a committed event (NPP_CASE_EVENT_HANDLERS: renders, notifications) is
switched off here: it runs after the commit and is the other benchmarks' subject.
It also counts the statements one transition sends. Without PostgreSQL it says so.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SOURCE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SOURCE_URL.startswith(("postgres://", "postgresql://"))
SCRATCH = Path(tempfile.mkdtemp(prefix="npp-bench-transition-"))
NAME = (urlsplit(SOURCE_URL).path.lstrip("/") or "npp") + "_bench_transition"
# The client processes inherit the scratch database's URL (their DATABASE_URL is it).
BENCH_URL = os.environ.get("NPP_BENCH_TRANSITION_URL") or (
    urlunsplit(urlsplit(SOURCE_URL)._replace(path="/" + NAME)) if ON_POSTGRES else ""
)
os.environ["NPP_BENCH_TRANSITION_URL"] = BENCH_URL


def _environment() -> None:
    os.environ.update(
        {
            "DATABASE_URL": BENCH_URL,
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-" + "x" * 50,
            "NPP_HTTPS": "0",
            "ALLOWED_HOSTS": "testserver",
            "NPP_VAR_DIR": str(SCRATCH / "var"),
            "NPP_PRIVATE_STORAGE": str(SCRATCH / "private"),
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "npp.settings",
        }
    )


def _admin(create: bool) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(SOURCE_URL)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{NAME}"')


def _setup() -> None:
    _environment()
    import django
    from django.conf import settings

    django.setup()
    settings.NPP_CASE_EVENT_HANDLERS = []


# --- The two ways to move a case ------------------------------------------------------------

RAW_LOCK = "SELECT id, status, held_from FROM orders_importcase WHERE id = %s FOR UPDATE"
RAW_UPDATE = (
    "UPDATE orders_importcase SET status = %s, held_from = %s, state_changed_at = now(), "
    "updated_at = now() WHERE id = %s"
)
RAW_EVENT = (
    "INSERT INTO orders_caseevent (case_id, transition, from_state, to_state, actor_id, "
    "created_at, note, data) VALUES (%s, %s, %s, %s, %s, statement_timestamp(), %s, '{}')"
)


def raw_move(cursor, pk: int, actor: int) -> None:
    """Hold or resume `pk` with hand-written SQL, in its own transaction."""
    cursor.execute("BEGIN")
    cursor.execute(RAW_LOCK, [pk])
    _, status, held_from = cursor.fetchone()
    if status == "on_hold":
        target, name, held = held_from, "resume", ""
    else:
        target, name, held = "on_hold", "hold", status
    cursor.execute(RAW_UPDATE, [target, held, pk])
    cursor.execute(RAW_EVENT, [pk, name, status, target, actor, "Bench"])
    cursor.execute("COMMIT")


def service_move(case, actor):
    from orders.services import case_transition

    name = "resume" if case.status == "on_hold" else "hold"
    return case_transition(case=case, actor=actor, transition=name, note="Bench")


def _worker(kind: str, cases: list[int], actor: int, moves: int, start, result) -> None:
    """One client process: `moves` transitions over its own cases."""
    _setup()
    from django.db import connection

    from npp.accounts.models import User
    from orders.models import ImportCase

    if kind == "raw":
        import psycopg

        conn = psycopg.connect(BENCH_URL, autocommit=True)
        cursor = conn.cursor()
        start.wait(timeout=600)
        began = time.perf_counter()
        for n in range(moves):
            raw_move(cursor, cases[n % len(cases)], actor)
        result.put(time.perf_counter() - began)
        conn.close()
        return
    user = User.objects.get(pk=actor)
    copies = {pk: ImportCase.objects.get(pk=pk) for pk in cases}
    start.wait(timeout=600)
    began = time.perf_counter()
    for n in range(moves):
        pk = cases[n % len(cases)]
        copies[pk] = service_move(copies[pk], user)
    result.put(time.perf_counter() - began)
    connection.close()


def concurrent(kind: str, groups: list[list[int]], actor: int, moves: int) -> float:
    """Transitions per second with one process per group, all started together."""
    context = multiprocessing.get_context("spawn")
    start, result = context.Barrier(len(groups) + 1), context.Queue()
    processes = [
        context.Process(target=_worker, args=(kind, group, actor, moves, start, result))
        for group in groups
    ]
    for process in processes:
        process.start()
    start.wait(timeout=600)
    began = time.perf_counter()
    for _ in processes:
        result.get(timeout=900)
    elapsed = time.perf_counter() - began
    for process in processes:
        process.join()
    return len(groups) * moves / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--moves", type=int, default=400, help="transitions per client")
    parser.add_argument("--cases", type=int, default=10_000, help="cases in the database")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("-r", "--rounds", type=int, default=3)
    parser.add_argument(
        "--large-db",
        default="",
        help="an already loaded PostgreSQL database to run on (written to: give a copy)",
    )
    args = parser.parse_args()
    if not ON_POSTGRES:
        print("bench_transition: needs DATABASE_URL pointing at PostgreSQL; skipped.")
        return
    if args.large_db:
        # The client processes read the database's URL from the environment.
        global BENCH_URL
        BENCH_URL = urlunsplit(urlsplit(SOURCE_URL)._replace(path="/" + args.large_db))
        os.environ["NPP_BENCH_TRANSITION_URL"] = BENCH_URL
    else:
        _admin(create=True)
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.large_db:
            _admin(create=False)


def run(args) -> None:
    _setup()
    import psycopg
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from npp.accounts.models import Role, User
    from orders.load import make_load
    from orders.models import ImportCase
    from orders.states import CaseStatus

    call_command("migrate", verbosity=0)
    if not args.large_db:
        make_load(cases=args.cases)
    from allauth.mfa.totp.internal.auth import TOTP

    actor = User.objects.filter(email="bench.coordinator@npp.example").first()
    if actor is None:  # a --large-db run before may have added it
        actor = User.objects.create_user(
            "bench.coordinator@npp.example", None, full_name="Bench", role=Role.COORDINATOR
        )
        TOTP.activate(actor, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    movable = list(
        ImportCase.objects.filter(status=CaseStatus.AWAITING_PERMIT)
        .order_by("pk")
        .values_list("pk", flat=True)[: 40 * (args.clients + 2)]
    )
    groups = [movable[i :: args.clients + 2] for i in range(args.clients + 2)]
    mine, theirs, clients = groups[0], groups[1], groups[2:]

    # Statements: one transition, counted (the test database wraps nothing here).
    case = ImportCase.objects.get(pk=mine[0])
    with CaptureQueriesContext(connection) as captured:
        case = service_move(case, actor)
    logged = [query["sql"] for query in captured.captured_queries]
    # BEGIN and COMMIT count; the PostgreSQL backend logs them, others may not.
    statements = len(logged) + (0 if "COMMIT" in logged else 2)
    for query in captured.captured_queries:
        print("  " + query["sql"][:110])

    # One client: the service and the raw transaction, interleaved in rounds.
    raw = psycopg.connect(BENCH_URL, autocommit=True)
    raw_cursor = raw.cursor()
    copies = {pk: ImportCase.objects.get(pk=pk) for pk in mine}
    service_rates, raw_rates = [], []
    per_round = max(args.moves // args.rounds, 20)
    for _ in range(args.rounds):
        began = time.perf_counter()
        for n in range(per_round):
            pk = mine[n % len(mine)]
            copies[pk] = service_move(copies[pk], actor)
        service_rates.append(per_round / (time.perf_counter() - began))
        began = time.perf_counter()
        for n in range(per_round):
            raw_move(raw_cursor, theirs[n % len(theirs)], actor.pk)
        raw_rates.append(per_round / (time.perf_counter() - began))
    one_service, one_raw = statistics.median(service_rates), statistics.median(raw_rates)

    # Eight clients at once, each on its own cases.
    connection.close()
    many_service = concurrent("service", clients, actor.pk, per_round)
    many_raw = concurrent("raw", clients, actor.pk, per_round)
    many_service = (many_service + concurrent("service", clients, actor.pk, per_round)) / 2
    many_raw = (many_raw + concurrent("raw", clients, actor.pk, per_round)) / 2

    post, bare = http(actor, groups[0], raw_cursor, per_round)
    raw.close()

    print(f"cases: {ImportCase.objects.count()}; moves: hold and resume on open cases")
    print(f"1 client: case_transition {one_service:.0f}/s, raw SQL {one_raw:.0f}/s")
    print(f"{len(clients)} clients: case_transition {many_service:.0f}/s, raw {many_raw:.0f}/s")
    print(f"HTTP: transition POST {post:.0f}/s, bare view doing the raw transaction {bare:.0f}/s")
    print(f"statements_per_transition: {statements} (target <= 5)")
    print(f"transition_vs_raw_sql_1_client: {one_service / one_raw:.2f} (target >= 0.35)")
    print(
        f"transition_vs_raw_sql_{len(clients)}_clients: {many_service / many_raw:.2f} "
        "(target >= 0.35)"
    )
    print(f"transition_post_vs_bare_raw_view: {post / bare:.2f} (target >= 0.5)")


def http(actor, cases: list[int], raw_cursor, moves: int) -> tuple[float, float]:
    """Transitions per second through the coordinator page's POST and through a bare
    view (same middleware) that runs the raw transaction."""
    from django.conf import settings
    from django.db import connection
    from django.http import HttpResponse
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import include, path

    from orders.models import ImportCase

    def bare(request, pk: int):
        with connection.cursor() as cursor:
            raw_move(cursor.cursor, pk, actor.pk)
        return HttpResponse(status=302, headers={"Location": f"/work/cases/{pk}/"})

    urls = types.ModuleType("bench_transition_urls")
    urls.urlpatterns = [path("bench/<int:pk>", bare), path("", include("npp.urls"))]
    sys.modules["bench_transition_urls"] = urls
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(ROOT_URLCONF="bench_transition_urls", STORAGES=storages):
        client = Client()
        client.force_login(actor)
        posts, bares = [], []
        for _ in range(3):
            began = time.perf_counter()
            for n in range(moves // 2):
                case = ImportCase.objects.only("status").get(pk=cases[n % len(cases)])
                name = "resume" if case.status == "on_hold" else "hold"
                response = client.post(
                    f"/work/cases/{case.pk}/actions/{name}",
                    {f"{name}-note": "Bench", f"{name}-seen_status": case.status},
                )
                assert response.status_code == 302, response.status_code
            posts.append((moves // 2) / (time.perf_counter() - began))
            began = time.perf_counter()
            for n in range(moves // 2):
                assert client.post(f"/bench/{cases[n % len(cases)]}").status_code == 302
            bares.append((moves // 2) / (time.perf_counter() - began))
    return statistics.median(posts), statistics.median(bares)


if __name__ == "__main__":
    main()
