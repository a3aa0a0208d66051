"""`make bench`: serve civicnet as in production and measure it with wrk.

Starts gunicorn (DEBUG=0, PostgreSQL, Redis cache, whitenoise) on a loopback port against a
fresh `civicnet_bench` database filled with the demo content, warms it up, then loads each
page below and one static file with `wrk` at 16 connections, in the same run, and prints
requests/s, p50 and p99 for each. Target, for every page: at least half the requests/s of
the static file, and p99 under 50 ms. Exits 1 when a target is missed.

Then the same paths through the production front (nginx with deploy/nginx.conf.template
before the same gunicorn), reported without targets (nginx serves the static file itself).
Add pages to PAGES as the site grows. Environment knobs (all optional):
  BENCH_SECONDS (10), BENCH_GUNICORN (see GUNICORN below),
  BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/civicnet_bench),
  BENCH_REDIS_URL (unset: a private redis-server), BENCH_KEEP_DB=1 to keep the database,
  BENCH_FRONT=0 to skip the front.
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

from scripts.loopback_stack import NGINX, start_front, stop_process  # noqa: E402


def front_available() -> bool:
    return bool(NGINX)


# Anonymous pages to measure, each against the static file. Later issues add theirs here.
PAGES = [
    "/",
    "/vitals/",
    "/vitals/metros/pittsburgh-pa/",
    "/vitals/dividends/",
    "/vitals/metros/pittsburgh-pa/dividends/",
    "/vitals/rankings.csv",
    "/events/",
    "/blog/",
    "/library/",
]
STATIC_FILE = "css/base.css"  # requested by its hashed name from the static manifest

CONNECTIONS = 16
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WARMUP_SECONDS = 2
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0

# gunicorn as worker-class:workers:threads; BENCH_GUNICORN may list several, comma-separated,
# to compare them in one run. Measured on this 2-core machine while other test runs kept its
# load average at 8-16, so only the ranking means much (home-page hits / static file, req/s):
#   gthread 3x2: 1438 / 2126     gthread 3x4: 1049 / 1300     gthread 2x4: 847-915 / 1079-1782
#   gthread 2x8:  845 /  848     sync 3x1:     601 / 1602     sync 4x1:    316-964 / 766-950
# gthread keeps connections alive (a sync worker pays a TCP handshake per request) and while
# one thread waits on Redis another runs; 3 workers x 2 threads served the most pages.
GUNICORN = os.environ.get("BENCH_GUNICORN", "gthread:3:2")

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/civicnet_bench"
)
# Unset: a private redis-server on a free loopback port, started and stopped with the bench,
# so neither the bench nor a test run elsewhere can flush the other's cache.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "")
KEEP_DB = os.environ.get("BENCH_KEEP_DB", "") == "1"
# Also measure every path through the production front (nginx with deploy/nginx.conf.template
# in front of the same gunicorn); BENCH_FRONT=0 skips it.
FRONT = os.environ.get("BENCH_FRONT", "1") != "0"
# wrk talks plain HTTP to gunicorn; this says "a TLS proxy in front", as in production.
PROXY_HEADER = ("X-Forwarded-Proto", "https")


def main() -> int:
    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk is not installed: `apt-get install -y wrk` (Debian), then run again.")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="civicnet-bench-"))
    port = _free_port()
    redis_server = None
    redis_url = REDIS_URL
    if not redis_url:
        if not shutil.which("redis-server"):
            print("redis-server is not installed: set BENCH_REDIS_URL to a Redis database to use.")
            return 2
        redis_server, redis_url = _start_redis(workdir)
    cache_prefix = f"civicnet-bench-{os.getpid()}"
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
    }
    server = front = None
    results: dict[str, dict] = {}
    front_results: dict[str, dict] = {}
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
        manifest = json.loads((workdir / "static" / "staticfiles.json").read_text())
        static_path = "/static/" + manifest["paths"][STATIC_FILE]

        targets = [static_path, *PAGES]
        base = f"http://127.0.0.1:{port}"
        for config in GUNICORN.split(","):
            worker_class, workers, threads = config.strip().split(":")
            server = _start_gunicorn(
                port, env, workdir / "gunicorn.log", worker_class, workers, threads
            )
            _wait_until_up(base + "/healthz", server, workdir / "gunicorn.log")
            for path in targets:
                _warm_up(base + path, is_page=path in PAGES)
                _wrk(wrk, base + path, WARMUP_SECONDS)
            label = f"gunicorn {worker_class}, {workers} workers × {threads} threads"
            print(f"Measuring {label}: wrk -c{CONNECTIONS} -d{SECONDS}s each", flush=True)
            load_before = os.getloadavg()[0]
            measured = {path: _wrk(wrk, base + path, SECONDS) for path in targets}
            load = f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f}"
            results[f"{label} ({load} on {os.cpu_count()} cores)"] = measured
            if FRONT and front_available():
                # The same pages through the production front (deploy/nginx.conf.template):
                # static files now come from nginx, pages still from this gunicorn.
                front_port = _free_port()
                workdir.chmod(0o755)  # nginx's workers (nobody, under root) read static/ here
                front = start_front(
                    folder=workdir / "front",
                    port=front_port,
                    upstream_ports=[port],
                    public_root=workdir,
                    private_root=workdir / "private",
                )
                front_base = f"http://127.0.0.1:{front_port}"
                for path in targets:
                    _warm_up(front_base + path, is_page=path in PAGES)
                print(f"Measuring through the front (nginx) → {label}", flush=True)
                load_before = os.getloadavg()[0]
                measured = {path: _wrk(wrk, front_base + path, SECONDS) for path in targets}
                load = f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f}"
                front_results[f"front (nginx) → {label} ({load})"] = measured
                stop_process(front)
            _stop(server)
            server = None
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

    failed = False
    for label, measured in results.items():
        print(f"\n{label}")
        failed |= _report(measured, static_label=static_path)
    for label, measured in front_results.items():
        # Informational: nginx serves the static file from disk, far faster than whitenoise,
        # so "× static" here says how far pages are from nginx's own speed; the targets
        # above judge the app. Any error through the front still fails the bench.
        print(f"\n{label}")
        _report(measured, static_label=static_path, verdict=False)
        failed |= any(result["errors"] for result in measured.values())
    if FRONT and not front_available():
        print(
            "\nnginx is not installed (apt-get install -y nginx): not measured through the front."
        )
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print("\nThe machine was busy with other work: latencies above say more about it than us.")
    return 1 if failed else 0


def _report(results: dict, *, static_label: str, verdict: bool = True) -> bool:
    """Print one table and the verdict per page; True when a page missed its target."""
    static_rps = results[static_label]["rps"]
    width = max(len(label) for label in results)
    print(f"{'path':<{width}}  {'req/s':>9}  {'p50 ms':>7}  {'p99 ms':>7}  {'× static':>8}  errors")
    for label, result in results.items():
        ratio = result["rps"] / static_rps if static_rps else 0.0
        print(
            f"{label:<{width}}  {result['rps']:>9.0f}  {result['p50']:>7.2f}  "
            f"{result['p99']:>7.2f}  {ratio:>8.2f}  {result['errors']}"
        )
    print()
    failed = False
    for page in PAGES if verdict else []:
        result = results[page]
        ratio = result["rps"] / static_rps if static_rps else 0.0
        ok = ratio >= TARGET_RATIO and result["p99"] < TARGET_P99_MS and not result["errors"]
        failed |= not ok
        print(
            f"{'PASS' if ok else 'FAIL'} {page}: {ratio:.2f} × static req/s "
            f"(target ≥ {TARGET_RATIO}), p99 {result['p99']:.1f} ms "
            f"(target < {TARGET_P99_MS:.0f} ms), {result['errors']} errors"
        )
    return failed


# --- the server -----------------------------------------------------------------------------
def _manage(args: list[str], env: dict) -> None:
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
        raise SystemExit(f"manage.py {' '.join(args)} failed.")


def _start_gunicorn(
    port: int, env: dict, log: Path, worker_class: str, workers: str, threads: str
) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "civicnet.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--worker-class={worker_class}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--keep-alive=30",
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


def _warm_up(url: str, *, is_page: bool) -> None:
    for _ in range(3):
        status, headers = _get(url)
    if status != 200:
        raise SystemExit(f"{url} answered {status}, not 200.")
    if is_page and headers.get("X-Page-Cache") != "hit":
        print(f"warning: {url} is not served from the page cache (X-Page-Cache absent or miss).")


def _get(url: str):
    request = urllib.request.Request(url, headers=dict([PROXY_HEADER]))  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            response.read()
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


# --- wrk -----------------------------------------------------------------------------------
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _wrk(wrk: str, url: str, seconds: int) -> dict:
    completed = subprocess.run(  # noqa: S603 (wrk found on PATH, fixed arguments)
        [
            wrk,
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"{PROXY_HEADER[0]}: {PROXY_HEADER[1]}",
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
