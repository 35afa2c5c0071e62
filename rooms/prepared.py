"""Querysets compiled to SQL once, then run again with other values: the reads every connecting socket makes.

Django compiles a queryset to SQL each time it is evaluated, and for a query
that reads a handful of rows by index that compiling costs far more than the
query: the `inbox` read a socket gets on connecting was four queries and about
4 ms of the database thread, 1.3 ms a query in Django's compiler and 0.04 ms
in SQLite (docs/performance.md, issue 20). Django has no prepared querysets,
so this is a small one of our own: the queryset is built once, with a
placeholder for each argument, compiled by Django's own compiler, and each
call runs that SQL with the arguments put where the placeholders' parameters
were. The rows come back through the same compiler's converters, as
`values_list` would return them.

A queryset of model instances (not `values_list`) comes back as instances,
built from the rows as Django's ModelIterable builds them (`from_db`, the
`select_related` populators, the annotations), without its compiling.

Only for querysets whose SQL does not depend on the values (no `__in` of a
list whose length varies, no branch on an argument): `Prepared` checks that
every placeholder reached the parameters unchanged, and refuses otherwise.
"""

import datetime
import itertools
import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators

_marks = itertools.count(1)


def _placeholder(kind: type) -> Any:
    """A value no caller passes, of the argument's type, that the compiled parameters are searched for."""
    mark = next(_marks)
    if kind is int:
        # Positive and within a 32-bit column's range: Django drops a comparison with a value outside the
        # column's range (IntegerFieldOverflow), and PostgreSQL's positive columns start at 0.
        return 2_100_000_000 + mark
    if kind is str:
        return f"\x00prepared-{mark}\x00"
    if kind is datetime.datetime:
        return datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(microseconds=mark)
    raise TypeError(f"a Prepared argument is an int, a str or a datetime, not {kind.__name__}")


def _adapter(kind: type, using: str) -> Callable[[Any], Any]:
    """How a value of this type stands in the parameters Django compiles (a datetime is adapted for the database)."""
    if kind is datetime.datetime:
        return lambda value: connections[using].ops.adapt_datetimefield_value(value)
    return lambda value: value


