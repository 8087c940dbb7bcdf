"""The rows the migrations load (reference data: the India pathway, Lupkynis, its
manufacturer, the importing service), kept once per test database and put back on
request.

A transactional test ends with a flush, which empties every table: the content types
and permissions come back (post_migrate), the migrations' rows do not. A test that
counted on those rows would pass or fail by the tests that ran before it. So every test
starts from what a flush leaves (the session flushes once, right after migrating), and
a test that needs the migrations' rows asks for them (the `catalogue` fixture), the
very rows the migrations wrote, whatever ran before.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

# What a flush's post_migrate signal creates again by itself.
RECREATED_AFTER_FLUSH = {"contenttypes.ContentType", "auth.Permission"}

_rows: list[dict[str, Any]] = []


def _models():
    for model in apps.get_models():
        meta = model._meta
        if meta.managed and not meta.proxy and meta.label not in RECREATED_AFTER_FLUSH:
            yield model


def capture_and_flush() -> None:
    """Keep every row the migrations wrote, then empty the database as a flush does."""
    _rows.clear()
    for model in _models():
        _rows.extend(serializers.serialize("python", model._base_manager.order_by("pk")))
    call_command("flush", interactive=False, verbosity=0)


def restore() -> None:
    """Put the migrations' rows back, with their primary keys; again changes nothing."""
    with transaction.atomic():  # foreign keys are checked at the end, in any order
        restored = set()
        for row in serializers.deserialize("python", _rows):
            row.save()
            restored.add(type(row.object))
        # Rows inserted with their own keys: the sequences must start after them.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(restored)):
                cursor.execute(sql)


def captured_labels() -> set[str]:
    return {row["model"] for row in _rows}
