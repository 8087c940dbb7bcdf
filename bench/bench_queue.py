"""How fast the coordinators' queue page answers at 100,000 cases, against a bare view.

Fills a throwaway database with N cases (bulk_create in batches), signs a
coordinator in with Django's test Client and times, as the median of R requests
each: the queue's first page, a deep page (a keyset cursor near the end), a page
filtered by one state, and a bare Django view (same middleware, same session) that
reads one case and renders a tiny template. The ratio of the slowest queue page to
the bare view is the number to watch.

    .venv/bin/python bench/bench_queue.py [-n 100000] [-r 30]

The database is a SQLite file in a temporary directory; with DATABASE_URL pointing
at PostgreSQL a scratch database `<name>_bench_queue` is created on that server for
the run and dropped afterwards (the named database itself is not touched).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SCRATCH = Path(tempfile.mkdtemp(prefix="npp-bench-queue-"))
SOURCE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SOURCE_URL.startswith(("postgres://", "postgresql://"))
if ON_POSTGRES:
    _parts = urlsplit(SOURCE_URL)
    SCRATCH_DB = (_parts.path.lstrip("/") or "npp") + "_bench_queue"
    os.environ["DATABASE_URL"] = urlunsplit(_parts._replace(path="/" + SCRATCH_DB))
else:
    os.environ["DATABASE_URL"] = f"sqlite:///{SCRATCH / 'bench.sqlite3'}"
# Production-like: no query log (DEBUG), no HTTPS redirect for the test client.
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ["NPP_HTTPS"] = "0"
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["NPP_VAR_DIR"] = str(SCRATCH / "var")
os.environ["NPP_PRIVATE_STORAGE"] = str(SCRATCH / "private")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npp.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _postgres_scratch(create: bool) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(SOURCE_URL)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{SCRATCH_DB}"')


if ON_POSTGRES:
    _postgres_scratch(create=True)

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

from npp.accounts.models import Role, User  # noqa: E402
from orders.models import ImportCase, Pathway, Patient, Physician, Priority, Product  # noqa: E402
from orders.selectors import QUEUE_STATES, QueueFilters, encode_cursor, queue_cases  # noqa: E402

TINY = engines["django"].from_string(
    "<!doctype html><title>{{ case.reference }}</title><p>{{ case.reference }}: "
    "{{ case.get_status_display }}</p>"
)


def bare_view(request: HttpRequest) -> HttpResponse:
    case = ImportCase.objects.only("reference", "status").get(pk=request.GET["pk"])
    return HttpResponse(TINY.render({"case": case}, request))


urls = types.ModuleType("bench_queue_urls")
urls.urlpatterns = [path("bench/bare", bare_view), path("", include("npp.urls"))]
sys.modules["bench_queue_urls"] = urls


def fill(total: int, batch: int = 5000) -> User:
    call_command("migrate", verbosity=0)
    coordinator = User.objects.create_user(
        "bench.coordinator@npp.example",
        "bench-password-1",
        full_name="Bench Coordinator",
        role=Role.COORDINATOR,
    )
    try:  # coordinators sign in with a second factor where the accounts app asks for one
        from allauth.mfa.totp.internal.auth import TOTP

        TOTP.activate(coordinator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    except (ImportError, RuntimeError):
        pass
    others = [
        User.objects.create_user(
            f"coordinator{i}@npp.example",
            None,
            full_name=f"Coordinator {i}",
            role=Role.COORDINATOR,
        )
        for i in range(4)
    ]
    physicians = Physician.objects.bulk_create(
        Physician(
            user=User.objects.create_user(
                f"dr{i}@hospital.example", None, full_name=f"Dr {i}", role=Role.PHYSICIAN
            ),
            full_name=f"Physician {i:03d}",
            registration_number=f"NMC-{i:06d}",
            registration_council="NMC",
        )
        for i in range(150)
    )
    patients = Patient.objects.bulk_create(
        Patient(
            full_name=f"Patient {i:05d}",
            date_of_birth=dt.date(1970 + i % 40, 1 + i % 12, 1 + i % 28),
            sex=Patient.Sex.FEMALE if i % 2 else Patient.Sex.MALE,
            address=f"{i} MG Road",
            city="Bengaluru",
            postal_code="560001",
            id_document_type=Patient.IdentityDocument.AADHAAR,
            id_document_number_masked="XXXXXXXX1234",
        )
        for i in range(3000)
    )
    product = Product.objects.get(brand_name="Lupkynis")
    pathway = Pathway.default()
    assignees = [None, coordinator, *others]
    now = timezone.now()
    # Most cases are finished history; the open ones spread over the queue's states.
    finished = ["closed", "closed", "closed", "cancelled", "rejected", "draft"]
    states = list(QUEUE_STATES) + finished
    for start in range(0, total, batch):
        ImportCase.objects.bulk_create(
            ImportCase(
                reference=f"NPP-B-{n:07d}",
                pathway=pathway,
                patient=patients[n % len(patients)],
                physician=physicians[n % len(physicians)],
                product=product,
                prescribed_dose="23.7 mg twice daily",
                daily_units=6,
                quantity_packs=3,
                treatment_days=90,
                justification="Bench",
                status=states[n % len(states)],
                priority=Priority.URGENT if n % 17 == 0 else Priority.NORMAL,
                state_changed_at=now - dt.timedelta(minutes=(n * 37) % (60 * 24 * 40)),
                assigned_coordinator=assignees[n % len(assignees)],
                created_by=coordinator,
            )
            for n in range(start, min(start + batch, total))
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE orders_importcase")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return coordinator


def medians_ms(client: Client, targets: dict[str, tuple[str, dict]], runs: int) -> dict:
    """Median ms of each target, the targets interleaved request by request so that
    a busy machine slows them alike."""
    for url, params in targets.values():
        for _ in range(3):  # warm up: templates compiled, counts cached
            assert client.get(url, params).status_code == 200
    times: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(runs):
        for name, (url, params) in targets.items():
            started = time.perf_counter()
            response = client.get(url, params)
            times[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--cases", type=int, default=100_000)
    parser.add_argument("-r", "--runs", type=int, default=40)
    args = parser.parse_args()

    started = time.perf_counter()
    coordinator = fill(args.cases)
    print(
        f"database: {connection.vendor}, {ImportCase.objects.count()} cases "
        f"(filled in {time.perf_counter() - started:.1f} s)"
    )

    from django.conf import settings

    # Static URLs without a collectstatic manifest (the pages only name the files).
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(ROOT_URLCONF="bench_queue_urls", STORAGES=storages):
        client = Client()
        client.force_login(coordinator)
        open_cases = queue_cases(QueueFilters(), user=coordinator, now=timezone.now())
        ordered = open_cases.order_by("-priority", "state_changed_at", "id")
        total_open = ordered.count()
        deep = encode_cursor(ordered[total_open - 40])
        some = ordered.first()

        measured = medians_ms(
            client,
            {
                "bare": ("/bench/bare", {"pk": some.pk}),
                "first": ("/work/", {}),
                "deep": ("/work/", {"after": deep}),
                "state": ("/work/", {"state": "in_transit"}),
            },
            args.runs,
        )
        bare, first = measured["bare"], measured["first"]
        deep_page, one_state = measured["deep"], measured["state"]
        cache.clear()
        cold_started = time.perf_counter()
        client.get("/work/")
        cold = (time.perf_counter() - cold_started) * 1000

    print(f"open cases in the queue: {total_open}; runs: {args.runs} (median of each)")
    print(f"bare view (one row, tiny template): {bare:.2f} ms")
    print(f"queue page 1: {first:.2f} ms")
    print(f"queue deep page (row {total_open - 40} of {total_open}): {deep_page:.2f} ms")
    print(f"queue one state (in transit): {one_state:.2f} ms")
    print(f"queue page 1 with the state counts not cached (one request): {cold:.2f} ms")
    ratio = max(first, deep_page, one_state) / bare
    print(f"queue_page_vs_bare_view: {ratio:.2f} (target <= 5)")


if __name__ == "__main__":
    try:
        main()
    finally:
        if ON_POSTGRES:
            connection.close()
            _postgres_scratch(create=False)
