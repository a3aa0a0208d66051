import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_redis(visitor):
    response = visitor.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_is_503_when_redis_is_down(visitor):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = visitor.get("/healthz")

    assert response.status_code == 503
    assert response.json()["redis"] == "unreachable"


def test_healthz_is_503_when_the_database_is_down(visitor, monkeypatch):
    from civicnet import views

    def broken_cursor():
        raise OSError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", broken_cursor)
    response = visitor.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


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
