"""GET /healthz: can this process reach its database, its broker and its cache?

Each dependency is asked in a thread of its own and waited for until one shared
deadline, so a dependency that accepts connections and never answers costs the
check DEADLINE_SECONDS, not a hung worker: the answer names it ("timeout"). A
check still waiting from an earlier request is not started again (one thread per
dependency at most, however often the load balancer asks); it counts as "timeout"
until it returns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from npp.celery import app

# Load balancers give up after a few seconds; answer well before.
DEADLINE_SECONDS = 2.0
CACHE_KEY = "npp:healthz"


def database_ok() -> bool:
    # This thread's own connection, closed after: it must not stay open (or stay
    # hung) for the next request served by the thread that asked.
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    finally:
        connections.close_all()


def broker_ok() -> bool:
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0)  # one attempt: a refusal is "down" at once
    return True


def cache_ok() -> bool:
    # A read: it proves the shared cache answers without writing on every probe.
    try:
        cache.get(CACHE_KEY)
        return True
    finally:
        connections.close_all()  # the database cache opened this thread's connection


CHECKS: dict[str, Callable[[], bool]] = {
    "database": database_ok,
    "broker": broker_ok,
    "cache": cache_ok,
}


class Probe:
    """One dependency's check in a daemon thread (a hung one never blocks shutdown)."""

    def __init__(self, check: Callable[[], bool]) -> None:
        self.check = check
        self.result: str | None = None
        self.thread = threading.Thread(target=self._run, daemon=True, name="healthz")
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = "ok" if self.check() else "down"
        except Exception:
            self.result = "down"


_running: dict[str, Probe] = {}
_lock = threading.Lock()


def _probe(name: str) -> Probe | None:
    """A new probe for `name`, or None while the last one still waits."""
    with _lock:
        previous = _running.get(name)
        if previous is not None and previous.thread.is_alive():
            return None
        probe = _running[name] = Probe(CHECKS[name])
        return probe


def run_checks(deadline: float = DEADLINE_SECONDS) -> dict[str, str]:
    probes = {name: _probe(name) for name in CHECKS}
    until = time.monotonic() + deadline
    results = {}
    for name, probe in probes.items():
        if probe is not None:
            probe.thread.join(max(until - time.monotonic(), 0))
        results[name] = probe.result if probe is not None and probe.result else "timeout"
    return results


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
