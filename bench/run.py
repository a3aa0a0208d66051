"""`make bench`: serve civicnet as in production and measure it with wrk.

Starts gunicorn with the site's own settings (deploy/gunicorn.conf.py, DEBUG=0, PostgreSQL,
Redis cache, whitenoise) on a loopback port against a fresh `civicnet_bench` database filled
with the demo content, and the production front (nginx with deploy/nginx.conf.template)
before it. Then loads every target below with `wrk` at 16 connections, in one run, and prints
requests/s, p50 and p99 of each with its ratio to two baselines measured in the same run:

- hello-django: a view with no database and no template returning 30 KB (bench/hello.py),
  through the same gunicorn and middleware; what Django itself costs on this machine;
- static: a 30 KB file the front (nginx) serves from disk.

Targets (issue 18), each judged PASS/FAIL; the bench exits 1 when one is missed:
  page-cache hits (anonymous)        p99 < 50 ms
  rendered anonymous pages           ≥ 1/20 of hello-django (a /vitals/ re-weighting ≥ 1/40)
  signed-in member pages             ≥ 1/15 of hello-django, p99 < 150 ms
  the staff network dashboard        as signed-in pages (issue 16: within the bench targets)
  anonymous pages through the front  ≥ 0.5 × the static file through it, p99 < 50 ms
"Rendered" pages carry a query parameter no view reads (?bench-render=1): the page cache
serves them but never stores them, so each request pays the full render, as a cache miss does.

Environment knobs (all optional): BENCH_SECONDS (5) per wrk run, BENCH_ROUNDS (1): rounds
interleaved over all targets (the median is reported), BENCH_GUNICORN (workers:threads, 3:2),
BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/civicnet_bench), BENCH_REDIS_URL
(unset: a private redis-server), BENCH_KEEP_DB=1 to keep the database, BENCH_ONLY (a
comma-separated list of labels or kinds, e.g. "member,front") to measure fewer (the two
baselines are always measured).
The server logs at WARNING (LOG_LEVEL=WARNING): one JSON line per request would otherwise
be a large part of what is measured.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.hello import PAGE as HELLO_PAGE  # noqa: E402
from scripts.loopback_stack import NGINX, start_front, stop_process  # noqa: E402

RENDER = "bench-render=1"  # a parameter no view reads: served, never cached
METRO = "/vitals/metros/pittsburgh-pa/"

# (label, path, kind). {blog_post}, {resource}, {event} and {indicator} are filled in from
# the demo content. Kinds: cached (anonymous page-cache hit), rendered, reweight (anonymous,
# never cached), member (signed in as the demo member), staff (signed in as the demo staff
# person, second factor done; judged as signed-in pages are), front (anonymous, through nginx;
# front-info is not judged).
TARGETS = [
    ("hello-django", "/bench/hello/", "hello"),
    ("/ (page cache)", "/", "cached"),
    ("/vitals/ (page cache)", "/vitals/", "cached"),
    ("metro (page cache)", METRO, "cached"),
    ("/vitals/dividends/ (page cache)", "/vitals/dividends/", "cached"),
    ("metro dividends (page cache)", METRO + "dividends/", "cached"),
    ("rankings.csv (page cache)", "/vitals/rankings.csv", "cached"),
    ("/events/ (page cache)", "/events/", "cached"),
    ("/blog/ (page cache)", "/blog/", "cached"),
    ("/library/ (page cache)", "/library/", "cached"),
    ("blog post (page cache)", "{blog_post}", "cached"),
    ("/ rendered", "/?" + RENDER, "rendered"),
    ("blog post rendered", "{blog_post}?" + RENDER, "rendered"),
    ("/library/ rendered", "/library/?" + RENDER, "rendered"),
    ("metro rendered", METRO + "?" + RENDER, "rendered"),
    ("metro dividends rendered", METRO + "dividends/?" + RENDER, "rendered"),
    ("/search/?q=city rendered", "/search/?q=city&" + RENDER, "rendered"),
    ("/vitals/ re-weighted", "/vitals/?w_{indicator}=3&" + RENDER, "reweight"),
    ("member /account/", "/account/", "member"),
    ("member library resource", "{resource}", "member"),
    ("member /network/", "/network/", "member"),
    ("member event page", "{event}", "member"),
    # Issue 16: the network dashboard over the demo's year of history (staff, second factor).
    ("staff network dashboard", "/admin/reports/network/?days=365", "staff"),
    ("static via front", "{static}", "front-static"),
    ("hello-django via front", "/bench/hello/", "front-info"),
    ("/ via front", "/", "front"),
    ("/vitals/ via front", "/vitals/", "front"),
    # Its feedback form carries each visitor's CSRF token: the front never keeps it.
    ("blog post via front (CSRF form)", "{blog_post}", "front-info"),
    ("/library/ via front", "/library/", "front"),
]
STATIC_NAME = "bench/hello-30k.html"  # written into STATIC_ROOT, served by nginx from disk

CONNECTIONS = 16
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1"))
WARMUP_SECONDS = 1
# Minimum ratio to hello-django by kind, and to the static file for pages through the front.
MIN_RATIO_TO_HELLO = {"rendered": 1 / 20, "reweight": 1 / 40, "member": 1 / 15, "staff": 1 / 15}
MIN_RATIO_TO_STATIC = {"front": 0.5}
MAX_P99_MS = {"cached": 50.0, "front": 50.0, "member": 150.0, "staff": 150.0}

# gunicorn workers:threads. gthread 3x2 served the most pages (measured on this 2-core
# machine, see deploy/gunicorn.conf.py, whose settings the bench uses).
GUNICORN = os.environ.get("BENCH_GUNICORN", "3:2")
# The two baselines every ratio is taken against are measured whatever BENCH_ONLY says.
BASELINE_KINDS = ("hello", "front-static")
ONLY = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/civicnet_bench"
)
# Unset: a private redis-server on a free loopback port, started and stopped with the bench,
# so neither the bench nor a test run elsewhere can flush the other's cache.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "")
KEEP_DB = os.environ.get("BENCH_KEEP_DB", "") == "1"
# wrk talks plain HTTP to gunicorn; this says "a TLS proxy in front", as in production.
PROXY_HEADER = ("X-Forwarded-Proto", "https")

# Printed as JSON by `manage.py shell`: the demo's pages to measure and a member's session.
FIXTURES = """
import json, time
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from blog.models import BlogPage
from events.models import Event
from library.models import ResourcePage
from vitals.models import Indicator
from members.demo import MEMBER_EMAIL, STAFF_EMAIL
client = Client()
client.force_login(get_user_model().objects.get(email=MEMBER_EMAIL))
# The staff person's session as allauth leaves it after a password and an authenticator code.
staff, staff_client = get_user_model().objects.get(email=STAFF_EMAIL), Client()
if not staff.authenticator_set.filter(type="totp").exists():
    TOTP.activate(staff, generate_totp_secret())
