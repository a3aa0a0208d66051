"""The settings the tests run with: civicnet's own (civicnet/settings.py), read after giving
each pytest-xdist worker services of its own.

`make test` runs the suite in parallel processes (pytest-xdist: gw0, gw1, ...). pytest-django
gives each its own test database (test_<name>_gw0, ...); here each also gets its own Redis
databases for the cache and the broker and its own Celery queues, so that one worker's
`cache.clear()` (before every test) never empties another's cache and one worker's Celery
worker never runs a task another enqueued. The environment is rewritten before
civicnet/settings.py reads it, so the processes a test starts (manage.py, gunicorn, Celery)
inherit the same services; they do not shift them again.
"""

import os
from urllib.parse import urlsplit, urlunsplit

SHIFTED_FOR = "CIVICNET_TEST_SERVICES_OF"  # the worker whose services the environment names


def _redis_db(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def _with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def services_per_xdist_worker(environ=os.environ) -> None:
    """gwN uses Redis databases N*span above the configured ones (span: how many the
    configured cache and broker databases cover), and queues named <CELERY_QUEUE>-gwN. gw0
    keeps the configured databases; a run without xdist changes nothing."""
    worker = environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or environ.get(SHIFTED_FOR) == worker:
        return
    index = int(worker.removeprefix("gw"))
    if not environ.get("CELERY_BROKER_URL") and environ.get("REDIS_URL"):
        environ["CELERY_BROKER_URL"] = environ["REDIS_URL"]  # settings' own default
    urls = {
        name: environ[name]
        for name in ("REDIS_URL", "CELERY_BROKER_URL")
        if environ.get(name, "").startswith(("redis://", "rediss://"))
    }
    if urls:
        dbs = {name: _redis_db(url) for name, url in urls.items()}
        span = max(dbs.values()) - min(dbs.values()) + 1
        for name, url in urls.items():
            environ[name] = _with_redis_db(url, dbs[name] + index * span)
    environ["CELERY_QUEUE"] = f"{environ.get('CELERY_QUEUE') or 'default'}-{worker}"
    environ[SHIFTED_FOR] = worker


services_per_xdist_worker()

from civicnet.settings import *  # noqa: E402, F403
