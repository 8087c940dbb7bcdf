"""SELECTs compiled by the ORM once per database connection, and a bulk INSERT built
once, for the hot paths.

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

import datetime as dt
import json
import re
import weakref
from collections.abc import Callable, Hashable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

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
        self.stand_ins = list(stand_ins)
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
        return self.converted(rows)

    def converted(self, rows: list[tuple]) -> list[tuple]:
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return rows

    def get(self, params: Sequence[Any]) -> Model:
        """The one object the statement finds, with its related objects and
        annotations, as `QuerySet.get` returns it (for a lookup by a unique key)."""
        return self.object_of(self.rows(params))

    def object_of(self, rows: list[tuple]) -> Model:
        """`get`'s object from the statement's (converted) rows."""
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


def rows_together(
    connection: BaseDatabaseWrapper,
    calls: Sequence[
        tuple[CompiledSelect, Sequence[Any]] | tuple[CompiledSelect, Sequence[Any], str]
    ],
) -> list[list[tuple]]:
    """Each (statement, parameters[, the text to send instead])'s rows, as
    `CompiledSelect.rows` reads them, the statements sent together: on PostgreSQL in one
    round trip (psycopg's pipeline mode: the second is sent before the first's rows
    come back, so it must not need them), elsewhere one after the other. A statement
    that fails fails the call, with the database's errors as Django's."""
    texts = [call[2] if len(call) > 2 else call[0].sql for call in calls]
    if connection.vendor != "postgresql":
        results = []
        for (statement, params, *_), text in zip(calls, texts, strict=True):
            with connection.cursor() as cursor:
                cursor.execute(text, params)
                results.append(statement.converted(cursor.fetchall()))
        return results
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursors = []
        try:
            with connection.connection.pipeline():
                for (_statement, params, *_), text in zip(calls, texts, strict=True):
                    cursor = connection.cursor()
                    cursors.append(cursor)
                    cursor.execute(text, params)
            results = [cursor.fetchall() for cursor in cursors]
        finally:
            for cursor in cursors:
                cursor.close()
    return [call[0].converted(rows) for call, rows in zip(calls, results, strict=True)]


# The statements prepared on each database session (a psycopg connection object: a
# new one after every reconnection, when the session's statements are gone).
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def prepared(connection: BaseDatabaseWrapper, name: str, statement: CompiledSelect) -> str:
    """PostgreSQL, outside a transaction: the text that runs `statement` (with the same
    parameters) as a statement prepared on the connection's database session, which
    is PREPAREd on its first use in the session. PostgreSQL then plans it once per
    session rather than on every execution: for a notification task's event query
    (five tables) planning was about two thirds of its time (0.88 -> 0.28 ms). Django
    switches psycopg's own preparing off (prepare_threshold None), and server-side
    binding alone prepares nothing. Not inside a transaction, where a failed PREPARE
    would abort the caller's work: there the statement's own text is returned."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return statement.sql
    connection.ensure_connection()
    names = _PREPARED.setdefault(connection.connection, set())
    count = len(statement.stand_ins)
    if name not in names:
        placeholders = tuple(f"${n}" for n in range(1, count + 1))
        with connection.cursor() as cursor:
            try:
                # The ORM's text with PostgreSQL's numbered parameters ('%%' -> '%').
                cursor.execute(f"PREPARE {name} AS {statement.sql % placeholders}")
            except DatabaseError as error:
                if getattr(error.__cause__, "sqlstate", None) != "42P05":  # already there
                    raise
        names.add(name)
    return f"EXECUTE {name}({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}"


# What PostgreSQL answers when a session's prepared statement can no longer run as
# prepared: its result columns changed since (a migration altered a column it reads:
# "cached plan must not change result type"), or the session lost it.
_STALE_PREPARED = {"0A000", "26000"}


def unprepare_if_stale(connection: BaseDatabaseWrapper, name: str, error: DatabaseError) -> bool:
    """After `error` from running the statement prepared as `name`: whether that was the
    prepared statement gone stale. If so it is dropped from the session and forgotten,
    so that the next `prepared` prepares it anew; the caller runs it again. A worker
    that lives through a migration would otherwise fail every task until reconnected."""
    if getattr(error.__cause__, "sqlstate", None) not in _STALE_PREPARED:
        return False
    _PREPARED.get(connection.connection, set()).discard(name)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DEALLOCATE {name}")
    except DatabaseError:
        pass  # already gone from the session
    return True


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


