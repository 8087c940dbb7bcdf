"""`make run`: migrate, load the demo data, then run the web server, a Celery worker
and Celery beat together until Ctrl-C, and stop all three.

    scripts/run.py [--host 127.0.0.1] [--port 8000]     (make run HOST=... PORT=...)

NPP_SITE_URL (links in emails and documents) follows the address unless it is set.

Each child runs in its own session (process group), so a Ctrl-C in the terminal
reaches only this script, which then stops every group in order: the worker gets a
warm shutdown and may finish its task, runserver's autoreloader and its server
process go together. Nothing is left running behind.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
# A wildcard address listens on every interface; this machine reaches it on loopback.
LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1"}
STOP_GRACE_SECONDS = 15


def bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def url_for(host: str, port: int) -> str:
    """The address this machine opens the site at (the banner, the health check)."""
    return f"http://{bracketed(LOOPBACK.get(host, host))}:{port}/"


def processes(host: str, port: int) -> dict[str, list[str]]:
    return {
        "web": [PYTHON, "manage.py", "runserver", f"{bracketed(host)}:{port}"],
        # The solo pool: one task at a time in the worker process itself; enough for the
        # demo, and the filesystem transport has no use for more.
        "worker": [str(BIN / "celery"), "-A", "npp", "worker", "--pool=solo", "--loglevel=INFO"],
        # The schedule file goes to var/ (CELERY_BEAT_SCHEDULE_FILENAME in settings).
        "beat": [str(BIN / "celery"), "-A", "npp", "beat", "--loglevel=INFO"],
    }


def port_number(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, not {value!r}")
    return port


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Migrate, load the demo data, and run web, worker and beat until Ctrl-C."
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT, help="port to listen on")
    args = parser.parse_args(argv)
    if not args.host.strip():
        parser.error("--host is empty")
    return args


def configure(host: str, port: int) -> None:
    """What every child reads from the environment: the site's address for links, unless
    set, and the host name Django must accept when it is not one of the defaults."""
    site = url_for(host, port).rstrip("/")
    if not os.environ.get("NPP_SITE_URL"):
        os.environ["NPP_SITE_URL"] = site
    name = bracketed(LOOPBACK.get(host, host))
    if name not in {"127.0.0.1", "localhost"} and not os.environ.get("ALLOWED_HOSTS"):
        os.environ["ALLOWED_HOSTS"] = f"127.0.0.1,localhost,{name}"


def say(message: str) -> None:
    print(f"[run] {message}", flush=True)


def manage(*args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=BASE_DIR,
        text=True,
        capture_output=capture,
        stdin=subprocess.DEVNULL,
    )


def seed_demo() -> None:
    result = manage("seed_demo", capture=True)
    sys.stdout.write(result.stdout)
    if result.returncode == 0:
        return
    if "Unknown command" in result.stderr:
        say("seed_demo is not available yet: starting without demo data.")
        return
    sys.stderr.write(result.stderr)
    raise SystemExit(f"[run] seed_demo failed (exit {result.returncode}).")


def demo_logins() -> str:
    """The demo logins as README.md lists them (between the demo-logins markers)."""
    try:
        readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    except OSError:
        return ""
    match = re.search(r"<!-- demo-logins:start -->(.*?)<!-- demo-logins:end -->", readme, re.DOTALL)
    if match is None:
        return ""
    lines = []
    for line in match.group(1).strip().splitlines():
        line = line.replace("`", "").strip()
        if not line.startswith("|"):
            lines.append(line)
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] in {"role", ""} or set(cells[0]) <= {"-", ":"}:
            continue  # the table's header and separator
        lines.append("  " + "  ".join(cell.ljust(26) for cell in cells).rstrip())
    return "\n".join(lines)


def _die_with_parent() -> None:
    """Runs in the child before exec: if this script is killed outright (SIGKILL),
    the kernel sends the child SIGTERM instead of leaving it orphaned."""
    os.setsid()
    # Python ignores SIGINT in a backgrounded shell job; the children need the default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def start(name: str, argv: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        argv,
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # Safe here: the relay threads start only after every child is forked.
        preexec_fn=_die_with_parent,
    )


def relay(name: str, process: subprocess.Popen[bytes]) -> None:
    """Copy a child's output to ours, each line tagged with the child's name."""
    assert process.stdout is not None
    for line in iter(process.stdout.readline, b""):
        sys.stdout.write(f"{name:>6} | {line.decode(errors='replace')}")
        sys.stdout.flush()


def wait_until_healthy(
    children: dict[str, subprocess.Popen[bytes]], url: str, seconds: float
) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children.values()):
            return False
        try:
            with urllib.request.urlopen(url + "healthz", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop in {STOP_GRACE_SECONDS}s: killing it.")
        # Whatever is left in the group (runserver's reloaded child, worker threads'
        # helpers) goes now; the group is empty by design after this.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()


class Interrupted(Exception):
    pass


def on_signal(signum: int, frame: object) -> None:
    raise Interrupted(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = url_for(args.host, args.port)
    os.chdir(BASE_DIR)
    configure(args.host, args.port)
    say("Applying migrations.")
    if manage("migrate", "--noinput").returncode != 0:
        return 1
    say("Loading demo data (seed_demo).")
    seed_demo()

    children: dict[str, subprocess.Popen[bytes]] = {}
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    status = 0
    try:
        for name, command in processes(args.host, args.port).items():
            children[name] = start(name, command)
        for name, child in children.items():
            threading.Thread(target=relay, args=(name, child), daemon=True).start()

        if wait_until_healthy(children, url, seconds=60):
            logins = demo_logins()
            banner = [
                "",
                f"NPP is running at {url}  (admin: {url}admin/, health: {url}healthz)",
                "Web server, Celery worker and Celery beat are up. Ctrl-C stops all three.",
                f"Links in emails and documents point at {os.environ['NPP_SITE_URL']}.",
            ]
            if args.host in LOOPBACK:
                banner.append(
                    f"Listening on every interface ({args.host}): from another machine, set "
                    "NPP_SITE_URL and ALLOWED_HOSTS to the name it uses for this one."
                )
            if logins:
                banner += ["", "Demo logins:", logins]
            print("\n".join(banner) + "\n", flush=True)
        else:
            say(f"{url}healthz did not answer 200 yet; see the output above.")

        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    say(f"{name} exited with status {child.returncode}: stopping the others.")
                    status = 1
                    raise Interrupted(name)
            time.sleep(0.5)
    except Interrupted:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        say("Stopping web server, worker and beat.")
        stop(children)
        say("Stopped.")
    return status


if __name__ == "__main__":
    sys.exit(main())
