"""Fixtures for the portal tests, shared by every portal (physician, patient,
coordinator): signed-in test clients, and a real browser on the live server.

Browser tests drive Debian's Chromium (/usr/bin/chromium) with Playwright's Python
package; Playwright never downloads a browser here. Without Chromium they skip with a
message saying how to enable them, and fail instead under NPP_REQUIRE_BROWSER=1 (CI).

A browser test needs the live server and a transactional database, and asks for the
reference data it uses (`catalogue`, `lupkynis`, `india` from tests/conftest.py) like
any other test:

    pytestmark = pytest.mark.django_db(transaction=True)

    def test_it(live_server, browser_page, coordinator):
        page = browser_page(coordinator)          # signed in through the sign-in page
        page.goto(live_server.url + "/work/")
        shoot(page, "coordinator-queue")          # phone and desktop screenshots
        assert_accessible(page)                   # axe-core: no serious or critical
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
from django.test import Client

from tests.conftest import PASSWORD, TOTP_SECRET, clear_cache

CHROMIUM = Path(os.environ.get("NPP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "portals"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
HOW_TO_ENABLE = (
    "browser tests need Debian's Chromium at /usr/bin/chromium: "
    "`apt-get install -y chromium` (or, as root, `bash scripts/system-deps.sh --browser`); "
    "NPP_REQUIRE_BROWSER=1 makes this a failure instead of a skip"
)


def browser_required() -> bool:
    return os.environ.get("NPP_REQUIRE_BROWSER") == "1"


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The current code of an authenticator app holding `secret`."""
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


# --- Test client -----------------------------------------------------------------------


DATABASE_FIXTURES = {"db", "transactional_db", "live_server"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Sign-in rate limits and used one-time codes live in the cache: none carried
    over from another test. The cache is a database table by default, so this needs
    the test's database: tests without one sign nobody in and are left alone."""

    uses_database = request.node.get_closest_marker("django_db") or (
        DATABASE_FIXTURES & set(request.fixturenames)
    )
    if not uses_database:
        yield
        return
    request.getfixturevalue("db")  # transactional when the test asks for it
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def client_for():
    """client_for(user) -> a Django test client signed in as `user`;
    client_for(user, csrf=True) enforces CSRF checks like a browser."""

    def make(user, *, csrf: bool = False) -> Client:
        client = Client(enforce_csrf_checks=csrf)
        client.force_login(user)
        return client

    return make


# --- Browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright():
    if not CHROMIUM.exists():
        if browser_required():
            pytest.fail(f"NPP_REQUIRE_BROWSER=1 but {CHROMIUM} is missing: {HOW_TO_ENABLE}")
        pytest.skip(HOW_TO_ENABLE)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev extras not installed
        if browser_required():
            pytest.fail("NPP_REQUIRE_BROWSER=1 but the playwright package is missing")
        pytest.skip("browser tests need the dev extras: pip install -e '.[dev]'")
    # Playwright's sync API keeps an event loop on this thread; the tests' own ORM calls
    # are synchronous and run between its calls, never inside the loop.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    """One headless Chromium for the whole run; each test opens its own contexts."""
    browser = _playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


class RequestsInFlight:
    """Counts the requests the live server is handling (Django's request_started and
    request_finished, sent in the server's threads). A page closed at a test's end may
    leave one running, a preview rendering or an audit row being written, while the
    test's flush empties the tables under it: the flush then fails on a foreign key
    and the next test starts on rows it did not make."""

    def __init__(self) -> None:
        self.count = 0
        self.held = False
        self.changed = threading.Condition()

    def started(self, **kwargs) -> None:
        with self.changed:
            # Bounded: a request the test itself sends while alone (the test client)
            # would otherwise wait for its own block to end.
            self.changed.wait_for(lambda: not self.held, timeout=60)
            self.count += 1

    def finished(self, **kwargs) -> None:
        with self.changed:
            self.count -= 1
            self.changed.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count <= 0, timeout=timeout)

    @contextlib.contextmanager
    def alone(self, timeout: float = 30):
        """The test alone on the database: the requests under way finish, new ones wait
        (in request_started, before they touch anything) until the block ends."""
        with self.changed:
            self.held = True
            idle = self.changed.wait_for(lambda: self.count <= 0, timeout=timeout)
        try:
            assert idle, f"{self.count} request(s) still running after {timeout} s"
            yield
        finally:
            with self.changed:
                self.held = False
                self.changed.notify_all()


@pytest.fixture
def requests_in_flight(live_server) -> RequestsInFlight:
    in_flight = RequestsInFlight()
    request_started.connect(in_flight.started, weak=False)
    request_finished.connect(in_flight.finished, weak=False)
    yield in_flight
    request_started.disconnect(in_flight.started)
    request_finished.disconnect(in_flight.finished)


@pytest.fixture
def render_pending(requests_in_flight):
    """render_pending(kind=None): what the render worker does with the jobs the pages
    asked for (of one kind, or all), while the live server handles no request. On the
    embedded default the live server shares the test's in-memory SQLite connection, a
    shared cache, where a page's poll (the coordinator's case page asks every 2 s
    while a paper is being made) holds the render jobs' table at the moment a job is
    claimed, and SQLite refuses the claim at once: 'database table is locked' (no busy
    timeout for that lock; a file database, as every real run has, has no shared
    cache)."""
    from documents.generation.jobs import render_job_run
    from documents.models import RenderJob, RenderStatus

    def run(kind: str | None = None) -> None:
        with requests_in_flight.alone():
            jobs = RenderJob.objects.exclude(status=RenderStatus.READY).order_by("pk")
            for job in jobs.filter(kind=kind) if kind else jobs:
                render_job_run(job.pk)

    return run


@pytest.fixture
def browser_page(browser, live_server, requests_in_flight):
    """browser_page(user=None, viewport=DESKTOP) -> a page in a fresh browser context
    (its own cookies), signed in as `user` through the sign-in page (with the
    authenticator code for a coordinator)."""
    contexts = []
    in_flight = requests_in_flight

    def make(user=None, *, viewport: dict | None = None, password: str = PASSWORD):
        context = browser.new_context(viewport=viewport or DESKTOP, base_url=live_server.url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        if user is not None:
            sign_in(page, user.email, password)
        return page

    yield make
    for context in contexts:
        context.close()
    # Every request the pages started has finished before the database is flushed.
    idle = in_flight.wait_until_idle(timeout=30)
    assert idle, f"{in_flight.count} request(s) still running 30 s after the pages closed"


def sign_in(page, email: str, password: str = PASSWORD, totp_secret: str = TOTP_SECRET) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if "/2fa/authenticate" in page.url:
        page.get_by_label(re.compile("code", re.I)).first.fill(totp_code(totp_secret))
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("sign in|verify", re.I)).click()


def shoot(page, name: str) -> list[Path]:
    """Screenshots of the current page at phone and desktop width, full length, under
    test-artifacts/portals/<name>-phone.png and -desktop.png. Leaves the page at the
    width it had."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    paths = []
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        path = ARTIFACTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    page.set_viewport_size(original)
    return paths


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not as an inline <script>: the
        # page's CSP (script-src 'self') stays as strict as in production.
        page.evaluate(AXE.read_text() + "\n;undefined")
    results = page.evaluate("async () => await window.axe.run(document)")
    return [v for v in results["violations"] if v["impact"] in impacts]


def assert_accessible(page) -> None:
    """axe-core finds no serious or critical violation on the page."""
    violations = axe_violations(page)
    assert not violations, "\n".join(
        f"{v['impact']}: {v['id']} {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in violations
    )