staff_client.force_login(staff)
session = staff_client.session
session["account_authentication_methods"] = [
    {"method": "password", "at": time.time(), "email": staff.email},
    {"method": "mfa", "at": time.time(), "id": 1, "type": "totp"},
]
session["account_authentication_methods_user"] = str(staff.pk)
session.save()
print(json.dumps({
    "blog_post": BlogPage.objects.live().order_by("pk").first().url,
    "resource": ResourcePage.objects.live().order_by("pk").first().url,
    "event": "/events/%s/" % Event.objects.order_by("-starts_at").first().slug,
    "indicator": Indicator.objects.order_by("pk").first().code,
    "cookie": "%s=%s" % (settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value),
    "staff_cookie": "%s=%s" % (settings.SESSION_COOKIE_NAME, session.session_key),
}))
"""


def main() -> int:
    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk is not installed: `apt-get install -y wrk` (Debian), then run again.")
        return 2
    if not NGINX:
        print("nginx is not installed: `apt-get install -y nginx` (Debian), then run again.")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="civicnet-bench-"))
    workdir.chmod(0o755)  # nginx's workers (nobody, under root) read static/ here
    port = _free_port()
    redis_server = None
    redis_url = REDIS_URL
    if not redis_url:
        if not shutil.which("redis-server"):
            print("redis-server is not installed: set BENCH_REDIS_URL to a Redis database to use.")
            return 2
        redis_server, redis_url = _start_redis(workdir)
    cache_prefix = f"civicnet-bench-{os.getpid()}"
    workers, threads = GUNICORN.split(":")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "civicnet.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": cache_prefix,
        "CELERY_BROKER_URL": "memory://",  # no worker: any task runs in-process
        "EMAIL_URL": "console://",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "PAGE_CACHE_SECONDS": "300",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "BENCH_HELLO": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": workers,
        "GUNICORN_THREADS": threads,
        "TRUSTED_PROXY_COUNT": "1",
    }
    server = front = None
    try:
        _check_services(redis_url)
        _recreate_database()
        print("Preparing: migrate, demo content, collectstatic ...", flush=True)
        for command in (
            ["migrate", "--noinput"],
            ["load_demo", "--force"],
            ["collectstatic", "--noinput"],
        ):
            _manage(command, env)
        fixtures = json.loads(_manage(["shell", "-c", FIXTURES], env).strip().splitlines()[-1])
        static_file = workdir / "static" / STATIC_NAME
        static_file.parent.mkdir(parents=True, exist_ok=True)
        static_file.write_bytes(HELLO_PAGE)
        fixtures["static"] = "/static/" + STATIC_NAME
        cookies = {"member": fixtures.pop("cookie"), "staff": fixtures.pop("staff_cookie")}
        targets = [
            (label, path.format(**fixtures), kind)
            for label, path, kind in TARGETS
            if not ONLY or kind in BASELINE_KINDS or {label, kind} & ONLY
        ]

        server = _start_gunicorn(env, workdir / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base + "/healthz", server, workdir / "gunicorn.log")
        front_port = _free_port()
        front = start_front(
            folder=workdir / "front",
            port=front_port,
            upstream_ports=[port],
            public_root=workdir,
            private_root=workdir / "private",
        )
        front_base = f"http://127.0.0.1:{front_port}"

        def url_of(path, kind):
            return (front_base if kind.startswith("front") else base) + path

        def headers_of(kind):
            return [f"Cookie: {cookies[kind]}"] if kind in cookies else []

        for _label, path, kind in targets:
            _warm_up(url_of(path, kind), kind, headers_of(kind))
            _wrk(wrk, url_of(path, kind), WARMUP_SECONDS, headers_of(kind))
        print(
            f"Measuring gunicorn gthread {workers}x{threads} (deploy/gunicorn.conf.py) and "
            f"nginx: wrk -c{CONNECTIONS} -d{SECONDS}s, {ROUNDS} round(s)",
            flush=True,
        )
        load_before = os.getloadavg()
        runs: dict[str, list[dict]] = {label: [] for label, _path, _kind in targets}
        for _round in range(ROUNDS):
            for label, path, kind in targets:
                # The front drops a page no one asked for in a minute (inactive=60s): ask once,
                # so the run measures its steady state rather than refilling it.
                _get(url_of(path, kind), headers_of(kind))
                runs[label].append(_wrk(wrk, url_of(path, kind), SECONDS, headers_of(kind)))
        load_after = os.getloadavg()
    finally:
        if front is not None:
            stop_process(front)
        if server is not None:
            _stop(server)
        if redis_server is not None:
            _stop(redis_server)
        else:
            _forget_cache(redis_url, cache_prefix)
        if not KEEP_DB:
            _drop_database()
        shutil.rmtree(workdir, ignore_errors=True)

    results = {label: _median(measured) for label, measured in runs.items()}
    kinds = {label: kind for label, _path, kind in targets}
    failed = _report(results, kinds)
    print(
        f"\nload average (1, 5, 15 min) before: {', '.join(f'{x:.1f}' for x in load_before)}; "
        f"after: {', '.join(f'{x:.1f}' for x in load_after)}; {os.cpu_count()} cores"
    )
    if load_after[0] > (os.cpu_count() or 1):
        print("The machine was busy with other work: read the ratios, not the absolute figures.")
    return 1 if failed else 0


def _median(measured: list[dict]) -> dict:
    return {
        name: statistics.median(result[name] for result in measured)
        for name in ("rps", "p50", "p99", "errors")
    }


def _report(results: dict, kinds: dict) -> bool:
    """Print one table with each target's ratios and verdict; True when one missed it."""
    hello = results.get("hello-django", {}).get("rps") or 0.0
    static = results.get("static via front", {}).get("rps") or 0.0
    width = max(len(label) for label in results)
    print(
        f"\n{'target':<{width}}  {'req/s':>8}  {'p50 ms':>7}  {'p99 ms':>7}  "
        f"{'÷ hello':>8}  {'÷ static':>8}  errors  verdict"
    )
    failed = False
    for label, result in results.items():
        kind = kinds[label]
        to_hello = result["rps"] / hello if hello else 0.0
        to_static = result["rps"] / static if static else 0.0
        misses = []
        if kind in MIN_RATIO_TO_HELLO and to_hello < MIN_RATIO_TO_HELLO[kind]:
            misses.append(f"< 1/{1 / MIN_RATIO_TO_HELLO[kind]:.0f} hello")
        if kind in MIN_RATIO_TO_STATIC and to_static < MIN_RATIO_TO_STATIC[kind]:
            misses.append(f"< {MIN_RATIO_TO_STATIC[kind]} static")
        if kind in MAX_P99_MS and result["p99"] >= MAX_P99_MS[kind]:
            misses.append(f"p99 ≥ {MAX_P99_MS[kind]:.0f} ms")
        if result["errors"]:
            misses.append("errors")
        judged = kind in MIN_RATIO_TO_HELLO or kind in MIN_RATIO_TO_STATIC or kind in MAX_P99_MS
        verdict = ("FAIL " + ", ".join(misses)) if misses else ("PASS" if judged else "")
        failed |= bool(misses)
        print(
            f"{label:<{width}}  {result['rps']:>8.0f}  {result['p50']:>7.2f}  "
            f"{result['p99']:>7.2f}  {_ratio(to_hello):>8}  {_ratio(to_static):>8}  "
            f"{result['errors']:>6.0f}  {verdict}"
        )
    return failed


