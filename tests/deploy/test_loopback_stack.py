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
from django.conf import settings
from django.db import connection

from scripts.loopback_stack import LoopbackStack
from tests.civicnet.factories import make_home_page, make_standard_page
from tests.conftest import wait_for
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
    # Counted before the kill and timed after it: a request started later can only reach the
    # survivor, and none of those is in its count yet.
    survivor_before = stack.requests_served(1)
    stack.kill_replica(0)
    killed_at = time.monotonic()
    for thread in threads:
        thread.join()

    after = [status for started, status in results if started > killed_at]
    failed = [status for _, status in results if status != 200]
    assert len(after) >= 50, f"only {len(after)} requests after the kill"
    assert failed == [], f"{len(failed)} of {len(results)} requests failed: {failed[:10]}"
    assert stack.requests_served(1) >= survivor_before + len(after)
    print(f"\n{len(results)} requests by 4 clients, {len(after)} after the kill, none failed")


def _publish_heading(stack, page_id: int, heading: str) -> None:
    """Publish as staff would, in a process of the stack (so its own cache Redis hears it)."""
    stack.manage(
        "shell",
        "--no-imports",
        "-c",
        "from wagtail.models import Page;"
        f"page = Page.objects.get(pk={page_id}).specific; page.hero_heading = {heading!r};"
        "page.save_revision().publish()",
    )


def test_the_front_keeps_an_anonymous_page_briefly_and_shows_a_publish_within_that(
    stack, transactional_db
):
    home = make_home_page(hero_heading="Cities, together")
    first = Browser().get(stack.url + "/")
    second = Browser().get(stack.url + "/")
    assert first.status == second.status == 200
    assert second.headers["X-Front-Cache"] == "HIT"
    assert "X-Accel-Expires" not in second.headers  # nginx keeps its own header
    assert second.read() == first.read()

    _publish_heading(stack, home.pk, "Cities, renamed")
    published = time.monotonic()

    def renamed():
        return "Cities, renamed" in Browser().get(stack.url + "/").read().decode()

    wait_for(renamed, timeout=settings.FRONT_CACHE_SECONDS + 3)
    # Within the front's validity (plus the one request that refreshes an expired copy).
    assert time.monotonic() - published <= settings.FRONT_CACHE_SECONDS + 1.5


def test_a_signed_in_person_never_gets_the_fronts_copy(stack, transactional_db):
    make_home_page()
    make_member(email="front@example.org")

    def front_has_a_copy():
        return Browser().get(stack.url + "/").headers["X-Front-Cache"] == "HIT"

    # An earlier test's copy may come first (STALE), while one request refreshes it.
    wait_for(front_has_a_copy, timeout=settings.FRONT_CACHE_SECONDS + 3)
    member = Browser()
    member.log_in(stack.url, "front@example.org")

    response = member.get(stack.url + "/")

    assert response.headers["X-Front-Cache"] == "BYPASS"
    assert "My account" in response.read().decode()
    assert "private" in response.headers["Cache-Control"]


def test_the_front_never_keeps_a_page_with_a_csrf_token(stack, transactional_db):
    make_standard_page(make_home_page())  # its feedback form carries a CSRF token
    responses = [Browser().get(stack.url + "/about/") for _ in range(3)]
    pages = [response.read().decode() for response in responses]

    assert all(response.status == 200 for response in responses)
    assert all(response.headers["X-Front-Cache"] == "MISS" for response in responses)
    assert all("csrftoken=" in response.headers["Set-Cookie"] for response in responses)
    tokens = {re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', p).group(1) for p in pages}
    assert len(tokens) == 3  # each visitor their own token, as without the front