class JsonInsert:
    """PostgreSQL: bulk_create's INSERT of new rows of `model` (database generated
    primary key) as one statement whose text does not depend on the number of rows:
    the rows are one JSON parameter, an array of arrays, `INSERT ... SELECT ... FROM
    jsonb_array_elements(...)`, in the objects' order. The values are prepared by the
    fields as the ORM's insert compiler prepares them (`pre_save`, `get_db_prep_save`)
    and the returned columns set on the objects as `bulk_create` sets them.

    bulk_create's VALUES list has a placeholder per field and row: its text had to be
    compiled by the ORM for each call, and psycopg parses a statement of more than 50
    parameters anew on every execution instead of caching it (0.2 ms for four rows, 2 ms
    for twenty-four). This one is built once. Its one parameter is written by the json
    module's C encoder: an array parameter per column, as it was, was quoted value by
    value by psycopg's Python list dumper, about 0.3 ms a notification task.

    `expressions`: fields written by one SQL expression in every row instead of the
    object's value; `prefix`: SQL put before the INSERT (a WITH clause) with its own
    parameters, given at each call. A field with a database default (`db_default`) is
    left to it, as bulk_create writes DEFAULT for an object with no value of its own.
    `match`: a unique field by which returned rows are matched to the objects.
    `insert` returns False, doing nothing, for objects this statement cannot write (a
    value that is an expression or that JSON cannot carry, a default field given a
    value, a primary key set): the caller then takes the ORM's own path."""

    def __init__(
        self,
        connection: BaseDatabaseWrapper,
        model: type[Model],
        *,
        match: str,
        expressions: Mapping[str, str] | None = None,
        prefix: str = "",
        prefix_params: int = 0,
    ) -> None:
        if connection.vendor != "postgresql":
            raise ImproperlyConfigured("JsonInsert is for PostgreSQL.")
        meta = model._meta
        expressions = dict(expressions or {})
        quote = connection.ops.quote_name
        fields = [f for f in meta.concrete_fields if not f.generated and f is not meta.auto_field]
        self.defaults = [f.attname for f in fields if f.has_db_default()]
        written = [f for f in fields if f.attname not in self.defaults]
        self.valued = [f for f in written if f.attname not in expressions]
        self.match = meta.get_field(match)
        if not self.match.unique or self.match not in self.valued:
            raise ImproperlyConfigured(f"{match} is not a unique field given by the objects.")
        self.returning = [*meta.db_returning_fields, self.match]
        types = [f.db_type(connection) for f in self.valued]
        if any(kind.endswith("]") for kind in types):
            raise ImproperlyConfigured("JsonInsert does not write array columns.")
        # Each value as its text (->>), cast to its column's type without its length
        # or precision: an explicit cast to varchar(n) cuts a longer text to n
        # characters, silently, where the column's own (assignment) cast refuses it as
        # the ORM's INSERT does. JSON null is SQL NULL.
        source = {
            f.attname: f"(r.value ->> {n})::{re.sub(r'[(].*[)]', '', kind)}"
            for n, (f, kind) in enumerate(zip(self.valued, types, strict=True))
        }
        values = ", ".join(
            f"({expressions[f.attname]})" if f.attname in expressions else source[f.attname]
            for f in written
        )
        self.sql = (
            f"{prefix}INSERT INTO {quote(meta.db_table)} "
            f"({', '.join(quote(f.column) for f in written)}) "
            f"SELECT {values} FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY "
            f"AS r(value, position) ORDER BY r.position RETURNING "
            + ", ".join(f"{quote(meta.db_table)}.{quote(f.column)}" for f in self.returning)
        )
        self.prefix_params = prefix_params
        self.connection = connection
        # A field whose value None is written NULL (every one here, but asked, not
        # assumed) needs no preparing for it: most values of a notification are None.
        self.none_is_null = [
            field.get_db_prep_save(None, connection) is None for field in self.valued
        ]
        compiler = InsertQuery(model).get_compiler(connection=connection)
        self.compiler = compiler
        self.converters = compiler.get_converters(
            [field.get_col(meta.db_table) for field in self.returning]
        )

    def insert(self, objs: Sequence[Model], prefix_params: Sequence[Any] = ()) -> bool:
        if len(prefix_params) != self.prefix_params:
            raise ValueError(f"{self.prefix_params} prefix parameters expected.")
        connection = self.connection
        rows: list[list[Any]] = []
        for obj in objs:
            if obj._is_pk_set() or any(
                not isinstance(getattr(obj, attname), DatabaseDefault) for attname in self.defaults
            ):
                return False
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            row = []
            for field, none_is_null in zip(self.valued, self.none_is_null, strict=True):
                value = field.pre_save(obj, True)
                if value is None and none_is_null:
                    row.append(None)
                    continue
                if hasattr(value, "resolve_expression"):
                    return False
                row.append(field.get_db_prep_save(value, connection=connection))
            rows.append(row)
        try:
            document = json.dumps(rows, default=_json_text, allow_nan=False)
        except (TypeError, ValueError):  # a value JSON cannot carry as its column's text
            return False
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [*prefix_params, document])
            returned = cursor.fetchall()
        if self.converters:
            returned = list(self.compiler.apply_converters(returned, self.converters))
        by_match = {row[-1]: row for row in returned}
        if len(by_match) != len(objs):
            raise DatabaseError(f"{len(objs)} rows inserted, {len(returned)} returned.")
        for obj in objs:
            row = by_match[self.match.value_from_object(obj)]
            for value, field in zip(row[:-1], self.returning[:-1], strict=True):
                setattr(obj, field.attname, value)
            obj._state.adding = False
            obj._state.db = connection.alias
        return True


def _json_text(value: Any) -> str:
    """A prepared value JSON has no type for, as the text PostgreSQL reads it from:
    times and dates in ISO 8601 (with their offset), decimals and UUIDs as written.
    Anything else (bytes, an adapter object) is refused: the caller takes the ORM's
    path."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not written through JSON")
