"""SELECTs (and a bulk INSERT) compiled by the ORM once per database connection, for
the hot paths.

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

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.expressions import DatabaseDefault
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery

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


class CompiledInsert:
    """bulk_create's INSERT ... RETURNING for `count` new rows of `model` (database
    generated primary key), compiled by the ORM once: each call prepares the values as
    the ORM's insert compiler does (`pre_save`, `get_db_prep_save`) and sets the
    returned columns on the objects as `bulk_create` does. Compiling that INSERT (a
    placeholder per field and row, quoted columns, RETURNING) cost a notification
    task about half a millisecond of Python.

    `expressions`: fields written by one SQL expression in every row instead of the
    object's value; `prefix`: SQL put before the INSERT (a WITH clause), with its own
    parameters given at each call. A field with a database default (`db_default`) is
    written DEFAULT, as bulk_create does when the object has no value of its own.
    `insert` returns False, doing nothing, for objects this shape cannot write (a value
    that is an expression, a default field given a value, a primary key set): the
    caller then takes the ORM's own path."""

    def __init__(
        self,
        connection: BaseDatabaseWrapper,
        model: type[Model],
        count: int,
        *,
        expressions: Mapping[str, Any] | None = None,
        prefix: str = "",
        prefix_stand_ins: Sequence[Any] = (),
    ) -> None:
        if not connection.features.can_return_rows_from_bulk_insert:
            raise ImproperlyConfigured("CompiledInsert needs INSERT ... RETURNING of many rows.")
        meta = model._meta
        expressions = dict(expressions or {})
        self.connection = connection
        self.model = model
        self.count = count
        fields = [f for f in meta.concrete_fields if not f.generated and f is not meta.auto_field]
        self.defaults = [f.attname for f in fields if f.has_db_default()]
        self.valued = [
            f for f in fields if f.attname not in expressions and f.attname not in self.defaults
        ]
        stand_ins = [model() for _ in range(count)]
        for obj in stand_ins:
            for attname, expression in expressions.items():
                setattr(obj, attname, expression)
        query = InsertQuery(model)
        query.insert_values(fields, stand_ins)
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = meta.db_returning_fields
        [(sql, params)] = compiler.as_sql()
        if compiler.returning_params or len(params) != count * len(self.valued):
            raise ImproperlyConfigured(f"Unexpected parameters in {sql!r}: {params!r}")
        self.sql = f"{prefix}{sql}"
        self.prefix_count = len(prefix_stand_ins)
        self.returning = meta.db_returning_fields
        self.compiler = compiler
        self.converters = compiler.get_converters(
            [field.get_col(meta.db_table) for field in self.returning]
        )

    def insert(self, objs: Sequence[Model], prefix_params: Sequence[Any] = ()) -> bool:
        if len(objs) != self.count or len(prefix_params) != self.prefix_count:
            raise ValueError(f"{self.count} objects and {self.prefix_count} prefix parameters.")
        connection = self.connection
        params: list[Any] = list(prefix_params)
        for obj in objs:
            if obj._is_pk_set() or any(
                not isinstance(getattr(obj, attname), DatabaseDefault) for attname in self.defaults
            ):
                return False
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            for field in self.valued:
                value = field.pre_save(obj, True)
                if hasattr(value, "resolve_expression"):
                    return False
                params.append(field.get_db_prep_save(value, connection=connection))
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = connection.ops.fetch_returned_insert_rows(cursor)
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        if len(rows) != len(objs):
            raise DatabaseError(f"{len(objs)} rows inserted, {len(rows)} returned.")
        for obj, row in zip(objs, rows, strict=True):
            for value, field in zip(row, self.returning, strict=True):
                setattr(obj, field.attname, value)
            obj._state.adding = False
            obj._state.db = connection.alias
        return True