class Prepared:
    """`build(**arguments)` (a `values_list` queryset), compiled once per database thread and alias.

    `Prepared(build, person=str)(person="guest-1")` is `list(build(person="guest-1"))`,
    without compiling the SQL again.
    """

    def __init__(self, build: Callable[..., QuerySet], **arguments: type):
        self.build = build
        self.arguments = arguments
        self._local = threading.local()  # a compiler holds its thread's connection

    def _compiled(self, using: str):
        compiled = getattr(self._local, "compiled", None)
        if compiled is None:
            compiled = self._local.compiled = {}
        if using not in compiled:
            placeholders = {name: _placeholder(kind) for name, kind in self.arguments.items()}
            adapters = {name: _adapter(kind, using) for name, kind in self.arguments.items()}
            queryset = self.build(**placeholders)
            if queryset._known_related_objects:
                raise ValueError(f"{self.build.__qualname__}: a related manager's queryset is not prepared")
            compiler = queryset.query.get_compiler(using)
            sql, params = compiler.as_sql()
            slots = {}
            for name, value in placeholders.items():
                value = adapters[name](value)
                slots[name] = [i for i, param in enumerate(params) if param == value]
                if not slots[name]:
                    raise ValueError(f"{self.build.__qualname__}: `{name}` is not among the SQL's parameters as given")
            models = _model_builder(compiler, using) if queryset._iterable_class is ModelIterable else None
            compiled[using] = (compiler, sql, tuple(params), slots, adapters, models)
        return compiled[using]

    def __call__(self, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list:
        compiler, sql, params, slots, adapters, models = self._compiled(using)
        params = list(params)
        for name, positions in slots.items():
            value = adapters[name](values[name])
            for position in positions:
                params[position] = value
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if models is not None:
            return [models(row) for row in compiler.results_iter(results=[rows])]
        return list(compiler.results_iter(results=[rows], tuple_expected=True))


def _model_builder(compiler, using: str) -> Callable[[Any], Any]:
    """Row -> instance, as ModelIterable.__iter__ makes it from this compiler's select (Django 5.2)."""
    select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, using)

    def build(row):
        obj = model.from_db(using, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for name, position in annotation_col_map.items():
            setattr(obj, name, row[position])
        return obj

    return build


class PreparedInsert:
    """`Model.objects.bulk_create(objs)` for new rows, the INSERT compiled once per size.

    New rows of a model with an auto key (no pk yet: the keys come back), or of
    a model whose key the caller gives (a CharField primary key, set on every
    row); plain values either way.

    Django's INSERT compiler assembles the statement value by value for every
    batch: with 100 messages in a batch that was 11% of a busy process's
    samples (docs/performance.md, issue 20, "Third round"), most of it
    building the same SQL text again. Here the text for a batch of n rows is
    compiled once by that compiler (per thread, alias and n) and each call
    only prepares the values, with the compiler's own `pre_save_val` and
    `prepare_value`, laid out as the compiler lays them out: row after row, or
    (PostgreSQL, which inserts from UNNEST) one array per column. When
    compiling, the parameters Django produced for the first batch are compared
    with the ones prepared here; should a field or backend lay them out
    otherwise (a field's own placeholder, a backend's insert params), this
    falls back to bulk_create for good.
    """

    def __init__(self, model):
        self.model = model
        self.local = threading.local()
        self.usable = True

    def __call__(self, objs: list, using: str = DEFAULT_DB_ALIAS) -> None:
        connection = connections[using]
        given = {obj._is_pk_set() for obj in objs}
        opts = self.model._meta
        if given == {True} and opts.auto_field is None:
            # Keys the caller gives (a CharField primary key): nothing comes back from the INSERT.
            fields = [f for f in opts.concrete_fields if not f.generated]
            returning = []
        elif given == {False} and connection.features.can_return_rows_from_bulk_insert:
            fields = [f for f in opts.concrete_fields if not f.generated and f is not opts.auto_field]
            returning = opts.db_returning_fields
        else:
            fields = None
        if not self.usable or fields is None:
            self.model._default_manager.db_manager(using).bulk_create(objs)
            return
        size = max(connection.ops.bulk_batch_size(fields, objs), 1)
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
            for start in range(0, len(objs), size):
                batch = objs[start : start + size]
                sql, compiler, by_columns = self._statement(using, fields, returning, batch)
                if sql is None:  # the check at compile time failed: Django's own way, from now on
                    self.model._default_manager.db_manager(using).bulk_create(batch)
                    continue
                cursor.execute(sql, _laid_out(by_columns, _values(compiler, fields, batch)))
                rows = connection.ops.fetch_returned_insert_rows(cursor) if returning else [()] * len(batch)
                if len(rows) != len(batch):
                    raise RuntimeError(f"an INSERT of {len(batch)} rows returned {len(rows)}")
                for obj, row in zip(batch, rows, strict=True):
                    for value, field in zip(row, returning, strict=True):
                        setattr(obj, field.attname, value)
                    obj._state.adding = False
                    obj._state.db = using

    def _statement(self, using, fields, returning, batch):
        """The SQL for a batch of this size (compiled with the batch itself the first time) and its compiler."""
        from django.db.models.sql import InsertQuery

        cache = getattr(self.local, "statements", None)
        if cache is None:
            cache = self.local.statements = {}
        key = (using, len(batch), bool(returning))
        if key not in cache:
            query = InsertQuery(self.model)
            query.insert_values(fields, batch)
            compiler = query.get_compiler(using=using)
            compiler.returning_fields = returning
            compiled = compiler.as_sql()
            values = _values(compiler, fields, batch)
            layouts = [by_columns for by_columns in (False, True) if compiled[0][1] == _laid_out(by_columns, values)]
            if len(compiled) != 1 or not layouts or compiler.returning_params:
                self.usable = False
                return None, None, False
            query.objs = []  # the compiler is kept for its value methods, not for these rows
            cache[key] = (compiled[0][0], compiler, layouts[0])
        return cache[key]


def _values(compiler, fields, batch) -> list[list]:
    """Each row's values for the INSERT, as the compiler prepares them."""
    return [[compiler.prepare_value(field, compiler.pre_save_val(field, obj)) for field in fields] for obj in batch]


def _laid_out(by_columns: bool, rows: list[list]) -> tuple:
    """The INSERT's parameters: row after row (`VALUES (...), (...)`), or one array per column (PostgreSQL's UNNEST)."""
    if by_columns:
        return tuple(list(column) for column in zip(*rows, strict=True))
    return tuple(value for row in rows for value in row)
