"""manage.py backup and restore: the database and the private storage, restored into
a new database and a new folder under another SECRET_KEY, where every document still
has its sha256 and every signature (new keys and legacy) still verifies."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from documents.backup import MANIFEST
from documents.models import Document, Signature
from orders.states import CaseStatus
from tests.conftest import need
from tests.documents.test_signing_keys import legacy_seal

KEY_2026 = "k2026-" + "b" * 40
OTHER_SECRET_KEY = "a-different-secret-key-on-the-restored-machine-" + "q" * 20


@pytest.fixture
def signed_case(case_in, settings):
    """A case past the physician's signature, with a legacy signature beside it."""
    settings.NPP_SIGNING_KEYS = {"legacy": settings.SECRET_KEY, "y2026": KEY_2026}
    settings.NPP_SIGNING_KEY_ID = "y2026"
    case = case_in(CaseStatus.AWAITING_PERMIT)
    signature = Signature.objects.get(document__case=case)
    legacy = Signature.objects.create(
        document=signature.document,
        signer=signature.signer,
        printed_name="Anil Rao",
        meaning=signature.meaning,
        signed_at=signature.signed_at,
        content_sha256=signature.content_sha256,
        key_id="legacy",
        seal="",
    )
    Signature.objects.filter(pk=legacy.pk).update(
        seal=legacy_seal(legacy, django_settings.SECRET_KEY)
    )
    assert all(s.verifies() for s in Signature.objects.all())
    return case


def restore_env(tmp_path: Path, database_url: str, private: Path) -> dict[str, str]:
    """The restored machine: another database, folder and SECRET_KEY; the same
    signing keys, with legacy=<the old SECRET_KEY>, as README's procedure says."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "npp.settings",
        "NPP_VAR_DIR": str(tmp_path / "restored-var"),
        "DATABASE_URL": database_url,
        "NPP_PRIVATE_STORAGE": str(private),
        "SECRET_KEY": OTHER_SECRET_KEY,
        "NPP_SIGNING_KEYS": f"y2026={KEY_2026},legacy={django_settings.SECRET_KEY}",
    }


def manage(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


CHECK = """
import hashlib, json, django
django.setup()
from documents.models import Document, Signature
print(json.dumps({
    "documents": {d.sha256: hashlib.sha256(d.file.open("rb").read()).hexdigest()
                  for d in Document.objects.all()},
    "signatures": {s.pk: [s.key_id, s.verifies()] for s in Signature.objects.all()},
}))
"""


def what_the_restored_machine_sees(env: dict[str, str]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_restored(seen: dict, private: Path) -> None:
    documents = {d.sha256 for d in Document.objects.all()}
    assert len(documents) >= 5
    assert set(seen["documents"]) == documents
    assert all(stored == expected for expected, stored in seen["documents"].items())
    signatures = {str(s.pk): s.key_id for s in Signature.objects.all()}
    assert sorted(signatures.values()) == ["legacy", "y2026"]
    assert seen["signatures"] == {pk: [key, True] for pk, key in signatures.items()}
    modes = {oct(p.stat().st_mode & 0o777) for p in private.rglob("*") if p.is_file()}
    assert modes == {"0o600"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_postgresql_backup_restores_into_a_new_database_and_folder_and_verifies(
    signed_case, tmp_path
):
    need(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    manifest = json.loads((backup / MANIFEST).read_text())
    assert manifest["database"] == {"vendor": "postgresql", "file": "database.pgdump"}
    assert manifest["signing_key_ids"] == ["legacy", "y2026"]
    for relative, facts in manifest["files"].items():
        assert hashlib.sha256((backup / relative).read_bytes()).hexdigest() == facts["sha256"]
    assert sum(name.startswith("private/") for name in manifest["files"]) == (
        Document.objects.count()
    )

    db = connection.settings_dict
    name = f"{db['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    server = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        private = tmp_path / "restored-private"
        env = restore_env(tmp_path, f"{server}/{name}", private)
        result = manage(["restore", str(backup)], env)

        assert result.returncode == 0, result.stderr
        count = Document.objects.count()
        assert f"Verified {count} documents (sha256) and 2 signatures" in result.stdout
        assert_restored(what_the_restored_machine_sees(env), private)
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_a_sqlite_backup_restores_into_a_new_file_and_folder_and_verifies(signed_case, tmp_path):
    need_sqlite()
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    private = tmp_path / "restored-private"
    env = restore_env(tmp_path, f"sqlite:///{tmp_path / 'restored.sqlite3'}", private)

    result = manage(["restore", str(backup)], env)

    assert result.returncode == 0, result.stderr
    assert "2 signatures" in result.stdout
    assert_restored(what_the_restored_machine_sees(env), private)


def need_sqlite() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the embedded default's own backup (this run is on PostgreSQL)")


@pytest.mark.django_db(transaction=True)
def test_a_restore_refuses_a_backup_whose_file_changed_and_touches_nothing(signed_case, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    stored = next((backup / "private").rglob("*.pdf"))
    stored.write_bytes(stored.read_bytes() + b"%tampered")
    private = tmp_path / "restored-private"
    target = tmp_path / "restored.sqlite3"
    env = restore_env(tmp_path, f"sqlite:///{target}", private)

    result = manage(["restore", str(backup)], env)

    assert result.returncode != 0
    assert "does not match its sha256 in the manifest" in result.stderr
    assert not private.exists()
    assert not target.exists() or target.stat().st_size == 0


@pytest.mark.django_db(transaction=True)
def test_a_restore_refuses_a_database_that_is_not_empty(signed_case, tmp_path):
    need_sqlite()
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    target = tmp_path / "restored.sqlite3"
    env = restore_env(tmp_path, f"sqlite:///{target}", tmp_path / "restored-private")
    assert manage(["migrate", "--noinput"], env).returncode == 0

    result = manage(["restore", str(backup)], env)

    assert result.returncode != 0
    assert "is not empty" in result.stderr
    assert "restore into a new, empty database" in result.stderr


def test_a_backup_refuses_a_folder_that_is_not_empty(db, tmp_path):
    (tmp_path / "old.txt").write_text("something")

    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path))
