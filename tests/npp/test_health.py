"""GET /healthz: 200 when the database and the broker answer, 503 naming the one that
does not."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from npp import health
from npp.celery import app
from tests.conftest import need

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


class BrokenConnection:
    def cursor(self):
        raise OperationalError("could not connect to server: Connection refused")


def test_it_answers_200_when_the_database_and_the_broker_are_up(client, db):
    need(broker_reachable(), f"the broker at {app.conf.broker_url} does not answer")

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_it_answers_503_naming_the_broker_when_the_broker_is_unreachable(
    client, db, unreachable_broker
):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "down"}


def test_it_answers_503_naming_the_database_when_the_database_fails(client, db, monkeypatch):
    need(broker_reachable(), f"the broker at {app.conf.broker_url} does not answer")
    monkeypatch.setattr(health, "connection", BrokenConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down", "broker": "ok"}


def test_the_unreachable_broker_is_restored_after_the_test():
    assert app.conf.broker_url != UNREACHABLE_BROKER


def test_it_is_never_cached(client, db):
    response = client.get("/healthz")

    assert "no-store" in response["Cache-Control"]


def test_it_answers_only_get(client, db):
    response = client.post("/healthz")

    assert response.status_code == 405
