"""The wheel is the project: built from the checkout and installed into a fresh virtual
environment outside it, it passes Django's checks, migrates a new SQLite database and
finds every app's templates and static files inside the installed package.

Slow by nature (a build and an install, from pip's cache): about half a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
# What a build must not see: a setuptools build reuses build/lib, so a file deleted from
# the checkout would still ship from a stale build/ there.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "*.egg-info", "test-artifacts", "tests",
    "__pycache__", ".pytest_cache", ".ruff_cache",
)  # fmt: skip

# Run in the installed environment by `django-admin shell`: where things were found.
PROBE = """
import json
import django
from django.apps import apps
from django.template.loader import get_template
from django.test import Client
from orders.models import Pathway, Product

templates = ["base.html", "account/login.html", "documents/base.html",
             "notifications/base-email.html"]
response = Client().get("/accounts/login/", HTTP_HOST="localhost")
print(json.dumps({
    "django": django.__file__,
    "apps": {app.name: app.path for app in apps.get_app_configs()},
    "templates": {name: get_template(name).origin.name for name in templates},
    "login_status": response.status_code,
    "login_page": response.content.decode(),
    "catalogue": [Pathway.objects.filter(is_default=True).count(),
                  Product.objects.filter(brand_name="Lupkynis").count()],
}))
"""


def run(argv: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """The wheel built from a copy of the checkout and installed, with its pinned
    dependencies, into a new virtual environment; its paths and a clean environment
    for running it from a folder outside the checkout."""
    root = tmp_path_factory.mktemp("wheel")
    source, dist, venv, elsewhere = (root / n for n in ("source", "dist", "venv", "elsewhere"))
    shutil.copytree(BASE_DIR, source, ignore=NOT_SOURCE)
    elsewhere.mkdir()
    pip_env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    pip_env.pop("PYTHONPATH", None)
    pip = [sys.executable, "-m", "pip"]
    run([*pip, "wheel", str(source), "--no-deps", "-w", str(dist), "-q"], cwd=root, env=pip_env)
    (wheel,) = dist.glob("npp-*.whl")
    # No pip inside the new environment: this checkout's pip installs into it (--python),
    # from pip's cache; the wheel's dependencies come from its own metadata.
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root, env=pip_env)
    python = venv / "bin" / "python"
    run([*pip, "--python", str(python), "install", "-q", str(wheel)], cwd=root, env=pip_env)
    env = {
        "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "LANG": "C.UTF-8",
        "HOME": str(root),
        "VIRTUAL_ENV": str(venv),
        "DJANGO_SETTINGS_MODULE": "npp.settings",
        "NPP_VAR_DIR": str(root / "var"),
    }
    site_packages = Path(
        run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            cwd=elsewhere, env=env).strip()
    )  # fmt: skip
    return {"wheel": wheel, "venv": venv, "site": site_packages, "cwd": elsewhere, "env": env}


def django_admin(installed: dict, *args: str) -> str:
    return run(
        [str(installed["venv"] / "bin" / "django-admin"), *args],
        cwd=installed["cwd"],
        env=installed["env"],
    )


@pytest.fixture(scope="module")
def migrated(installed) -> dict:
    django_admin(installed, "migrate", "--noinput")
    probe = json.loads(django_admin(installed, "shell", "-c", PROBE).splitlines()[-1])
    return {**installed, "probe": probe}


@pytest.mark.slow
def test_the_installed_wheel_passes_the_system_checks(installed):
    assert "System check identified no issues" in django_admin(installed, "check")


@pytest.mark.slow
def test_every_app_of_the_project_runs_from_the_installed_package(migrated):
    site = migrated["site"]
    ours = {
        name: Path(path)
        for name, path in migrated["probe"]["apps"].items()
        if not name.startswith(("django.", "allauth", "csp", "whitenoise"))
    }

    assert {"npp.accounts", "orders", "documents", "notifications", "portals"} <= set(ours)
    for name, path in ours.items():
        assert path.is_relative_to(site), f"{name} was imported from {path}, not the wheel"
    assert Path(migrated["probe"]["django"]).is_relative_to(site)


@pytest.mark.slow
def test_migrate_builds_a_new_database_with_the_reference_catalogue(migrated):
    assert migrated["probe"]["catalogue"] == [1, 1]
    assert (Path(migrated["env"]["NPP_VAR_DIR"]) / "npp.sqlite3").is_file()


@pytest.mark.slow
def test_templates_of_every_app_are_found_in_the_installed_package(migrated):
    for name, origin in migrated["probe"]["templates"].items():
        assert Path(origin).is_relative_to(migrated["site"]), f"{name} came from {origin}"
    assert migrated["probe"]["login_status"] == 200
    assert 'name="password"' in migrated["probe"]["login_page"]


@pytest.mark.slow
@pytest.mark.parametrize("path", ["css/npp.css", "js/npp.js", "documents/print.css"])
def test_static_files_are_found_in_the_installed_package(installed, path):
    found = Path(django_admin(installed, "findstatic", path, "--first", "-v", "0").strip())

    assert found.is_relative_to(installed["site"])
    assert found.is_file()


@pytest.mark.slow
def test_collectstatic_gathers_the_packaged_files(installed):
    django_admin(installed, "collectstatic", "--noinput")
    collected = Path(installed["env"]["NPP_VAR_DIR"]) / "static"

    assert (collected / "css" / "npp.css").is_file()
    assert (collected / "documents" / "print.css").is_file()
    assert (collected / "admin" / "css" / "base.css").is_file()
