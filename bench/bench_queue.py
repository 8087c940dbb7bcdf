"""The coordinators' pages at 10,000 cases and at N (100,000 by default, 1,000,000 for
the full run), each against a bare one-row view on the same stack, in one run.

    .venv/bin/python bench/bench_queue.py [--cases 100000] [-r 15]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/npp \\
        .venv/bin/python bench/bench_queue.py --cases 1000000 [--large-db npp_load]

Two databases are filled by `orders.load.make_load` (10,000 cases, and N): SQLite
files in a temporary directory, or scratch PostgreSQL databases `<name>_bench_small`
and `<name>_bench_large` next to DATABASE_URL's (dropped afterwards). `--large-db`
uses an already loaded PostgreSQL database for N instead (it is not dropped; the
bench adds one coordinator to it).

Both databases are served by the same process: Django's test Client (whole
middleware stack, a signed-in coordinator, DEBUG off), the default connection
switched between the two before each request, requests interleaved so that a busy
machine slows both alike. Each target is the median of R requests:

- queue page 1, the page after 20 "Next", and each open state's filter;
- search by reference, surname, full name, phone, permit number and lot;
- a case page (a closed case with its history);
- the bare view: one case by primary key, a one-line template.

The lines at the end are the issue's targets: N against 10,000 for the queue pages,
the searches and the case page; the queue pages against the bare view at N; the SQL
queries of each page equal at both sizes. `--explain` prints EXPLAIN (ANALYZE) of the
queue's and the search's row queries at N.
"""

from __future__ import annotations

import argparse
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
SMALL = 10_000

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("-n", "--cases", type=int, default=100_000)
parser.add_argument("-r", "--runs", type=int, default=15)
parser.add_argument("--large-db", default="", help="an already loaded PostgreSQL database")
parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the row queries")
ARGS = parser.parse_args()


def _url(name: str) -> str:
    return urlunsplit(urlsplit(SOURCE_URL)._replace(path="/" + name))


if ON_POSTGRES:
    BASE = urlsplit(SOURCE_URL).path.lstrip("/") or "npp"
    NAMES = {"small": BASE + "_bench_small", "large": ARGS.large_db or BASE + "_bench_large"}
    os.environ["DATABASE_URL"] = _url(NAMES["large"])
else:
    NAMES = {"small": str(SCRATCH / "small.sqlite3"), "large": str(SCRATCH / "large.sqlite3")}
    os.environ["DATABASE_URL"] = f"sqlite:///{NAMES['large']}"
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


def _postgres(name: str, create: bool) -> None:
    import psycopg

    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


SCRATCH_DBS = [NAMES["small"]] + ([] if ARGS.large_db else [NAMES["large"]])
if ON_POSTGRES:
    for scratch in SCRATCH_DBS:
        _postgres(scratch, create=True)

import django  # noqa: E402
from django.conf import settings  # noqa: E402

django.setup()
settings.DATABASES["small"] = {**settings.DATABASES["default"], "NAME": NAMES["small"]}

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

from npp.accounts.models import Role, User  # noqa: E402
from orders.load import make_load  # noqa: E402
from orders.models import ImportCase, Patient, Shipment  # noqa: E402
from orders.selectors import QUEUE_STATES, QueueFilters, queue_page  # noqa: E402
from orders.states import CaseStatus  # noqa: E402

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

WRAPPERS = {"large": connections["default"], "small": connections["small"]}


def use(size: str) -> None:
    """Point the default connection at one of the two databases."""
    connections["default"] = WRAPPERS[size]


def fill(size: str, cases: int) -> float:
    use(size)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not ImportCase.objects.exists():
        make_load(cases=cases)
    return time.perf_counter() - started


def coordinator() -> User:
    user, _ = User.objects.get_or_create(
        email="bench.coordinator@npp.example",
        defaults={"full_name": "Bench Coordinator", "role": Role.COORDINATOR},
    )
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user).exists():
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return user


