"""Backup and restore of what the service cannot rebuild: the database and the
private storage (uploaded and generated documents), with a manifest holding the
sha256 of every file backed up, and a check after restoring that every document
still has its bytes and every signature still verifies.

The signing keys (NPP_SIGNING_KEYS) are deliberately not in a backup: they are
secrets, kept apart, and a restore needs them to verify the signatures. The
manifest names the key ids the signatures use.

PostgreSQL is dumped with pg_dump (one consistent snapshot) in its custom format and
restored with pg_restore; the embedded SQLite database is copied with SQLite's own
backup API. The database is dumped before the files are copied: a document's file
is written before its row commits, so every document in the dump has its file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from documents.models import Document, Signature

FORMAT = 1
MANIFEST = "manifest.json"
PRIVATE = "private"
DUMPS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """The backup or restore cannot go on; nothing was changed."""


# --- Backup ---------------------------------------------------------------------------


def private_root() -> Path:
    """Where the documents' files are (NPP_PRIVATE_STORAGE)."""
    return Path(Document._meta.get_field("file").storage.location)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _database_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432)}
    env["PGUSER"] = db["USER"] or ""
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(command: list[str]) -> None:
    result = subprocess.run(
        command, env=_database_env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _dump_database(target: Path) -> None:
    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "-f", str(target), name]
        )
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
    else:
        raise BackupError(f"No backup for a {connection.vendor} database.")


def backup_create(*, destination: Path) -> dict:
    """Write a backup into `destination` (new or empty) and return its manifest."""
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty: back up into a new folder.")
    destination.mkdir(parents=True, exist_ok=True, mode=0o700)
    dump_name = DUMPS.get(connection.vendor)
    if dump_name is None:
        raise BackupError(f"No backup for a {connection.vendor} database.")
    counts = {"documents": Document.objects.count(), "signatures": Signature.objects.count()}
    key_ids = sorted(set(Signature.objects.values_list("key_id", flat=True)))
    _dump_database(destination / dump_name)
    source = private_root()
    if source.exists():
        shutil.copytree(source, destination / PRIVATE, dirs_exist_ok=True)
    else:
        (destination / PRIVATE).mkdir(mode=0o700)
    files = {}
    for path in sorted(p for p in destination.rglob("*") if p.is_file()):
        relative = path.relative_to(destination).as_posix()
        files[relative] = {"sha256": _sha256(path), "size": path.stat().st_size}
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": {"vendor": connection.vendor, "file": dump_name},
        "private": PRIVATE,
        "counts": counts,
        "signing_key_ids": key_ids,
        "files": files,
    }
    (destination / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


# --- Restore --------------------------------------------------------------------------


def manifest_read(source: Path) -> dict:
    """The manifest, once every file it lists is there with its sha256."""
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"No readable {MANIFEST} in {source}: {error}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    for relative, expected in manifest["files"].items():
        path = source / relative
        if not path.is_file():
            raise BackupError(f"{relative} is missing from the backup.")
        if _sha256(path) != expected["sha256"]:
            raise BackupError(f"{relative} does not match its sha256 in the manifest.")
    return manifest


def _refuse_unless_empty(root: Path) -> None:
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} is not empty ({len(tables)} "
            "tables): restore into a new, empty database."
        )
    if root.exists() and any(root.iterdir()):
        raise BackupError(f"{root} is not empty: restore into a new, empty folder.")


def _restore_database(dump: Path, vendor: str) -> None:
    if vendor != connection.vendor:
        raise BackupError(f"The backup holds a {vendor} database, not {connection.vendor}.")
    if vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        connection.close()
        _run(
            [
                "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                "--single-transaction", "-d", name, str(dump),
            ]
        )  # fmt: skip
    else:
        connection.ensure_connection()
        with sqlite3.connect(dump) as copy:
            copy.backup(connection.connection)
        copy.close()


def _copy_private(source: Path, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in sorted(source.rglob("*")):
        target = root / path.relative_to(source)
        if path.is_dir():
            target.mkdir(exist_ok=True, mode=0o700)
        else:
            shutil.copyfile(path, target)
            target.chmod(0o600)


def backup_restore(*, source: Path) -> Verification:
    """Restore the backup in `source` into the configured database (empty) and private
    storage (empty), then verify every document and signature there."""
    manifest = manifest_read(source)
    root = private_root()
    _refuse_unless_empty(root)
    database = manifest["database"]
    _restore_database(source / database["file"], database["vendor"])
    _copy_private(source / manifest["private"], root)
    return store_verify()


# --- Verification -----------------------------------------------------------------------


@dataclass
class Verification:
    documents: int = 0
    signatures: int = 0
    problems: list[str] = field(default_factory=list)
    keys: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.problems


def store_verify() -> Verification:
    """Every document's file has the sha256 it was stored with, and every signature
    verifies with the signing keys configured here."""
    result = Verification()
    for document in Document.objects.order_by("pk").iterator():
        try:
            with document.file.open("rb") as stored:
                actual = hashlib.sha256(stored.read()).hexdigest()
        except OSError:
            result.problems.append(
                f"Document {document.pk}: its file {document.file.name} is missing."
            )
            continue
        if actual != document.sha256:
            result.problems.append(f"Document {document.pk}: the file does not match its sha256.")
            continue
        result.documents += 1
    for signature in Signature.objects.order_by("pk").iterator():
        result.keys[signature.key_id] += 1
        if signature.key_id not in settings.NPP_SIGNING_KEYS:
            result.problems.append(
                f"Signature {signature.pk}: sealed with key {signature.key_id!r}, which is not "
                "in NPP_SIGNING_KEYS."
            )
        elif not signature.verifies():
            result.problems.append(f"Signature {signature.pk} does not verify.")
        else:
            result.signatures += 1
    return result
