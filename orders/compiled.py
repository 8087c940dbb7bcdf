"""The statements of a transition, compiled by the ORM once per database connection.

A transition sends three statements (lock the case, update what changed, append the
event) whose text never changes but for their values. Building and compiling them
through querysets (quoting every column, resolving filters and expressions, finding
converters) cost most of a transition's Python: 1.9 ms of CPU a move against 0.3 ms
for the same SQL sent by hand, which is what capped transitions on two shared cores.
Here the ORM compiles each shape once; every call after computes its parameters with
the fields' own methods (`pre_save`, `get_db_prep_save`) and turns rows into models as
the ORM's iterator does (the backend's converters, `from_db`). A model with pre_save
or post_save receivers, or a value that is an expression, takes the ORM's own path.

The statements are kept on the connection object (npp.compiled.per_connection).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, signals
from django.db.models.functions import Now
from django.db.models.sql import InsertQuery, UpdateQuery
from django.db.transaction import TransactionManagementError

from npp.compiled import CompiledSelect, per_connection
from orders.models import CaseEvent, ImportCase


class _Statements:
    """One connection's compiled statements."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self.updates: dict[tuple, str] = {}
        self.event = _Insert(connection, CaseEvent)


def _statements(model: type[Model]) -> _Statements:
    connection = connections[router.db_for_write(model)]
    return per_connection(connection, "orders.statements", lambda: _Statements(connection))


def _has_save_receivers(model: type[Model]) -> bool:
    return signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)


# --- Lock ------------------------------------------------------------------------------


def lock_case(pk: int) -> ImportCase:
    """The case row alone, locked (inside the caller's transaction), with the database's
    clock as `db_now`: what `ImportCase.objects.select_for_update().annotate(db_now=
    Now()).get(pk=pk)` returns, without building and compiling that queryset."""
    connection = connections[router.db_for_write(ImportCase)]
    if connection.features.has_select_for_update and connection.get_autocommit():
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    lock = per_connection(connection, "orders.lock_case", lambda: _lock(connection))
    return lock.get([pk])


def _lock(connection: BaseDatabaseWrapper) -> CompiledSelect:
    """SELECT <the case's columns>, <the database clock> AS db_now ... FOR UPDATE.
    Compiled on first use, inside the transaction that locks: the ORM refuses to
    compile a SELECT ... FOR UPDATE in autocommit."""
    queryset = (
        ImportCase.objects.using(connection.alias)
        .select_for_update()
        .annotate(db_now=Now())
        .filter(pk=0)
        .order_by()
    )
    return CompiledSelect(queryset, [0])


# --- Update ----------------------------------------------------------------------------


def save_case_fields(case: ImportCase, names: list[str]) -> None:
    """`case.save(update_fields=names)`: the same UPDATE (auto_now applied, NULLs
    written as NULL), the same error when no row matched."""
    if _has_save_receivers(ImportCase):
        case.save(update_fields=names)
        return
    statements = _statements(ImportCase)
    connection = statements.connection
    fields = [
        field
        for field in ImportCase._meta.local_concrete_fields
        if not field.primary_key
        and not field.generated
        and (field.name in names or field.attname in names)
    ]
    values = [field.pre_save(case, False) for field in fields]
    if any(
        hasattr(value, "resolve_expression") or hasattr(value, "prepare_database_save")
        for value in values
    ) or any(hasattr(field, "get_placeholder") for field in fields):
        case.save(update_fields=names)
        return
    prepared = [
        field.get_db_prep_save(value, connection=connection)
        for field, value in zip(fields, values, strict=True)
    ]
    params = [value for value in prepared if value is not None] + [case.pk]
    shape = (tuple(field.attname for field in fields), tuple(v is None for v in prepared))
    sql = statements.updates.get(shape)
    if sql is None:
        query = UpdateQuery(ImportCase)
        query.add_update_fields(
            [(field, None, value) for field, value in zip(fields, values, strict=True)]
        )
        query.add_filter("pk", case.pk)
        sql, compiled = query.get_compiler(connection=connection).as_sql()
        if len(compiled) != len(params):
            raise ImproperlyConfigured(f"Unexpected parameters in a case update: {compiled!r}")
        statements.updates[shape] = sql
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        matched = cursor.rowcount
    if matched < 1:
        raise DatabaseError("Save with update_fields did not affect any rows.")
    case._state.db = connection.alias


# --- Insert ----------------------------------------------------------------------------


class _Insert:
    """INSERT ... RETURNING for one row of `model`, keyed by the SQL of each value's
    placeholder (a plain value's `%s`, an expression's own SQL)."""

    def __init__(self, connection: BaseDatabaseWrapper, model: type[Model]) -> None:
        meta = model._meta
        self.model = model
        self.fields = [
            field
            for field in meta.local_concrete_fields
            if not field.generated and field is not meta.auto_field
        ]
        self.placeholders = [getattr(field, "get_placeholder", None) for field in self.fields]
        self.returning = meta.db_returning_fields
        self.query = InsertQuery(model)
        self.compiler = self.query.get_compiler(connection=connection)
        self.compiler.returning_fields = self.returning
        columns = [field.get_col(meta.db_table) for field in self.returning]
        self.converters = self.compiler.get_converters(columns)
        self.sql: dict[tuple[str, ...], tuple[str, tuple]] = {}

    def insert(self, connection: BaseDatabaseWrapper, instance: Model) -> None:
        compiler = self.compiler
        pieces = [
            compiler.field_as_sql(
                field, placeholder, compiler.prepare_value(field, field.pre_save(instance, True))
            )
            for field, placeholder in zip(self.fields, self.placeholders, strict=True)
        ]
        shape = tuple(sql for sql, _ in pieces)
        statement = self.sql.get(shape)
        if statement is None:
            self.query.insert_values(self.fields, [instance])
            try:
                [(sql, _params)] = compiler.as_sql()
            finally:
                self.query.objs = []
            statement = self.sql[shape] = (sql, tuple(compiler.returning_params))
        sql, returning_params = statement
        params = [param for _, values in pieces for param in values]
        if returning_params:
            params.extend(returning_params)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = connection.ops.fetch_returned_insert_columns(cursor, returning_params)
        if self.converters:
            row = next(compiler.apply_converters([row], self.converters))
        for value, field in zip(row, self.returning, strict=True):
            setattr(instance, field.attname, value)
        instance._state.db = connection.alias
        instance._state.adding = False


def insert_event(event: CaseEvent) -> None:
    """`event.save()` for a new event: the same INSERT (the database's clock as its
    moment) returning its id and moment."""
    statements = _statements(CaseEvent)
    connection = statements.connection
    if _has_save_receivers(CaseEvent) or not connection.features.can_return_columns_from_insert:
        event.save(force_insert=True, using=connection.alias)
        return
    event.stamp_for_insert()
    statements.event.insert(connection, event)
