"""A queryset whose SQL is worked out once per process, for a query every request runs.

Django builds and compiles a queryset's SQL afresh each time it is evaluated. For a query
with joins and subqueries, such as the signed-in person's (core.auth: two related rows and
two EXISTS), that costs several times running it: about 4 ms of CPU to build and compile
against 0.5 ms to run and read (bench/PROFILE.md). PreparedQuery builds the queryset once
with marker values in place of the ones that change, keeps its SQL and its compiler (which
knows what each column is), and on each run puts the real values where the markers were and
lets Django's own iterable make the objects, as a queryset would.

When a marker does not come out of compiling as it went in (a database that stores the
value differently, a lookup that wraps it: `contains` makes "%value%"), its place in the SQL
is unknown: that query is then built and compiled on every run, as Django does.
"""

import copy
import threading
from datetime import UTC, datetime

from django.db import connections

# A marker for a datetime: a moment no real query asks about.
MARKER_MOMENT = datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)


class PreparedQuery:
    """`build(**values)` -> QuerySet, compiled once with `markers` (one value per name, each
    distinct from anything else the query holds: every parameter equal to a marker is taken
    for it); `run(**values)` answers what list(build(**values)) would."""

    def __init__(self, build, **markers):
        self._build = build
        self._markers = markers
        self._prepared = None  # (queryset, compiler, sql, params, places), or False: never
        self._lock = threading.Lock()

    def run(self, **values) -> list:
        prepared = self._prepared if self._prepared is not None else self._prepare()
        if not prepared:
            return list(self._build(**values))
        queryset, compiler, sql, params, places = prepared
        params = list(params)
        for name, indexes in places.items():
            for index, adapt in indexes:
                params[index] = adapt(values[name]) if adapt else values[name]
        # A copy of the kept compiler, on this thread's connection, answering with the kept
        # SQL: Django's iterable runs it and reads the rows with the compiler's description.
        run_compiler = copy.copy(compiler)
        run_compiler.connection = connections[queryset.db]
        run_compiler.as_sql = lambda *args, **kwargs: (sql, params)
        run_queryset = queryset._chain()
        run_queryset.query.get_compiler = lambda *args, **kwargs: run_compiler
        return list(run_queryset)

    def _prepare(self):
        with self._lock:
            if self._prepared is None:
                queryset = self._build(**self._markers)
                compiler = queryset.query.get_compiler(using=queryset.db)
                sql, params = compiler.as_sql()
                places = {}
                for name, marker in self._markers.items():
                    places[name] = [
                        # The database's own wrapper of the type, where Django put one (an
                        # int compared in a CASE goes as psycopg's Int4): the value gets it too.
                        (index, None if type(param) is type(marker) else type(param))
                        for index, param in enumerate(params)
                        if isinstance(param, type(marker)) and param == marker
                    ]
                    if not places[name]:
                        self._prepared = False
                        return False
                self._prepared = (queryset, compiler, sql, tuple(params), places)
            return self._prepared
