"""The site keeps serving when the cache, the broker or the database is lost.

These run in-process against a Redis address where nothing answers (or one that accepts
and then never replies); tests/civicnet/test_faults.py stops real servers under load.
"""

import socket
import threading
import time

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache, caches
from django.db import OperationalError, ProgrammingError
from django.test import Client, override_settings
from django.urls import include, path

import core.cache
import core.tasks
from core.models import HeldTask
from tests.conftest import wait_for
from tests.members.factories import PASSWORD

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _cache_at(location: str) -> dict:
    return {"default": {**settings.CACHES["default"], "LOCATION": location}}


@pytest.fixture(autouse=True)
def _no_outage_remembered(monkeypatch):
    monkeypatch.setattr(core.cache, "_paused_until", {})
    monkeypatch.setattr(core.tasks, "_broker_paused_until", 0.0)


# --- Cache Redis down ----------------------------------------------------------------------
def test_anonymous_pages_render_without_the_cache(visitor, home_page):
    with override_settings(CACHES=_cache_at(DEAD_REDIS)):
        first = visitor.get("/")
        second = visitor.get("/events/")

    assert (first.status_code, second.status_code) == (200, 200)
    assert first["X-Page-Cache"] == "miss"


def test_signed_in_people_stay_signed_in_without_the_cache(client, home_page, registered):
    client.force_login(registered)

    with override_settings(CACHES=_cache_at(DEAD_REDIS)):
        response = client.get("/account/")

    assert response.status_code == 200
    assert registered.email in response.content.decode()


def test_signing_in_works_without_the_cache(client, home_page, registered):
    with override_settings(CACHES=_cache_at(DEAD_REDIS)):
        response = client.post(
            "/accounts/login/", {"login": registered.email, "password": PASSWORD}
        )
        account = client.get("/account/")

    assert response.status_code == 302
    assert account.status_code == 200
    assert registered.email in account.content.decode()


def test_a_cache_outage_is_tried_once_then_skipped_for_a_while(home_page):
    with override_settings(CACHES=_cache_at(DEAD_REDIS)):
        assert cache.get("anything", "fallback") == "fallback"
        assert cache.incr("counter") is None
        started = time.monotonic()
        for n in range(50):
            cache.get(f"key-{n}")
        assert time.monotonic() - started < 0.1  # no connect attempt while paused
        assert core.cache.cache_is_paused(caches["default"])


@pytest.fixture
def hung_redis():
    """A port that accepts connections and never replies, like a frozen Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


def test_a_hung_cache_costs_one_short_timeout_not_one_per_call(hung_redis):
    took = {}

    def use_the_cache():
        started = time.monotonic()
        with override_settings(CACHES=_cache_at(hung_redis)):
            for n in range(20):
                cache.get(f"key-{n}")
                cache.set(f"key-{n}", n)
        took["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=use_the_cache, daemon=True)
    worker.start()
    worker.join(timeout=10)

    assert not worker.is_alive(), "the cache calls hung"
    assert took["seconds"] < 1.5


def test_the_cache_is_used_again_once_it_answers():
    backend = caches["default"]
    core.cache._paused_until[backend._location] = time.monotonic() - 1  # an outage now over

    cache.set("back", "yes")

    assert cache.get("back") == "yes"
    assert not backend.is_paused()
    assert backend._location not in core.cache._paused_until


# --- Database down -------------------------------------------------------------------------
def database_gone(request):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def broken_query(request):
    raise ProgrammingError("relation does not exist")


# The project's own error handlers, so these tests check the real ones.
from civicnet.urls import handler500  # noqa: E402, F401

urlpatterns = [
    path("test/database-gone/", database_gone),
    path("test/broken-query/", broken_query),
    path("", include("civicnet.urls")),
]


@pytest.mark.urls(__name__)
def test_a_lost_database_gets_the_styled_503_with_retry_after(settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/test/database-gone/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(settings.UNAVAILABLE_RETRY_AFTER)
    assert "briefly unavailable" in response.content.decode()
    assert "css/base.css" in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_bug_in_a_query_is_still_a_500(settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/test/broken-query/")

    assert response.status_code == 500
    assert "Retry-After" not in response


# --- Broker down ---------------------------------------------------------------------------
def _point_the_producer_at(patcher, url):
    from civicnet.celery import app

    # Celery prefers the environment's CELERY_BROKER_URL to its settings; the write URL
    # alone moves where tasks are published, the worker keeps consuming from the real one.
    patcher.setenv("CELERY_BROKER_WRITE_URL", url)
    patcher.setattr(app, "_pool", None)
    patcher.setattr(app.amqp, "_producer_pool", None)


@pytest.fixture
def broker_down(monkeypatch):
    _point_the_producer_at(monkeypatch, DEAD_REDIS)


def test_newsletter_sign_up_works_and_its_email_is_held_while_the_broker_is_down(
    visitor, home_page, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.post(
            "/newsletter/subscribe/", {"email": "new@example.org", "topics": ["research"]}
        )

    assert response.status_code == 302
    held = HeldTask.objects.get()
    assert held.name.endswith("send_confirmation_email")
    assert len(held.args) == 1


def test_after_one_failure_tasks_are_held_without_trying_the_broker(broker_down):
    from civicnet.tasks import refresh_home_counters

    started = time.monotonic()
    for _ in range(20):
        refresh_home_counters.delay()

    assert time.monotonic() - started < 2
    assert HeldTask.objects.filter(name="civicnet.tasks.refresh_home_counters").count() == 20


def test_held_tasks_run_once_the_broker_is_back(celery_worker, visitor, home_page, monkeypatch):
    with monkeypatch.context() as outage:
        _point_the_producer_at(outage, DEAD_REDIS)
        visitor.post(
            "/newsletter/subscribe/", {"email": "back@example.org", "topics": ["research"]}
        )
        assert HeldTask.objects.count() == 1
        assert mail.outbox == []

    assert core.tasks.held_tasks_release() == 1

    wait_for(lambda: mail.outbox, timeout=20)
    assert mail.outbox[0].to == ["back@example.org"]
    assert HeldTask.objects.count() == 0
