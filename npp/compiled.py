"""SELECTs compiled by the ORM once per database connection, for the hot paths.

Building and compiling a queryset (quoting every column, resolving filters, joins and
expressions, finding converters) costs about a millisecond of Python, which was the
larger part of a transition and of a notification task. Where a statement's text never
changes but for its parameters, the ORM compiles it once with stand-in parameters;
every call after sends that text with the real ones and turns the rows into objects
as the ORM's own iterator does (the backend's converters, `from_db`, the related
populators, the annotations).

Compiled statements are kept on the connection object (each thread has its own, and
the converters are bound to it) and go with it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

T = TypeVar("T")


class CompiledSelect:
    """A queryset's SELECT, compiled with `stand_ins` as its parameters: they must be
    the statement's only parameters, in order, so that the real ones can take their
    places (checked here, once)."""

    def __init__(self, queryset: QuerySet, stand_ins: Sequence[Any]) -> None:
        compiler = queryset.query.get_compiler(using=queryset.db)
        self.sql, params = compiler.as_sql()
        if list(params) != list(stand_ins):
            raise ImproperlyConfigured(f"Unexpected parameters in {self.sql!r}: {params!r}")
        self.connection = compiler.connection
        self.compiler = compiler
        self.model: type[Model] = queryset.model
        self.converters = compiler.get_converters([column for column, _, _ in compiler.select])
        klass_info = compiler.klass_info
        if klass_info:  # a queryset of objects, not of values
            positions = klass_info["select_fields"]
            self.columns = slice(positions[0], positions[-1] + 1)
            self.attnames = [compiler.select[i][0].target.attname for i in positions]
            self.populators = get_related_populators(
                klass_info, compiler.select, self.connection.alias
            )
            self.annotations = dict(compiler.annotation_col_map)

    def rows(self, params: Sequence[Any]) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return rows

    def get(self, params: Sequence[Any]) -> Model:
        """The one object the statement finds, with its related objects and
        annotations, as `QuerySet.get` returns it (for a lookup by a unique key)."""
        rows = self.rows(params)
        if not rows:
            raise self.model.DoesNotExist(
                f"{self.model._meta.object_name} matching query does not exist."
            )
        row = rows[0]
        instance = self.model.from_db(self.connection.alias, self.attnames, row[self.columns])
        for populator in self.populators:
            populator.populate(row, instance)
        for name, position in self.annotations.items():
            setattr(instance, name, row[position])
        return instance


# Kept on the connection object itself (a thread's own), so they go with it: a
# WeakKeyDictionary would hold them for ever, since each statement refers to its
# connection.
_ATTRIBUTE = "_npp_compiled"


def per_connection(connection: BaseDatabaseWrapper, key: Hashable, build: Callable[[], T]) -> T:
    """This connection's compiled statement(s) `key`, built on their first use (inside
    whatever transaction that use runs in: a SELECT ... FOR UPDATE compiles only in one)."""
    statements = connection.__dict__.setdefault(_ATTRIBUTE, {})
    if key not in statements:
        statements[key] = build()
    return statements[key]


def forget_compiled() -> None:
    """Drop this thread's connections' compiled statements (tests: a first statement)."""
    for connection in connections.all(initialized_only=True):
        connection.__dict__.pop(_ATTRIBUTE, None)
