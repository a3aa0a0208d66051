import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_healthz_reports_each_dependency(visitor):
    response = visitor.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


def test_readiness_is_200_and_ok_when_everything_answers(visitor):
    response = visitor.get("/healthz/ready")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize(
    "dependency, setting", [("cache", "REDIS_URL"), ("broker", "CELERY_BROKER_URL")]
)
def test_a_lost_cache_or_broker_is_degraded_not_unready(visitor, dependency, setting):
    with override_settings(**{setting: DEAD_REDIS}):
        live = visitor.get("/healthz")
        ready = visitor.get("/healthz/ready")

    assert (live.status_code, ready.status_code) == (200, 200)
    assert ready.json()["status"] == "degraded"
    assert ready.json()[dependency] == "unreachable"
    assert ready.json()["database"] == "ok"


def test_without_the_database_readiness_is_503_but_liveness_answers(visitor, monkeypatch):
    from civicnet import views

    def broken_cursor():
        raise OSError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", broken_cursor)
    live = visitor.get("/healthz")
    ready = visitor.get("/healthz/ready")

    assert live.status_code == 200
    assert live.json()["database"] == "unreachable"
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "down",
        "database": "unreachable",
        "cache": "ok",
        "broker": "ok",
    }


def test_health_answers_are_never_cached(visitor):
    visitor.get("/healthz")

    response = visitor.get("/healthz/ready")
    assert "X-Page-Cache" not in response
    assert "no-cache" in response["Cache-Control"]


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_accounts(visitor):
    body = visitor.get("/robots.txt").content.decode()

    assert "Sitemap: http://testserver/sitemap.xml" in body
    assert "Disallow: /admin/" in body
    assert "Disallow: /network/" in body


def test_sitemap_lists_public_pages(visitor, home_page):
    from tests.civicnet.factories import make_standard_page

    make_standard_page(home_page)

    body = visitor.get("/sitemap.xml").content.decode()

    assert "<loc>http://localhost/about/</loc>" in body


def test_every_response_carries_security_headers(visitor, home_page):
    response = visitor.get("/")

    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Request-ID"]


def test_each_request_is_logged_as_one_structured_line(visitor, home_page, caplog):
    with caplog.at_level("INFO", logger="civicnet.request"):
        visitor.get("/")

    record = next(r for r in caplog.records if r.name == "civicnet.request")
    assert (record.method, record.path, record.status) == ("GET", "/", 200)
    assert record.duration_ms >= 0


def test_json_formatter_writes_extra_fields_as_json():
    import json
    import logging

    from civicnet.logging import JsonFormatter

    record = logging.makeLogRecord({"msg": "hello", "levelname": "INFO", "path": "/x"})

    assert json.loads(JsonFormatter().format(record))["path"] == "/x"


def test_too_many_sign_up_attempts_get_the_styled_429_page(visitor):
    for _ in range(25):
        response = visitor.post("/accounts/signup/", {"email": "not an address"})
        if response.status_code == 429:
            break

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert 'class="site-header"' in response.content.decode()
