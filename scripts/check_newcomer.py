"""Checks a freshly started `make run`: the first pages answer and the printed logins work."""

import re
import sys
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

LOGINS = {
    "member": ("member@civicnet.example", "civicnet-member-demo", "/account/"),
    "staff": ("staff@civicnet.example", "civicnet-staff-demo", "/admin/"),
}


def fetch(opener, url: str, data: dict | None = None, referer: str = "") -> tuple[int, str, str]:
    body = urlencode(data).encode() if data is not None else None
    # Only ever http://127.0.0.1:<port>, built by check_make_run.sh.
    request = Request(url, data=body, headers={"Referer": referer} if referer else {})  # noqa: S310
    try:
        with opener.open(request, timeout=30) as response:  # noqa: S310
            return response.status, response.geturl(), response.read().decode()
    except HTTPError as error:
        return error.code, url, ""


def main(base: str) -> int:
    failures = []
    opener = build_opener()
    status, _, blog = fetch(opener, f"{base}/blog/")
    section_pages = {"feed", "category", "tag", "author", "series"}
    posts = re.findall(r'href="/blog/([a-z0-9-]+)/"', blog)
    post = next((f"/blog/{slug}/" for slug in posts if slug not in section_pages), None)
    pages = ["/", "/vitals/", "/accounts/login/"] + ([post] if post else [])
    if not post:
        failures.append("/blog/ lists no post")
    for path in pages:
        status, _, _ = fetch(opener, base + path)
        print(f"  {status} {path}")
        if status != 200:
            failures.append(f"{path} answered {status}")

    for who, (email, password, page) in LOGINS.items():
        opener = build_opener(HTTPCookieProcessor(CookieJar()))
        login = f"{base}/accounts/login/"
        _, _, form = fetch(opener, login)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        if not token:
            failures.append("the login page has no form")
            continue
        fields = {"csrfmiddlewaretoken": token.group(1), "login": email, "password": password}
        fetch(opener, login, fields, referer=login)
        status, final_url, _ = fetch(opener, base + page)
        signed_in = status == 200 and "/accounts/login/" not in final_url
        print(f"  {'ok' if signed_in else 'FAILED'} {who} login ({email}) then {page}")
        if not signed_in:
            failures.append(f"the {who} demo login did not open {page}")

    for failure in failures:
        print(f"make run check: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
