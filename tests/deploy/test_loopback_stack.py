# ruff: noqa: S310 (every URL is the loopback stack's)
"""The production topology on loopback (scripts/loopback_stack.py): Debian's nginx with the
repository's one site config in front of two gunicorn replicas, two Redis roles and a worker,
all against the test database."""

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.db import connection

from scripts.loopback_stack import LoopbackStack
from tests.members.factories import PASSWORD, make_member

DOCUMENT_BYTES = b"%PDF-1.4\n% civicnet board minutes, members only\n"


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    with LoopbackStack(database_url=url, replicas=2) as running:
        yield running


class Browser:
    """A visitor's cookies, sent to whichever address the test asks."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def get(self, url: str):
        try:
            return self.opener.open(url, timeout=20)
        except urllib.error.HTTPError as error:
            return error

    def log_in(self, base: str, email: str) -> None:
        page = self.get(base + "/accounts/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(
            base + "/accounts/login/", data=data, headers={"Origin": base, "Referer": base + "/"}
        )
        try:
            response = self.opener.open(request, timeout=20)
        except urllib.error.HTTPError as error:
            response = error
        assert response.status == 302, response.read()[:500]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_members_document_comes_through_the_front_by_x_accel_redirect(stack, transactional_db):
    make_member(email="reader@example.org")
    document_url = stack.manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.core.files.base import ContentFile;"
        "from wagtail.documents import get_document_model;"
        "from library.selectors import library_collection;"
        "d = get_document_model().objects.create(title='Board minutes', collection="
        f"library_collection(), file=ContentFile({DOCUMENT_BYTES!r}, name='minutes.pdf'));"
        "print(d.url)",
    ).splitlines()[-1]
    member = Browser()
    member.log_in(stack.url, "reader@example.org")

    through_front = member.get(stack.url + document_url)
    from_replica = member.get(stack.replica_url(0) + document_url)
    anonymous = Browser().get(stack.url + document_url)

    assert through_front.status == 200
    assert through_front.read() == DOCUMENT_BYTES
    assert through_front.headers["X-Accel-Redirect"] is None
    # The replica only checked access and named the file; nginx sent the bytes.
    accel = from_replica.headers["X-Accel-Redirect"]
    assert accel is not None and accel.startswith("/_private/")
    assert from_replica.read() == b""
    assert anonymous.status != 200
    assert Browser().get(stack.url + accel).status == 404  # internal: no direct way in


def test_static_files_are_served_by_the_front_with_long_cache_headers(stack):
    page = Browser().get(stack.url + "/accounts/login/").read().decode()
    css = re.search(r'href="(/static/css/base\.[0-9a-f]{12}\.css)"', page).group(1)

    response = Browser().get(stack.url + css)

    assert response.status == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_killing_a_web_replica_behind_the_front_fails_no_request(stack, transactional_db):
    url = stack.url + "/healthz"
    for _ in range(20):
        assert Browser().get(url).status == 200
    assert stack.requests_served(0) > 0 and stack.requests_served(1) > 0
    results: list[tuple[float, int]] = []
    stop = time.monotonic() + 8

    def load():
        browser = Browser()
        while time.monotonic() < stop:
            started = time.monotonic()
            try:
                status = browser.get(url).status
            except OSError:
                status = 0
            results.append((started, status))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    killed_at = time.monotonic()
    stack.kill_replica(0)
    survivor_before = stack.requests_served(1)
    for thread in threads:
        thread.join()

    after = [status for started, status in results if started > killed_at]
    failed = [status for _, status in results if status != 200]
    assert len(after) >= 50, f"only {len(after)} requests after the kill"
    assert failed == [], f"{len(failed)} of {len(results)} requests failed: {failed[:10]}"
    assert stack.requests_served(1) >= survivor_before + len(after)
    print(f"\n{len(results)} requests by 4 clients, {len(after)} after the kill, none failed")
