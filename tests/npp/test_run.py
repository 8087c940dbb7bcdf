"""`make run` on another address: scripts/run.py serves on the port it is given, says so,
points the site's links there, and a Ctrl-C leaves no process behind."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
START_SECONDS = 300  # migrate and seed_demo (which renders every paper) on a loaded machine
STOP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes_with(marker: str) -> list[int]:
    """Processes (other than zombies) whose environment holds `marker`: everything
    scripts/run.py started inherits the test's own NPP_VAR_DIR."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if marker.encode() in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


class Running:
    """scripts/run.py in a subprocess, its output read line by line on a thread."""

    def __init__(self, argv: list[str], env: dict[str, str]):
        self.process = subprocess.Popen(
            [sys.executable, str(BASE_DIR / "scripts" / "run.py"), *argv],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str, seconds: float) -> str:
        """The first line holding `text`; fails with the output so far if none comes."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.output.append(line)
            if text in line:
                return line
        pytest.fail(f"no line with {text!r} from scripts/run.py:\n{''.join(self.output)}")

    def rest(self) -> str:
        while (line := self.lines.get(timeout=STOP_SECONDS)) is not None:
            self.output.append(line)
        return "".join(self.output)


@pytest.fixture
def run_env(tmp_path) -> dict[str, str]:
    """The embedded defaults in a folder of this test's own: never the developer's var/,
    nor CI's PostgreSQL database or Redis broker."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(tmp_path),
        "NPP_VAR_DIR": str(tmp_path / "var"),
    }


@pytest.fixture
def started(run_env):
    """start(*argv, **env) -> a running scripts/run.py; stopped (and checked to have left
    nothing behind) at the end even when the test fails."""
    runs: list[Running] = []

    def start(*argv: str, **env: str) -> Running:
        runs.append(Running(list(argv), {**run_env, **env}))
        return runs[-1]

    yield start
    for run in runs:
        if run.process.poll() is None:
            run.process.send_signal(signal.SIGINT)
            try:
                run.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                run.process.kill()
    marker = f"NPP_VAR_DIR={run_env['NPP_VAR_DIR']}"
    leftovers = processes_with(marker)
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    assert not leftovers, f"processes left running: {leftovers}"


def get(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, json.loads(response.read())


@pytest.mark.slow
def test_make_run_serves_on_the_port_it_is_given_and_ctrl_c_stops_everything(started, run_env):
    port = free_port()
    run = started("--host", "127.0.0.1", "--port", str(port))

    banner = run.wait_for("NPP is running at", START_SECONDS)
    site = run.wait_for("Links in emails and documents", 5)
    status, health = get(f"http://127.0.0.1:{port}/healthz")
    marker = f"NPP_VAR_DIR={run_env['NPP_VAR_DIR']}"
    running = processes_with(marker)
    run.process.send_signal(signal.SIGINT)
    code = run.process.wait(timeout=STOP_SECONDS)
    output = run.rest()

    assert f"http://127.0.0.1:{port}/" in banner
    assert f"http://127.0.0.1:{port}." in site
    assert status == 200
    assert health["database"] == "ok" and health["broker"] == "ok"
    assert code == 0
    assert output.rstrip().endswith("[run] Stopped.")
    # The script, runserver's reloader and its server, the worker and beat were found...
    assert len(running) >= 5, running
    assert not processes_with(marker)  # ...and none of them is left.
    with socket.socket() as probe:
        # Nobody listens there any more (SO_REUSEADDR: the closed connection's TIME_WAIT
        # does not count, a listening socket would).
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


@pytest.mark.slow
def test_an_explicit_site_url_is_kept_and_a_wildcard_address_is_reached_on_loopback(started):
    port = free_port()
    run = started("--host", "0.0.0.0", "--port", str(port), NPP_SITE_URL="https://npp.example")

    banner = run.wait_for("NPP is running at", START_SECONDS)
    site = run.wait_for("Links in emails and documents", 5)
    status, _ = get(f"http://127.0.0.1:{port}/healthz")

    assert f"http://127.0.0.1:{port}/" in banner
    assert "https://npp.example." in site
    assert status == 200


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_port_that_is_not_one_stops_before_anything_starts(port, run_env):
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "scripts" / "run.py"), "--port", port],
        cwd=BASE_DIR,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 2
    assert "a port is a number from 1 to 65535" in result.stderr
    assert not (Path(run_env["NPP_VAR_DIR"]) / "npp.sqlite3").exists()
