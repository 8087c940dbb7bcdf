"""Helpers for tests that start the project in a fresh process (settings are read once
per process, so a different environment needs a different process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

# A 64-character key of the kind `check --deploy` accepts (long, many unique characters).
PRODUCTION_SECRET_KEY = "k7#Qv9!mZ2@xR4$tL8%wN1^pB6&yD3*hF5(jS0)gC-uE_oA+iT=rY[eW]qU{zX}"


@pytest.fixture
def run_project(tmp_path):
    """run_project(argv, **env) runs a Python command in the project directory with a
    clean environment: only PATH and what the test passes, so nothing leaks in from the
    developer's shell or from CI (DATABASE_URL, CELERY_BROKER_URL...)."""

    def run(argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
        clean = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "NPP_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_SETTINGS_MODULE": "npp.settings",
            **env,
        }
        return subprocess.run(
            [sys.executable, *argv],
            cwd=BASE_DIR,
            env=clean,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
