"""A number PostgreSQL moves on whenever any of a set of tables is written: a key for what is
cached from those tables.

A migration installs it (version_sql, run through run_sql): a sequence, and on each table a
statement-level trigger that takes the sequence's next value on every insert, update, delete
and truncate, from services, the admin, bulk updates and raw SQL alike. A sequence is never
locked nor rolled back, so writers never wait on one another for it. read_version() reads it:
one query.

The stale window, and why reading it is more than `SELECT last_value`. A sequence moves at
once, not when the writer's transaction commits. A reader that reads the new number while the
writer has not committed yet, then reads the tables, sees the old rows: it would keep old
content under the new number, and the number would not move again when the writer commits.
So the trigger first takes a shared advisory lock, held until the writer's transaction ends
(committed or rolled back; shared: writers never wait on one another), and read_version()
reads the number and then looks for that lock held by another session: while one is held it
answers None, "do not cache", and the page is worked out from the tables. Once the lock is
gone the writer's rows are visible to every later statement (PostgreSQL marks a transaction
committed before it releases its locks), and this reader's next queries read them. The
order matters: a writer that bumps after the number was read is either seen as holding the
lock, or its content is newer than the number it is kept under, which is harmless.

A reader inside a transaction that wrote these tables itself sees its own rows and is not
stopped by its own lock: it must not keep what it renders if that transaction may still roll
back. The pages that use this read in requests that have not written (GETs).

PostgreSQL only: elsewhere (SQLite on a laptop) there is no version and nothing is cached.
"""

import re
import zlib

from django.db import connection

from core.page_cache import FRAGMENT_SECONDS, cached_fragment

# The advisory lock's first key: this module's, so its locks never meet another use's.
LOCK_CLASS = zlib.crc32(b"core.table_versions") - 2**31
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def _lock_key(name: str) -> int:
    return zlib.crc32(name.encode()) - 2**31  # PostgreSQL's lock keys are signed int4


def sequence_name(name: str) -> str:
    return f"{name}_version"


def version_sql(name: str, tables: list[str]) -> tuple[list[str], list[str]]:
    """The statements that install the version `name` on `tables`, and those that remove it.

    Safe to run again over an older install of the same name (the sequence is kept, the
    function replaced, the triggers made afresh): that is how a version adds a table.
    """
    for identifier in (name, *tables):
        if not _IDENTIFIER.fullmatch(identifier):
            raise ValueError(f"{identifier!r} is not a plain SQL name")
    sequence, function = sequence_name(name), f"{name}_changed"
    forward = [
        f"CREATE SEQUENCE IF NOT EXISTS {sequence}",
        # From a random place: a database made afresh never repeats the numbers of the one
        # before, whose content may still be in the cache. Only a new sequence: one that has
        # been used never goes back.
        f"SELECT setval('{sequence}', 1 + floor(random() * 1e15)::bigint) "  # noqa: S608 (checked names)
        f"WHERE NOT (SELECT is_called FROM {sequence})",
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                -- Lock first, then move: a number that shows this write is never read while
                -- the write is not visible without the reader seeing the lock (read_version).
                PERFORM pg_advisory_xact_lock_shared({LOCK_CLASS}, {_lock_key(name)});
                PERFORM nextval('{sequence}');
                RETURN NULL;
            END
        $$""",
        *(f"DROP TRIGGER IF EXISTS {function} ON {table}" for table in tables),
        *(
            f"CREATE TRIGGER {function} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            for table in tables
        ),
    ]
    backward = [
        *(f"DROP TRIGGER IF EXISTS {function} ON {table}" for table in tables),
        f"DROP FUNCTION IF EXISTS {function}()",
        f"DROP SEQUENCE IF EXISTS {sequence}",
    ]
    return forward, backward


def run_sql(statements: list[str]):
    """A RunPython function running `statements` on PostgreSQL, and doing nothing elsewhere."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


# The number is read in a materialized CTE (pg_sequence_last_value copies it out); the lock
# check names the number, so it cannot run before the number is read (see the module's
# docstring for why that order). No row: a writer has not finished, do not cache.
_READ = """
    WITH version AS MATERIALIZED (SELECT pg_sequence_last_value(%s::regclass) AS number)
    SELECT number FROM version
    WHERE NOT EXISTS (
        SELECT FROM pg_locks
        WHERE number IS NOT NULL
            AND locktype = 'advisory'
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND classid::int = %s AND objid::int = %s AND objsubid = 2
            AND pid <> pg_backend_pid()
    )
"""


def read_version(name: str) -> int | None:
    """The version `name`'s number now, or None: nothing may be cached under it (no
    PostgreSQL, or a write to its tables not yet committed). One query."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_READ, [sequence_name(name), LOCK_CLASS, _lock_key(name)])
        row = cursor.fetchone()
    return row[0] if row else None


def kept_under_version(version: int | None, key: str, compute, *, seconds: int = FRAGMENT_SECONDS):
    """compute()'s value, kept under `key` at this version (a number read_version() gave, read
    once per request however many fragments it keys) as core.page_cache.cached_fragment keeps
    it; computed afresh and not kept when there is no version."""
    if version is None:
        return compute()
    return cached_fragment(f"{key}@{version}", compute, seconds=seconds)
