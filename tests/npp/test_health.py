"""GET /healthz: 200 when the database, the broker and the cache answer, 503 naming the
one that does not, within its deadline even when a dependency accepts connections and
never replies (a real server on a socket that stays silent, in a separate process)."""

from __future__ import annotations

import time

import pytest

from npp.celery import app
from tests.conftest import need
from tests.npp.servers import Browser, Silent, free_port, project_env, start_server

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def broker_reachable() -> bool:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@pytest.fixture
def unreachable_broker(monkeypatch):
    """Point the Celery app at a port nothing listens on, and put it back after.
    Celery reads CELERY_BROKER_URL from the environment before its own settings, so
    under CI (which sets it) the variable has to change too."""
    previous = app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", UNREACHABLE_BROKER)
    app.conf.broker_url = UNREACHABLE_BROKER
    try:
        yield
    finally:
        app.conf.broker_url = previous


def test_it_answers_200_when_the_database_and_the_broker_are_up(client, db):
    need(broker_reachable(), f"the broker at {app.conf.broker_url} does not answer")

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "cache": "ok"}


def test_it_answers_503_naming_the_broker_when_the_broker_is_unreachable(
    client, db, unreachable_broker
):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "broker": "down",
        "cache": "ok",
    }


def test_the_unreachable_broker_is_restored_after_the_test():
    assert app.conf.broker_url != UNREACHABLE_BROKER


def test_it_is_never_cached(client, db):
    response = client.get("/healthz")

    assert "no-store" in response["Cache-Control"]


def test_it_answers_only_get(client, db):
    response = client.post("/healthz")

    assert response.status_code == 405


# --- Dependencies that do not answer (a gunicorn process of their own) ------------------


@pytest.fixture
def silent():
    server = Silent()
    yield server
    server.close()


@pytest.fixture
def serve(tmp_path):
    """serve(**env) -> a gunicorn process with the project on `env` (DEBUG=1, a cache
    of its own, a broker in memory, a fresh SQLite database unless the test says
    otherwise), stopped after the test."""
    started = []

    def start(**env):
        defaults = {
            "DEBUG": "1",
            "NPP_CACHE_URL": "locmem://",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'npp.sqlite3'}",
        }
        environment = project_env(tmp_path / "var", **{**defaults, **env})
        server = start_server(environment, tmp_path / f"web{len(started)}.log")
        started.append(server)
        # Wait until the worker serves (a refused method touches no dependency), so the
        # timing below is the check's and not gunicorn's start-up.
        assert Browser().request(server, "/healthz", method="HEAD").status == 405
        return server

    yield start
    for server in started:
        server.stop()


def timed_health(server) -> tuple[float, int, dict]:
    import json

    started = time.monotonic()
    response = Browser().request(server, "/healthz")
    return time.monotonic() - started, response.status, json.loads(response.body)


@pytest.mark.slow
def test_it_answers_503_within_its_deadline_naming_a_database_that_does_not_answer(serve, silent):
    server = serve(DATABASE_URL=f"postgres://npp@127.0.0.1:{silent.port}/npp")

    elapsed, status, body = timed_health(server)

    assert status == 503
    assert body == {"status": "unavailable", "database": "timeout", "broker": "ok", "cache": "ok"}
    assert elapsed < 3
    # Asked again while the first check still waits (connecting gives up after 5 s):
    # the answer is as quick, and no second connection piles up on the hung database.
    elapsed, status, body = timed_health(server)
    assert (status, body["database"]) == (503, "timeout")
    assert elapsed < 3
    assert len(silent.held) == 1


@pytest.mark.slow
def test_it_answers_503_within_its_deadline_naming_a_broker_that_does_not_answer(serve, silent):
    server = serve(CELERY_BROKER_URL=f"redis://127.0.0.1:{silent.port}/0")

    elapsed, status, body = timed_health(server)

    assert status == 503
    assert body == {"status": "unavailable", "database": "ok", "broker": "timeout", "cache": "ok"}
    assert elapsed < 3


@pytest.mark.slow
def test_it_answers_503_naming_a_database_that_refuses_connections(serve):
    server = serve(DATABASE_URL=f"postgres://npp@127.0.0.1:{free_port()}/npp")

    elapsed, status, body = timed_health(server)

    assert status == 503
    assert body["database"] == "down"
    assert elapsed < 3
