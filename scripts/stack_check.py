# ruff: noqa: S603, S310 (fixed commands; URLs are loopback addresses written here)
"""`make stack-check`: build the image, start the whole docker-compose stack on loopback,
check it the way a visitor and an operator would, then tear it down.

Needs Docker (dockerd, docker-compose). On a machine without a registry it builds the local
stand-ins for the official images first (STANDINS, default ../shared/tools/docker-standins
beside the repository) and runs compose with docker-compose.noports.yml (strip-ports) and
deploy/docker-compose.loopback.yml: host networking, everything on 127.0.0.1. Checks:
  1. the front answers /healthz and the home page is the site (not Wagtail's welcome page),
     with static files from nginx (immutable cache headers), over 3 web replicas;
  2. a member made with manage.py inside the stack signs in through the front;
  3. a members-only document comes through the front by X-Accel-Redirect (the replica sends
     no bytes) and a visitor does not get it;
  4. a newsletter sign-up queues a task, the mail worker sends it, the catcher has it, and
     its link is on the address the stack serves (http here, as SITE_URL says);
  5. a password reset email (sent by web) links to the same address.
Exit status 0 only when every check passed. STACK_KEEP=1 leaves the stack running.
"""

import http.cookiejar
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT = "civicnet-stackcheck"
FRONT = "http://127.0.0.1:58080"
REPLICA = "http://127.0.0.1:58000"
MAIL_API = "http://127.0.0.1:58025/api/v1"
PORTS = [58080, 58000, 55432, 56379, 56380, 51025, 58025]
MAILPIT_TAG = "axllent/mailpit:v1.21.8"  # the tag docker-compose.yml pins
MEMBER_EMAIL, MEMBER_PASSWORD = "stack-member@civicnet.example", secrets.token_urlsafe(16)
DOCUMENT_BYTES = b"%PDF-1.4\n% stack-check: members only\n"
REPLICAS = 3

results: list[tuple[bool, str]] = []


def log(message: str) -> None:
    print(f"[stack-check] {message}", flush=True)


def check(ok: bool, what: str) -> bool:
    results.append((ok, what))
    print(f"{'PASS' if ok else 'FAIL'}  {what}", flush=True)
    return ok


def run(*args: str, check_rc: bool = True, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=BASE_DIR, text=True, capture_output=True, **kwargs)
    if check_rc and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return result


def standins_dir() -> Path:
    if os.environ.get("STANDINS"):
        return Path(os.environ["STANDINS"])
    for parent in (BASE_DIR.parent, BASE_DIR.parent.parent):
        candidate = parent / "shared" / "tools" / "docker-standins"
        if candidate.exists():
            return candidate
    raise RuntimeError("docker-standins not found: set STANDINS to its folder.")


def compose(*args: str, check_rc: bool = True, timeout: int = 1800) -> subprocess.CompletedProcess:
    files = ["-f", "docker-compose.noports.yml", "-f", "deploy/docker-compose.loopback.yml"]
    return run("docker-compose", "-p", PROJECT, *files, *args, check_rc=check_rc, timeout=timeout)


def manage_in_stack(code: str) -> str:
    return (
        compose("exec", "-T", "web", "python", "manage.py", "shell", "--no-imports", "-c", code)
        .stdout.strip()
        .splitlines()[-1]
    )


