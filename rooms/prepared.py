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

Only for querysets whose SQL does not depend on the values (no `__in` of a
list whose length varies, no branch on an argument): `Prepared` checks that
every placeholder reached the parameters unchanged, and refuses otherwise.
"""

import datetime
import itertools
import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

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
            compiler = self.build(**placeholders).query.get_compiler(using)
            sql, params = compiler.as_sql()
            slots = {}
            for name, value in placeholders.items():
                value = adapters[name](value)
                slots[name] = [i for i, param in enumerate(params) if param == value]
                if not slots[name]:
                    raise ValueError(f"{self.build.__qualname__}: `{name}` is not among the SQL's parameters as given")
            compiled[using] = (compiler, sql, tuple(params), slots, adapters)
        return compiled[using]

    def __call__(self, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[tuple]:
        compiler, sql, params, slots, adapters = self._compiled(using)
        params = list(params)
        for name, positions in slots.items():
            value = adapters[name](values[name])
            for position in positions:
                params[position] = value
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return list(compiler.results_iter(results=[rows], tuple_expected=True))
