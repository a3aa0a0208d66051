"""Checks the demo as `make run` serves it: the main page of each kind answers a visitor, the demo
member and staff as it should, with its content, and the printed logins work.

    check_newcomer.py http://127.0.0.1:8100   a running server (scripts/check_make_run.sh, CI)
    check_newcomer.py --in-process            Django's test client on the database that the
                                              environment's settings name (the suite's SQLite
                                              check, tests/civicnet/test_demo_on_sqlite.py)
"""

import logging
import os
import re
import sys
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode, urlsplit
from urllib.request import HTTPCookieProcessor, Request, build_opener

LOGINS = {
    "member": ("member@civicnet.example", "civicnet-member-demo", "/account/"),
    "staff": ("staff@civicnet.example", "civicnet-staff-demo", "/admin/"),
}
PERSONAS = ["visitor", "member", "staff"]
LOGIN = "/accounts/login/"

# A page of each kind: its path (or the listing whose first link of the pattern gives it), a
# text it shows when served, and what the visitor, the member and staff (in that order) get:
# 200 the page, 403 the join prompt or a refusal, "login" sent to sign in first.
PAGES = [
    ("/", "Prize Challenges", "200 200 200"),
    ("/blog/", "Blog · civicnet", "200 200 200"),
    (("/blog/", r"/blog/(?!feed/)[a-z0-9-]+/"), "min read", "200 200 200"),
    ("/library/", "Resource library", "200 200 200"),
    (("/library/", r"/library/(?!feed/)[a-z0-9-]+/"), "Resource library", "200 200 200"),
    ("/vitals/", "Where does your metro rank?", "200 200 200"),
    (("/vitals/", r"/vitals/metros/[a-z0-9-]+/"), "The headline indicators", "200 200 200"),
    ("/events/", 'href="/events/past/"', "200 200 200"),
    (("/events/", r"/events/(?!past/)[a-z0-9-]+/"), "Add to calendar", "200 200 200"),
    ("/search/?q=city", "results for “city”", "200 200 200"),
    ("/network/", "National Network", "403 200 200"),
    ("/account/", "Your account", "login 200 200"),
    ("/admin/", "Site summary", "login 403 200"),
]


class HttpBrowser:
    """A browser with its own cookies, on a running server."""

    def __init__(self, base: str):
        self.base = base
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def fetch(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """Status, path reached after redirects, and body."""
        body = urlencode(data).encode() if data is not None else None
        headers = {"Referer": self.base + path} if data is not None else {}
        # Only ever http://127.0.0.1:<port>, built by check_make_run.sh.
        request = Request(self.base + path, data=body, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:  # noqa: S310
                return response.status, urlsplit(response.geturl()).path, response.read().decode()
        except HTTPError as error:
            return error.code, path, error.read().decode(errors="replace")


class ClientBrowser:
    """Django's test client in this process: the same requests without a server."""

    def __init__(self):
        from django.test import Client

        self.client = Client(raise_request_exception=False)

    def fetch(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        if data is None:
            response = self.client.get(path, follow=True)
        else:
            response = self.client.post(path, data, follow=True)
        reached = response.redirect_chain[-1][0] if response.redirect_chain else path
        return response.status_code, urlsplit(reached).path, response.content.decode()


def sign_in(browser, email: str, password: str) -> bool:
    _, _, form = browser.fetch(LOGIN)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if not token:
        return False
    fields = {"csrfmiddlewaretoken": token.group(1), "login": email, "password": password}
    browser.fetch(LOGIN, fields)
    return True


def find_pages(browser, failures: list[str]) -> list[tuple]:
    """PAGES with each listing's first link in place of (listing, pattern)."""
    pages = []
    for path, text, expected in PAGES:
        if isinstance(path, tuple):
            listing, pattern = path
            _, _, html = browser.fetch(listing)
            found = re.search(rf'href="({pattern})"', html)
            if not found:
                failures.append(f"{listing} links to no page like {pattern}")
                continue
            path = found.group(1)
        pages.append((path, text, expected.split()))
    return pages


def check_pages(new_browser) -> list[str]:
    failures = []
    visitor = new_browser()
    pages = find_pages(visitor, failures)
    browsers = {"visitor": visitor}
    for who, (email, password, page) in LOGINS.items():
        browser = new_browser()
        signed_in = sign_in(browser, email, password)
        status, reached, _ = browser.fetch(page)
        signed_in = signed_in and status == 200 and reached == page
        print(f"  {'ok' if signed_in else 'FAILED'} {who} login ({email}) then {page}")
        if not signed_in:
            failures.append(f"the {who} demo login did not open {page}")
        browsers[who] = browser
    for path, text, expected in pages:
        for who, wanted in zip(PERSONAS, expected, strict=True):
            status, reached, html = browsers[who].fetch(path)
            got = str(status)
            if status == 200 and reached != urlsplit(path).path:
                got = "login" if reached.endswith("/login/") else f"200 at {reached}"
            print(f"  {got:>6} {who:<7} {path}")
            if got != wanted:
                failures.append(f"{path} gave the {who} {got}, not {wanted}")
            elif got == "200" and text not in html:
                failures.append(f"{path} does not show the {who} {text!r}")
    return failures


def in_process_browser():
    """Django set up as manage.py does, from the environment (DATABASE_URL and the rest)."""
    import django

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicnet.settings")
    django.setup()
    logging.disable(logging.INFO)  # one line per request; errors and their tracebacks stay
    return ClientBrowser


def main(target: str) -> int:
    new_browser = in_process_browser() if target == "--in-process" else lambda: HttpBrowser(target)
    failures = check_pages(new_browser)
    for failure in failures:
        print(f"make run check: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