class Browser:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def open(self, url: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            return self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            return error

    def csrf_post(self, url: str, data: dict):
        page = self.open(url).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        data = {**data, "csrfmiddlewaretoken": token.group(1) if token else ""}
        return self.open(url, data, headers={"Origin": FRONT, "Referer": url})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except (OSError, ValueError):
            pass
        time.sleep(1)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def mail_to(address: str):
    listing = json.load(urllib.request.urlopen(MAIL_API + "/messages", timeout=5))  # noqa: S310
    for message in listing["messages"]:
        if address in message["To"]:
            return json.load(
                urllib.request.urlopen(f"{MAIL_API}/message/{message['ID']}", timeout=5)
            )  # noqa: S310
    return None


def prepare() -> None:
    for tool in ("docker", "docker-compose"):
        if not shutil.which(tool):
            raise RuntimeError(
                f"{tool} is missing: run {standins_dir()}/build (installs Debian's docker.io, docker-compose)"
            )
    standins = standins_dir()
    # Starts a bridgeless dockerd when none runs, and builds only the images that are missing.
    log(f"stand-in images ({standins}/build --no-varnish)")
    run(str(standins / "build"), "--no-varnish", timeout=1800)
    if run("docker", "image", "inspect", MAILPIT_TAG, check_rc=False).returncode != 0:
        # The stand-in is built as :latest only; the compose file pins a real release.
        run("docker", "tag", "axllent/mailpit:latest", MAILPIT_TAG)
    busy = [port for port in PORTS if _listening(port)]
    if busy:
        raise RuntimeError(f"ports already in use on 127.0.0.1: {busy}")
    run(str(standins / "strip-ports"), "docker-compose.yml", "docker-compose.noports.yml")


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def checks() -> None:
    # 1. Up, scaled, serving the site.
    health = wait_until(
        lambda: Browser().open(FRONT + "/healthz").status == 200, 180, "the front's /healthz"
    )
    check(health, "front proxy answers /healthz (nginx -> gunicorn)")
    webs = compose("ps", "-q", "web").stdout.split()
    check(len(webs) == REPLICAS, f"{len(webs)} web replicas running (--scale web={REPLICAS})")
    home = Browser().open(FRONT + "/")
    html = home.read().decode()
    check(
        home.status == 200
        and "We build and activate cross-sector teams." in html
        and "Welcome to your new Wagtail site" not in html,
        f"home page is the site, not Wagtail's welcome page (HTTP {home.status})",
    )
    vitals = Browser().open(FRONT + "/vitals/metros/pittsburgh-pa/")
    check(
        vitals.status == 200,
        f"City Vitals data loaded by bootstrap_site (metro page HTTP {vitals.status})",
    )
    css = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', html)
    static = Browser().open(FRONT + css.group(1)) if css else None
    check(
        static is not None
        and static.status == 200
        and "immutable" in (static.headers["Cache-Control"] or ""),
        f"static file from nginx: {css.group(1) if css else '?'} Cache-Control: "
        f"{static.headers['Cache-Control'] if static else '-'}",
    )
    demo = Browser().csrf_post(
        FRONT + "/accounts/login/",
        {"login": "member@civicnet.example", "password": "civicnet-member-demo"},
    )
    check(
        demo.status == 200, f"no demo logins: the demo member cannot sign in (HTTP {demo.status})"
    )

    # 2. A member, made inside the stack, signs in through the front.
    made = manage_in_stack(
        "from allauth.account.models import EmailAddress;"
        "from django.contrib.auth import get_user_model;"
        "from members.models import Membership;"
        "from members.services import membership_set;"
        f"u, _ = get_user_model().objects.get_or_create(username='stack-member', email={MEMBER_EMAIL!r});"
        f"u.set_password({MEMBER_PASSWORD!r}); u.save();"
        "EmailAddress.objects.update_or_create(user=u, email=u.email, defaults={'verified': True, 'primary': True});"
        "membership_set(user=u, status=Membership.Status.ACTIVE, current_period_end=None, is_complimentary=True, note='stack-check');"
        "print('member', u.pk)"
    )
    member = Browser()
    login = member.csrf_post(
        FRONT + "/accounts/login/", {"login": MEMBER_EMAIL, "password": MEMBER_PASSWORD}
    )
    account = member.open(FRONT + "/account/")
    check(
        made.startswith("member") and login.status == 302 and account.status == 200,
        f"member made with manage.py in the stack signs in through the front "
        f"(login HTTP {login.status}, /account/ HTTP {account.status})",
    )

    # 3. A members-only document, through the front by X-Accel-Redirect.
    document_url = manage_in_stack(
        "from django.core.files.base import ContentFile;"
        "from wagtail.documents import get_document_model;"
        "from library.selectors import library_collection;"
        "d = get_document_model().objects.create(title='Stack check minutes', collection="
        f"library_collection(), file=ContentFile({DOCUMENT_BYTES!r}, name='stack-check.pdf'));"
        "print(d.url)"
    ).splitlines()[-1]
    through_front = member.open(FRONT + document_url)
    body = through_front.read()
    direct = member.open(REPLICA + document_url)
    accel = direct.headers["X-Accel-Redirect"]
    direct_body = direct.read()
    visitor = Browser().open(FRONT + document_url)
    check(
        through_front.status == 200 and body == DOCUMENT_BYTES,
        f"member gets the document through the front (HTTP {through_front.status}, {len(body)} bytes)",
    )
    check(
        bool(accel) and accel.startswith("/_private/") and direct_body == b"",
        f"the replica only answers X-Accel-Redirect: {accel!r} ({len(direct_body)} bytes of body)",
    )
    check(visitor.status != 200, f"a visitor does not get it (HTTP {visitor.status})")
    if accel:
        check(Browser().open(FRONT + accel).status == 404, f"{accel} is internal: 404 from outside")

    # 4. A task through the worker, an email in the catcher.
    subscriber = f"stack-reader-{secrets.token_hex(3)}@example.org"
    form = Browser().open(FRONT + "/newsletter/subscribe/").read().decode()
    topics = re.findall(r'name="topics" value="([^"]+)"', form)
    signup = Browser().csrf_post(
        FRONT + "/newsletter/subscribe/", {"email": subscriber, "topics": topics}
    )
    sent = wait_until(lambda: mail_to(subscriber), 90, f"the confirmation email to {subscriber}")
    links = re.findall(r"https?://[^\s\"'<>]+", sent.get("Text", ""))
    worker_log = compose("logs", "--no-color", "worker-mail").stdout
    check(
        signup.status == 302 and "newsletter.send_confirmation_email" in worker_log,
        "newsletter sign-up queued a task and the mail worker ran it (queue mail)",
    )
    check(
        bool(links) and all(link.startswith(FRONT + "/") for link in links),
        f"email reached the catcher; its links are on {FRONT}: {links[:2]}",
    )

    # 5. An account email (allauth, sent by web) links to the address actually served.
    reset = Browser().csrf_post(FRONT + "/accounts/password/reset/", {"email": MEMBER_EMAIL})
    mail = wait_until(lambda: mail_to(MEMBER_EMAIL), 60, "the password reset email")
    reset_links = re.findall(r"https?://\S+/accounts/password/reset/key/\S+", mail.get("Text", ""))
    check(
        reset.status == 302 and bool(reset_links) and reset_links[0].startswith(FRONT + "/"),
        f"password reset link follows SITE_URL: {reset_links[0] if reset_links else 'none'}",
    )


def main() -> int:
    env_backup = dict(os.environ)
    os.environ.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        POSTGRES_PASSWORD=secrets.token_urlsafe(16),
        WEB_CONCURRENCY="1",  # 3 replicas x 1 worker x 2 threads: enough for 2 shared cores
        CIVICNET_TAG="stackcheck",
    )
    started = time.monotonic()
    try:
        prepare()
        log("docker-compose build (app and front images)")
        compose("build")
        log(f"docker-compose up -d --scale web={REPLICAS}")
        compose("up", "-d", "--scale", f"web={REPLICAS}")
        checks()
    except Exception as error:  # report, then tear down: a half-started stack helps nobody
        check(False, f"stack-check stopped: {error}")
        print(compose("ps", check_rc=False).stdout)
        print(compose("logs", "--no-color", "--tail", "40", check_rc=False).stdout[-8000:])
    finally:
        if os.environ.get("STACK_KEEP") != "1":
            log("docker-compose down -v")
            compose("down", "-v", "--remove-orphans", check_rc=False)
        os.environ.clear()
        os.environ.update(env_backup)
    failed = [what for ok, what in results if not ok]
    log(
        f"{len(results) - len(failed)} passed, {len(failed)} failed "
        f"in {time.monotonic() - started:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
