"""manage.py backup <folder>: the database and the private storage, with a manifest."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from documents.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, or the SQLite file) and the private storage into "
        "a new folder, with manifest.json holding each file's sha256. The signing keys "
        "(NPP_SIGNING_KEYS) are not included: keep them apart."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("destination", type=Path, help="a new or empty folder")

    def handle(self, *args, destination: Path, **options) -> None:
        try:
            manifest = backup_create(destination=destination)
        except BackupError as error:
            raise CommandError(str(error)) from None
        counts = manifest["counts"]
        self.stdout.write(
            f"Backed up {counts['documents']} documents and {counts['signatures']} signatures "
            f"({len(manifest['files'])} files) into {destination}. Signatures need the "
            f"signing keys {', '.join(manifest['signing_key_ids']) or '(none)'}."
        )
