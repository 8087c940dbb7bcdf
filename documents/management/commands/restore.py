"""manage.py restore <folder>: a backup into a new database and private storage."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from documents.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database "
        "(DATABASE_URL, which must be empty) and private storage (NPP_PRIVATE_STORAGE, "
        "empty), after checking every file against the manifest; then verify every "
        "document's sha256 and every signature with NPP_SIGNING_KEYS."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", type=Path, help="the folder `manage.py backup` wrote")

    def handle(self, *args, source: Path, **options) -> None:
        try:
            result = backup_restore(source=source)
        except BackupError as error:
            raise CommandError(str(error)) from None
        for problem in result.problems:
            self.stderr.write(problem)
        summary = (
            f"Verified {result.documents} documents (sha256) and {result.signatures} "
            f"signatures (keys: {', '.join(sorted(result.keys)) or 'none'})."
        )
        if not result.ok:
            raise CommandError(f"{summary} {len(result.problems)} problems: see above.")
        self.stdout.write(f"Restored {source}. {summary}")
