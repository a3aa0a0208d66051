"""Shared fixtures: the personas every test reuses, created through the app's own services."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.members.factories import UserFactory, make_member


def pytest_configure(config):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit("The tests run on PostgreSQL: use `make test` or set DATABASE_URL.", 2)
    if not settings.REDIS_URL:
        pytest.exit("The tests need Redis: use `make test` or set REDIS_URL.", 2)
    _check_services_per_xdist_worker()
    _cache_bytecode_of_subprocesses()


# Modules whose module-scoped set-up is expensive (the demo loaded, bootstrap_site's real data,
# a private PostgreSQL and gunicorn, the loopback stack, a production gunicorn, the access
# matrix's world). Handed out test by test (--dist load), a module's tests land on both parallel
# processes, which each build its world, and again whenever another module's test comes
# between two of its tests: under `make test` each unbroken run of such a module's tests goes
# to one process together (pytest_xdist_make_scheduler below).
ONE_PROCESS_MODULES = {
    "tests/civicnet/test_demo.py",
    "tests/civicnet/test_faults.py",
    "tests/deploy/test_bootstrap_site.py",
    "tests/deploy/test_loopback_stack.py",
    "tests/security/test_access_matrix.py",
    "tests/security/test_private_files.py",
}
# The longest work units, first among the tests of their place in pytest-django's order, so
# that the other process works through the short tests meanwhile rather than waiting for one
# of these at the end.
LONGEST_FIRST = [
    "tests/e2e/test_every_page.py",
    "tests/civicnet/test_demo.py",
    "tests/deploy/test_bootstrap_site.py",
    "tests/civicnet/test_demo_on_sqlite.py",
    "tests/civicnet/test_faults.py",
    "tests/deploy/test_loopback_stack.py",
]


def _django_order(item) -> int:
    """pytest-django's place for the test: 0 database, 1 transactional, 2 no database."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    transactional = "transactional_db" in fixtures or "live_server" in fixtures
    if marker is not None:
        kwargs = marker.kwargs
        transactional = transactional or bool(marker.args and marker.args[0])
        transactional = transactional or kwargs.get("transaction") or kwargs.get("reset_sequences")
    if transactional:
        return 1
    return 0 if marker is not None or "db" in fixtures else 2


