"""A database that stops answering, or a lock that is never released, costs a request
a bounded wait: PostgreSQL gives up on a statement after NPP_DB_STATEMENT_TIMEOUT
(a worker after NPP_DB_WORKER_STATEMENT_TIMEOUT), SQLite on a lock after
NPP_SQLITE_BUSY_TIMEOUT. (Connecting is bounded too: test_errors and test_health.)"""

from __future__ import annotations

import sqlite3
import time

import pytest
from django.db import connection

from tests.conftest import need
from tests.notifications.realworker import worker_database_url
from tests.npp.servers import manage, project_env

SHOW_TIMEOUT = (
    "from django.db import connection\n"
    "with connection.cursor() as cursor:\n"
    "    cursor.execute('SHOW statement_timeout')\n"
    "    print('statement_timeout', cursor.fetchone()[0])\n"
)
AS_A_WORKER = "from celery.signals import celeryd_init\nceleryd_init.send(sender='test')\n"


@pytest.fixture
def postgres_env(db, tmp_path):
    need(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    return lambda **env: project_env(tmp_path / "var", DATABASE_URL=worker_database_url(), **env)


def shell(env: dict, code: str) -> str:
    return manage(env, "shell", "-c", code).strip().splitlines()[-1]


def test_a_web_process_gives_up_on_a_statement_after_the_statement_timeout(postgres_env):
    code = (
        "import time\n"
        "from django.db import OperationalError, connection\n"
        "started = time.monotonic()\n"
        "try:\n"
        "    with connection.cursor() as cursor:\n"
        "        cursor.execute('SELECT pg_sleep(20)')\n"
        "except OperationalError as error:\n"
        "    print(round(time.monotonic() - started, 1), 'cancelled' if 'statement timeout' "
        "in str(error) else error)\n"
    )

    seconds, outcome = shell(postgres_env(NPP_DB_STATEMENT_TIMEOUT="1"), code).split(" ", 1)

    assert outcome == "cancelled"
    assert 1 <= float(seconds) < 5


def test_web_processes_wait_30_seconds_for_a_statement_by_default(postgres_env):
    assert shell(postgres_env(), SHOW_TIMEOUT) == "statement_timeout 30s"


def test_a_worker_waits_as_long_as_its_tasks_may_run(postgres_env):
    assert shell(postgres_env(), AS_A_WORKER + SHOW_TIMEOUT) == "statement_timeout 2min"
    env = postgres_env(NPP_DB_WORKER_STATEMENT_TIMEOUT="7")
    assert shell(env, AS_A_WORKER + SHOW_TIMEOUT) == "statement_timeout 7s"


def test_sqlite_gives_up_on_a_lock_held_too_long_after_the_busy_timeout(tmp_path):
    path = tmp_path / "npp.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")  # another process writing, and not finishing
    code = (
        "import time\n"
        "from django.db import OperationalError, transaction\n"
        "started = time.monotonic()\n"
        "try:\n"
        "    with transaction.atomic():\n"
        "        pass\n"
        "except OperationalError as error:\n"
        "    print(round(time.monotonic() - started, 1), error)\n"
    )
    try:
        started = time.monotonic()
        env = project_env(
            tmp_path / "var", DATABASE_URL=f"sqlite:///{path}", NPP_SQLITE_BUSY_TIMEOUT="1"
        )
        seconds, error = shell(env, code).split(" ", 1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert error == "database is locked"
    assert 1 <= float(seconds) < 5
    assert time.monotonic() - started < 30
