"""core.table_versions: what is kept under a version (the version's triggers and their lock
are checked by each page's own tests: events, members, the network dashboard)."""

import threading
from contextlib import contextmanager

import pytest
from django.db import connections, transaction

from core.table_versions import kept_under_version

pytestmark = pytest.mark.django_db


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
