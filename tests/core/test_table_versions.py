"""core.table_versions: what is kept under a version (the version's triggers and their lock
are checked by each page's own tests: events, members, the network dashboard)."""

import re
import threading
from contextlib import contextmanager

import pytest
from django.db import connection, connections, transaction

from core.table_versions import kept_under_version

pytestmark = pytest.mark.django_db


def tables_read(queries, *, of=lambda sql: True) -> set[str]:
    """The tables the captured queries (CaptureQueriesContext) read, of those `of` keeps."""
    return {
        table
        for query in queries.captured_queries
        if of(query["sql"])
        for table in re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', query["sql"])
    }


def tables_watched_by(trigger: str) -> set[str]:
    """The tables on which a version's trigger moves it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE tgname = %s",
            [trigger],
        )
        return {row[0] for row in cursor.fetchall()}


@contextmanager
def uncommitted_write(write):
    """write() made by another session, whose transaction stays open inside the block and
    commits when it ends (for tests marked django_db(transaction=True))."""
    started, finish, failed = threading.Event(), threading.Event(), []

    def writer():
        try:
            with transaction.atomic():
                write()
                started.set()
                finish.wait(timeout=30)
        except Exception as error:
            failed.append(error)
        finally:
            connections.close_all()
            started.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert started.wait(timeout=30)
        if failed:
            raise failed[0]
        yield
    finally:
        finish.set()
        thread.join(timeout=30)
    if failed:
        raise failed[0]


def _counting():
    calls = []

    def compute():
        calls.append(1)
        return f"drawn {len(calls)}"

    return compute, calls


def test_a_value_is_kept_under_its_version_and_drawn_again_under_the_next():
    compute, calls = _counting()

    assert kept_under_version(7, "piece", compute) == "drawn 1"
    assert kept_under_version(7, "piece", compute) == "drawn 1"
    assert kept_under_version(8, "piece", compute) == "drawn 2"
    assert kept_under_version(7, "other piece", compute) == "drawn 3"
    assert len(calls) == 3


def test_without_a_version_nothing_is_kept():
    compute, calls = _counting()

    assert kept_under_version(None, "piece", compute) == "drawn 1"
    assert kept_under_version(None, "piece", compute) == "drawn 2"
    assert kept_under_version(7, "piece", compute) == "drawn 3"  # nothing kept before
    assert len(calls) == 3
