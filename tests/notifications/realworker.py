"""Real Celery workers as subprocesses, for the integration and fault tests: start
them on the test database and a queue of the test's own, kill a pool child or the
whole worker with SIGKILL, and read what they sent (the file email backend's files
and the slow backend's journal)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

READY_SECONDS = 60
MESSAGE_ID = re.compile(rb"^Message-ID:\s+(<[^>]+>)", re.MULTILINE)  # maybe folded


def redis_reachable(url: str) -> bool:
    if not url.startswith(("redis://", "rediss://")):
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def worker_database_url() -> str:
    """The database pytest created (test_<name>), for the worker to use."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces: the fields after it start after ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path
    name: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = READY_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log_text():
                return
            if not self.alive():
                break
            time.sleep(0.1)
        pytest.fail(f"Worker {self.name} not ready:\n{self.log_text()[-4000:]}")

    def pool_children(self) -> list[int]:
        return children_of(self.pid)

    def kill_child(self, pid: int) -> None:
        """SIGKILL one pool process: the worker stays and forks a new one."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the whole worker: the main process and its pool, at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        # Whatever is left of the group (a pool child whose parent was killed).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


@dataclass
class Workers:
    """Starts workers on one queue; every one started is stopped by `close`."""

    queue: str
    directory: Path
    started: list[Worker] = field(default_factory=list)

    @property
    def mail_dir(self) -> Path:
        return self.directory / "mail"

    @property
    def journal(self) -> Path:
        return self.directory / "mail-journal"

    def start(
        self,
        *,
        concurrency: int = 1,
        early_ack: bool = False,
        slow: tuple[float, float] | None = None,
        **env: str,
    ) -> Worker:
        name = f"w{len(self.started) + 1}-{self.queue}"
        log = self.directory / f"{name}.log"
        backend = (
            "tests.notifications.slow_email.EmailBackend"
            if slow
            else "django.core.mail.backends.filebased.EmailBackend"
        )
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "npp.settings",
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
            "EMAIL_BACKEND": backend,
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "NPP_TEST_MAIL_JOURNAL": str(self.journal),
            "NPP_TEST_EMAIL_DELAY_BEFORE": str(slow[0] if slow else 0),
            "NPP_TEST_EMAIL_DELAY_AFTER": str(slow[1] if slow else 0),
            "NPP_TEST_EARLY_ACK": "1" if early_ack else "0",
            "NPP_NOTIFICATION_QUEUE": self.queue,
            # Short clocks, so that recovery fits in a test: a dead sender's claim
            # runs out after 2 s, and Redis hands back a dead worker's task after 5 s.
            "NPP_NOTIFICATION_LEASE_SECONDS": "2",
            "NPP_REDIS_VISIBILITY_TIMEOUT": "5",
            "NPP_VAR_DIR": str(self.directory / "var"),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        command = [
            sys.executable, "-m", "tests.notifications.worker", "worker",
            "--pool=prefork", f"--concurrency={concurrency}", "--prefetch-multiplier=1",
            "-Q", self.queue, "-n", f"{name}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=INFO",
        ]  # fmt: skip
        with log.open("wb") as output:
            process = subprocess.Popen(
                command,
                cwd=django_settings.BASE_DIR,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as one
            )
        worker = Worker(process, log, name)
        self.started.append(worker)
        worker.wait_ready()
        return worker

    def close(self) -> None:
        for worker in self.started:
            worker.stop()

    # --- What the workers sent ------------------------------------------------------

    def sent(self) -> Counter[str]:
        """Message-ID -> how many times an email with it was written."""
        counts: Counter[str] = Counter()
        if self.mail_dir.exists():
            for path in self.mail_dir.iterdir():
                for match in MESSAGE_ID.findall(path.read_bytes()):
                    counts[match.decode()] += 1
        return counts

    def journal_lines(self) -> list[tuple[float, int, str, str]]:
        if not self.journal.exists():
            return []
        lines = []
        for line in self.journal.read_text().splitlines():
            stamp, pid, event, message_id = line.split(" ", 3)
            lines.append((float(stamp), int(pid), event, message_id))
        return lines


def wait_until(condition: Callable[[], object], *, seconds: float, what: str, logs=()) -> object:
    """Poll `condition` until it returns something truthy, at most `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    tails = "\n".join(f"--- {w.name}\n{w.log_text()[-3000:]}" for w in logs)
    pytest.fail(f"Not within {seconds} s: {what}\n{tails}")


@contextlib.contextmanager
def broker_unreachable():
    """Make this process publish to a port where no broker listens, as when Redis is
    down at commit; the worker keeps its own connection to the real one."""
    from npp.celery import app

    def fresh_producers() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    fresh_producers()
    app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    try:
        yield
    finally:
        app.conf.broker_write_url = None
        fresh_producers()


def unique_queue() -> str:
    return f"npp-test-notifications-{uuid.uuid4().hex[:12]}"