def _ratio(value: float) -> str:
    """0.55 as "0.55", small ratios as "1/77", the way the issue quotes them."""
    if value <= 0:
        return "-"
    return f"{value:.2f}" if value >= 0.5 else f"1/{1 / value:.0f}"


# --- the server -----------------------------------------------------------------------------
def _manage(args: list[str], env: dict) -> str:
    completed = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-3000:] + completed.stderr[-3000:])
        raise SystemExit(f"manage.py {' '.join(args)[:60]} failed.")
    return completed.stdout


def _start_gunicorn(env: dict, log: Path) -> subprocess.Popen:
    """gunicorn as deployed (deploy/gunicorn.conf.py), but never recycling a worker: a
    worker's restart in the middle of a 5-second run would be measured as the page's cost."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "civicnet.wsgi:application",
        "--config=deploy/gunicorn.conf.py",
        "--max-requests=0",
        "--log-level=warning",
        f"--error-logfile={log}",
    ]
    return subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
        command, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    # The first request of each worker loads every URLconf: slow on a busy machine.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            if _get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {url} within 180 s:\n{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # gunicorn stops its workers gracefully
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _warm_up(url: str, kind: str, headers: list[str]) -> None:
    for _ in range(3):
        status, answer, body = _get(url, headers)
    if status != 200:
        raise SystemExit(f"{url} answered {status}, not 200.")
    expected = {"cached": "hit", "rendered": "bypass", "reweight": "bypass"}.get(kind)
    if expected and answer.get("X-Page-Cache") != expected:
        print(
            f"warning: {url} answered X-Page-Cache: {answer.get('X-Page-Cache')}, not {expected}."
        )
    if kind == "staff" and b"Network dashboard" not in body:
        print(f"warning: {url} does not look like the staff dashboard.")
    if kind == "member" and b"/accounts/logout/" not in body:
        print(f"warning: {url} does not look signed in.")


def _get(url: str, headers: list[str] = ()):
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url, headers=dict([PROXY_HEADER, *(h.split(": ", 1) for h in headers)])
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, b""


# --- wrk -----------------------------------------------------------------------------------
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _wrk(wrk: str, url: str, seconds: int, headers: list[str]) -> dict:
    completed = subprocess.run(  # noqa: S603 (wrk found on PATH, fixed arguments)
        [
            wrk,
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--latency",
            "--timeout=10s",  # a slow page is measured, not counted as an error
            "-H",
            f"{PROXY_HEADER[0]}: {PROXY_HEADER[1]}",
            *(argument for header in headers for argument in ("-H", header)),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return _parse_wrk(completed.stdout)


def _parse_wrk(output: str) -> dict:
    def latency(percentile: str) -> float:
        match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        return float(match.group(1)) * _UNITS_MS[match.group(2)]

    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in match.groups())
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": errors,
    }


# --- services ------------------------------------------------------------------------------
def _check_services(redis_url: str) -> None:
    import psycopg
    import redis

    try:
        psycopg.connect(_maintenance_url(), connect_timeout=3).close()
    except psycopg.Error as error:
        raise SystemExit(f"PostgreSQL is not reachable at {_maintenance_url()}: {error}") from error
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        raise SystemExit(f"Redis is not reachable at {redis_url}: {error}") from error


def _database_name() -> str:
    return urlsplit(DATABASE_URL).path.lstrip("/")


def _maintenance_url() -> str:
    return urlunsplit(urlsplit(DATABASE_URL)._replace(path="/postgres"))


def _recreate_database() -> None:
    import psycopg
    from psycopg import sql

    if "bench" not in _database_name():
        raise SystemExit(f"Refusing to recreate {_database_name()!r}: its name must say bench.")

    with psycopg.connect(_maintenance_url(), autocommit=True) as connection:
        name = sql.Identifier(_database_name())
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))


def _drop_database() -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_maintenance_url(), autocommit=True) as connection:
        name = sql.Identifier(_database_name())
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def _start_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    import redis

    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 (redis-server found on PATH, fixed arguments)
        [
            shutil.which("redis-server"),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            return server, url
        except redis.RedisError:
            if time.monotonic() > deadline or server.poll() is not None:
                _stop(server)
                raise SystemExit("The bench's own redis-server did not start.") from None
            time.sleep(0.1)


def _forget_cache(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