def targets(user: User) -> dict[str, dict]:
    """What to request on the current database: the same kinds of thing on both."""
    deep_params: dict = {}
    for _ in range(20):  # twenty clicks on "Next"
        page = queue_page(QueueFilters(), user=user, after=deep_params.get("after", ""))
        deep_params = {"after": page.next_cursor}
    closed = ImportCase.objects.filter(status=CaseStatus.CLOSED)
    middle = closed.order_by("pk")[closed.count() // 2]
    shipment = Shipment.objects.filter(case=middle).first()
    patient = Patient.objects.get(pk=middle.patient_id)
    targets = {
        "bare": ("/bench/bare", {"pk": middle.pk}),
        "page 1": ("/work/", {}),
        "page 21": ("/work/", deep_params),
        **{f"state {state}": ("/work/", {"state": state}) for state in QUEUE_STATES},
        "search reference": ("/work/", {"q": middle.reference}),
        "search surname": ("/work/", {"q": "Menon"}),
        "search full name": ("/work/", {"q": patient.full_name}),
        "search phone": ("/work/", {"q": patient.phone}),
        "search permit": ("/work/", {"q": middle.permit_number}),
        "search lot": ("/work/", {"q": shipment.batch_number}),
        "case page": (f"/work/cases/{middle.pk}/", {}),
    }
    return targets


def main() -> None:
    sizes = {"small": SMALL, "large": ARGS.cases}
    loaded = {size: fill(size, cases) for size, cases in sizes.items()}
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    clients, plans, queries = {}, {}, {}
    with override_settings(ROOT_URLCONF="bench_queue_urls", STORAGES=storages):
        asked = {}
        for size in sizes:
            use(size)
            user = coordinator()
            clients[size] = Client()
            clients[size].force_login(user)
            asked[size] = targets(user)
            plans[size] = dict(asked[size])
            for name, (url, params) in asked[size].items():
                if "q" in params:
                    # Searched as the page does: the form is posted, the term kept in the
                    # session behind a token, and the results page is the redirect.
                    response = clients[size].post(url, params)
                    assert response.status_code == 302, (size, name, response.status_code)
                    plans[size][name] = (response["Location"], {})
            counted = {}
            for name, (url, params) in plans[size].items():
                for _ in range(2):  # warm up: templates compiled, plans cached
                    response = clients[size].get(url, params)
                    assert response.status_code == 200, (size, name, response.status_code)
                with CaptureQueriesContext(connection) as captured:
                    clients[size].get(url, params)
                counted[name] = len(captured)
            queries[size] = counted
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(ARGS.runs):
            for name in plans["small"]:
                for size in sizes:
                    use(size)
                    url, params = plans[size][name]
                    started = time.perf_counter()
                    response = clients[size].get(url, params)
                    times.setdefault((size, name), []).append(
                        (time.perf_counter() - started) * 1000
                    )
                    assert response.status_code == 200
        if ARGS.explain:
            use("large")
            explain(asked["large"], User.objects.get(email="bench.coordinator@npp.example"))

    ms = {key: statistics.median(values) for key, values in times.items()}
    use("large")
    total = ImportCase.objects.count()
    print(f"database: {connection.vendor}; runs: {ARGS.runs} (median of each, ms)")
    for size, cases in sizes.items():
        print(f"{size}: {cases} cases requested, loaded in {loaded[size]:.0f} s")
    print(f"large database: {total} cases")
    print(f"{'page':<32} {'10k ms':>8} {'N ms':>8} {'N/10k':>6} {'queries':>8}")
    for name in plans["small"]:
        small, large = ms[("small", name)], ms[("large", name)]
        counts = f"{queries['small'][name]}/{queries['large'][name]}"
        print(f"{name:<32} {small:8.2f} {large:8.2f} {large / small:6.2f} {counts:>8}")

    def worst(prefixes: tuple[str, ...]) -> tuple[float, str]:
        names = [n for n in plans["small"] if n.startswith(prefixes)]
        return max((ms[("large", n)] / ms[("small", n)], n) for n in names)

    label = f"{ARGS.cases // 1000}k" if ARGS.cases < 1_000_000 else f"{ARGS.cases // 10**6}m"
    queue_ratio, queue_name = worst(("page", "state"))
    search_ratio, search_name = worst(("search",))
    case_ratio, _ = worst(("case page",))
    bare = ms[("large", "bare")]
    vs_bare, vs_bare_name = max(
        (ms[("large", n)] / bare, n) for n in plans["large"] if n.startswith(("page", "state"))
    )
    equal = queries["small"] == queries["large"]
    print(f"slowest: queue {queue_name}, search {search_name}, against bare {vs_bare_name}")
    print(f"queue_{label}_vs_10k: {queue_ratio:.2f} (target <= 1.2)")
    print(f"queue_{label}_vs_bare_view: {vs_bare:.2f} (target <= 5)")
    print(f"search_{label}_vs_10k: {search_ratio:.2f} (target <= 1.5)")
    print(f"case_page_{label}_vs_10k: {case_ratio:.2f} (target <= 1.2)")
    print(f"queries_per_page_10k_vs_{label}: {'equal' if equal else 'DIFFERENT'} (target equal)")


def explain(plan: dict[str, tuple[str, dict]], user: User) -> None:
    """EXPLAIN ANALYZE of the row query behind each queue and search target."""
    from portals.coordinator.forms import QueueFilterForm

    for name, (url, params) in plan.items():
        if url != "/work/":
            continue
        form = QueueFilterForm(params or None, user=user)
        filters = form.filters() if form.is_bound else QueueFilters()
        with CaptureQueriesContext(connection) as captured:
            queue_page(filters, user=user, after=params.get("after", ""), now=timezone.now())
        rows = [q["sql"] for q in captured.captured_queries if "LIMIT 26" in q["sql"]]
        for sql in rows:
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else ""
            prefix = prefix or "EXPLAIN QUERY PLAN "
            with connection.cursor() as cursor:
                cursor.execute(prefix + sql)
                lines = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
            print(f"\n--- {name}: {params}\n" + "\n".join(lines))


if __name__ == "__main__":
    try:
        main()
    finally:
        if ON_POSTGRES:
            for wrapper in WRAPPERS.values():
                wrapper.close()
            for scratch in SCRATCH_DBS:
                _postgres(scratch, create=False)
