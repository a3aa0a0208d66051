"""SITE_URL decides the scheme: allauth's links, secure cookies, CSRF origins, SSL redirect."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-" + "x9Qm2vLr7TzPw4" * 5,
    "ALLOWED_HOSTS": "civicnet.example,127.0.0.1",
}
SHOW = (
    "from django.conf import settings as s;"
    "print(s.SITE_URL, s.ACCOUNT_DEFAULT_HTTP_PROTOCOL, s.SESSION_COOKIE_SECURE,"
    " s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
    " ','.join(s.CSRF_TRUSTED_ORIGINS))"
)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    unset = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def shown(**env: str) -> list[str]:
    result = manage("shell", "--no-imports", "-c", SHOW, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_a_stack_served_over_plain_http_gets_http_links_and_cookies_it_can_send_back():
    values = shown(**PRODUCTION, SITE_URL="http://127.0.0.1:58080")

    assert values == [
        "http://127.0.0.1:58080",
        "http",
        "False",
        "False",
        "False",
        "0",
        "http://127.0.0.1:58080,http://civicnet.example,http://127.0.0.1",
    ]


def test_an_https_site_url_turns_on_secure_cookies_ssl_redirect_and_hsts():
    values = shown(**PRODUCTION, SITE_URL="https://civicnet.example")

    assert values == [
        "https://civicnet.example",
        "https",
        "True",
        "True",
        "True",
        "31536000",
        "https://civicnet.example,https://127.0.0.1",
    ]


def test_production_without_site_url_means_https_on_the_first_allowed_host():
    assert shown(**PRODUCTION)[:2] == ["https://civicnet.example", "https"]


def test_an_https_site_url_passes_the_deploy_check_with_no_warnings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        SITE_URL="https://civicnet.example",
    )

    assert result.returncode == 0, result.stderr


def test_a_site_url_without_a_scheme_is_refused_with_its_name():
    result = manage("check", **PRODUCTION, SITE_URL="civicnet.example")

    assert result.returncode != 0
    assert "SITE_URL must be http(s)://host[:port]" in result.stderr


@pytest.mark.django_db
def test_account_email_links_use_the_scheme_and_host_the_visitor_used(client, settings, mailoutbox):
    from django.contrib.auth import get_user_model

    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
    get_user_model().objects.create_user("pat", "pat@example.org", "a-long-passphrase-1")

    response = client.post(
        "/accounts/password/reset/", {"email": "pat@example.org"}, HTTP_HOST="127.0.0.1:58080"
    )

    assert response.status_code == 302
    assert "http://127.0.0.1:58080/accounts/password/reset/key/" in mailoutbox[0].body
