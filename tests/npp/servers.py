"""Real web servers for the tests that need several processes: gunicorn, one worker
each, on a socket the test binds itself (port 0, passed to gunicorn as fd://), and a
small browser (cookies shared by every server, like a load balancer in front of them)
that can send each request to the server the test chooses."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def project_env(var_dir: Path, **env: str) -> dict[str, str]:
    """A clean environment: PATH, the var folder, and what the test passes. Nothing
    leaks in from the developer's shell or from CI."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "npp.settings",
        "NPP_VAR_DIR": str(var_dir),
        "CELERY_BROKER_URL": "memory://",
        **env,
    }


def manage(env: dict[str, str], *argv: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class Silent:
    """A TCP server that accepts every connection and never says a word: a database or
    a broker that has hung (frozen, out of resources, behind a dead proxy)."""

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept
        self.listener.close()
        self.thread.join(timeout=5)
        for connection in self.held:
            connection.close()


def free_port() -> int:
    """A port where nothing listens (bound and released at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_server(env: dict[str, str], log: Path, *, timeout: int = 30) -> Server:
    """gunicorn with one worker on a socket bound here: it accepts connections as soon
    as it exists (they wait in the backlog until the worker is up), so nobody has to
    poll for the server to be ready."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "npp.wsgi:application",
                "--bind",
                f"fd://{listener.fileno()}",
                "--workers",
                "1",
                "--timeout",
                str(timeout),
                "--access-logfile",
                "-",
            ],
            cwd=BASE_DIR,
            env=env,
            pass_fds=[listener.fileno()],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    listener.close()
    return Server(process, f"http://127.0.0.1:{port}", log)


@dataclass
class Response:
    status: int
    body: str
    location: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's cookies; each request goes to the server given."""

    def __init__(self, timeout: float = 30) -> None:
        self.timeout = timeout
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirects()
        )

    def request(
        self,
        server: Server,
        path: str,
        data: dict | None = None,
        *,
        method: str | None = None,
        **headers: str,
    ) -> Response:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(
            server.url + path, data=body, headers=headers, method=method
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as r:
                return Response(r.status, r.read().decode(), r.headers.get("Location", ""))
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode(), error.headers.get("Location", ""))

    def submit(self, server: Server, path: str, data: dict) -> Response:
        """Load the form at `path` from `server` and post it there with `data`."""
        page = self.request(server, path)
        token = CSRF_TOKEN.search(page.body)
        assert token, f"no form at {path} ({page.status}):\n{server.log_text()[-2000:]}"
        return self.request(server, path, {"csrfmiddlewaretoken": token.group(1), **data})