def _module_path(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(items):
    """The longest work units first within each place of pytest-django's order (its own sort
    comes first and is kept: the place is the first key). The no-database tests of
    ONE_PROCESS_MODULES run right after their module's last database tests, which they may
    join anywhere, rather than at the end, where they would build the module's world again."""
    rank = {path: position for position, path in enumerate(LONGEST_FIRST)}
    places = [_django_order(item) for item in items]
    last_with_database = {}  # module: place and position of its last database test
    for position, (item, place) in enumerate(zip(items, places, strict=True)):
        if place < 2:
            last_with_database[_module_path(item.nodeid)] = (place, position)

    def key(position):
        path, place, anchor = _module_path(items[position].nodeid), places[position], position
        if place == 2 and path in ONE_PROCESS_MODULES and path in last_with_database:
            place, anchor = last_with_database[path]
        return place, rank.get(path, len(rank)), anchor, position

    items[:] = [items[position] for position in sorted(range(len(items)), key=key)]


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """--dist load, except that each unbroken run of one of ONE_PROCESS_MODULES' tests goes out
    as one unit. A run, not the module: pytest-django puts a module's database, transactional
    and no-database tests in three places, and sending them together would flush the database
    before tests that need the rows migrations made (as --dist loadfile does)."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # units in collection order, never largest first

    class ModuleRunsTogether(LoadScopeScheduling):
        units: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.units is None:
                self.units, run, previous = {}, 0, None
                for each in self.collection:
                    path = _module_path(each)
                    run += path != previous
                    previous = path
                    self.units[each] = f"{path} run {run}" if path in ONE_PROCESS_MODULES else each
            return self.units[nodeid]

    return ModuleRunsTogether(config, log)


def _check_services_per_xdist_worker():
    """Parallel workers (pytest -n) must each have their own Redis databases (tests/settings.py),
    or one's cache.clear() would empty the other's cache mid-test."""
    from tests.settings import SHIFTED_FOR

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    if os.environ.get(SHIFTED_FOR) != worker:
        pytest.exit(
            f"DJANGO_SETTINGS_MODULE is {os.environ.get('DJANGO_SETTINGS_MODULE')}: the parallel "
            "tests need tests.settings (pyproject.toml), which gives each worker its own Redis "
            "databases. Unset DJANGO_SETTINGS_MODULE, or run serially (-n 0).",
            2,
        )
    import redis

    for url in {settings.REDIS_URL, settings.CELERY_BROKER_URL}:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        except redis.RedisError as error:
            pytest.exit(
                f"{worker} cannot use Redis at {url} ({error}): run fewer workers (-n), "
                "or give Redis more databases (`databases` in redis.conf).",
                2,
            )


def _cache_bytecode_of_subprocesses():
    """The suite starts dozens of Python processes (manage.py, gunicorn, Celery). Where the
    environment forbids writing bytecode beside the sources (PYTHONDONTWRITEBYTECODE), each
    would compile Django and Wagtail afresh, seconds apiece: they keep it in a cache folder
    outside the source tree instead."""
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not os.environ.get("PYTHONPYCACHEPREFIX"):
        del os.environ["PYTHONDONTWRITEBYTECODE"]
        cache = Path(tempfile.gettempdir()) / f"civicnet-test-pycache-{os.getuid()}"
        os.environ["PYTHONPYCACHEPREFIX"] = str(cache)


@pytest.fixture(scope="session", autouse=True)
def _empty_tables_by_delete():
    """After each test that commits (transactional_db), Django empties every table with one
    TRUNCATE of them all, and PostgreSQL replaces each table's files: seconds per test. A
    DELETE from every table leaves them just as empty (sequences are not reset either way;
    every foreign key is DEFERRABLE INITIALLY DEFERRED, so the order does not matter within
    the flush's transaction) in a fraction of the time, sent as one statement rather than one
    round trip per table.

    The content types and permissions stay: the flush's post_migrate signal would make the
    very same rows again (it still runs, and makes any that a test deleted), and inserting
    hundreds of rows anew took a third of each flush."""
    from django.db import connections

    operations = connections["default"].ops
    truncate = operations.sql_flush
    made_by_post_migrate = {"django_content_type", "auth_permission"}

    def sql_flush(style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade or not tables:
            return truncate(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        quoted = [  # Django's own tables
            operations.quote_name(table) for table in tables if table not in made_by_post_migrate
        ]
        return ["\n".join(f"DELETE FROM {table};" for table in quoted)]  # noqa: S608

    operations.sql_flush = sql_flush
    yield
    del operations.sql_flush


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache, so cached pages never leak between tests.

    On a busy machine (the suite runs in parallel) a Redis call can outlast the cache's short
    timeout, which switches the cache off for a moment (core/cache.py): a clearing that timed
    out is done again with a patient timeout rather than skipped, and each test starts with
    the cache switched on."""
    import redis
    from django.core.cache import caches

    from core import cache as fail_soft

    cache = caches["default"]
    fail_soft._paused_until.clear()
    if cache.clear() is False and isinstance(cache, fail_soft.FailSoftRedisCache):
        redis.Redis.from_url(cache._location, socket_timeout=30).flushdb()
        fail_soft._paused_until.clear()
    yield


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    """Uploads go to this test's own public and private roots, never the project's folders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def visitor(client):
    """An anonymous visitor's browser."""
    return client


@pytest.fixture
def registered(db):
    """Signed up and verified, never paid."""
    return UserFactory(email="registered@example.org")


@pytest.fixture
def member(db):
    """A paying member with an active membership."""
    return make_member(email="member@example.org")


@pytest.fixture
def lapsed(db):
    """A former member whose membership expired."""
    from members.models import Membership

    return make_member(email="lapsed@example.org", status=Membership.Status.EXPIRED)


@pytest.fixture
def staff(db):
    """A staff editor with access to the Wagtail admin."""
    return UserFactory(email="staff@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def site_evening(time_machine):
    """The clock at 21:30 on the site's wall clock (TIME_ZONE, New York), when UTC has already
    moved on to the next day: a date taken in UTC where people read the site's date (or the
    other way round) is a day off then, and only then."""
    evening = timezone.localtime().replace(hour=21, minute=30, second=0, microsecond=0)
    time_machine.move_to(evening)
    assert timezone.now().date() != timezone.localdate()
    return evening


@pytest.fixture
def home_page(db):
    from tests.civicnet.factories import make_home_page

    return make_home_page()


def wait_for(condition, *, timeout: float, interval: float = 0.05):
    """Poll until condition() is truthy and return its value; fail the test after timeout."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"Condition not met within {timeout} seconds")


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker, in a thread, consuming from the test Redis broker."""
    from celery.contrib.testing.worker import start_worker
    from django.db import connections

    from civicnet.celery import app

    if app.conf.task_always_eager:
        pytest.fail("The worker tests need a real broker: set CELERY_BROKER_URL or REDIS_URL.")
    # The worker thread must close its database connection after each task, or the test
    # database could not be dropped at the end of the run.
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10
    ) as worker:
        yield worker


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback as the site's mail server; set `.on_rcpt` to refuse."""
    from tests.newsletter.smtp_sink import SMTPSink

    sink = SMTPSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    """The static files as production collects them (DEBUG=0: hashed and compressed), once
    for every test that serves the site from a real server."""
    root = tmp_path_factory.mktemp("collected-static")
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "collectstatic-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(root),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
    )
    return root


@pytest.fixture
def free_port() -> int:
    """A free TCP port on loopback for a server the test starts: never a fixed port, since the
    suite runs in parallel processes (README, Tests in parallel)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
