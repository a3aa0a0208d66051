"""Fault tests: real servers stopped and started under load.

The site runs as in production (gunicorn gthread, DEBUG=0, page cache on) against a private
PostgreSQL cluster (initdb in a temporary folder, its own port), a private redis-server for
the cache and another for the broker. Threads request anonymous and signed-in pages while
one dependency is stopped, then started again, and every answer is counted. The shared
PostgreSQL and Redis are never touched (the private database is copied from the migrated
test database with pg_dump, which only reads it).
"""

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)

pytestmark = pytest.mark.django_db

SETUP_SCRIPT = """
from django.contrib.sessions.backends.db import SessionStore
from tests.civicnet.factories import make_home_page, make_standard_page
from tests.members.factories import UserFactory
home = make_home_page()
make_standard_page(home)
user = UserFactory(email="signed-in@example.org")
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print("SESSION=" + session.session_key)
"""
RELEASE_SCRIPT = "from core.tasks import held_tasks_release; print(held_tasks_release())"
EMAIL = "signed-in@example.org"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing answered on port {port} within {timeout}s")


class Redis:
    """A private redis-server on its own port, stopped and started by PID."""

    def __init__(self, workdir: Path, name: str):
        self.port = _free_port()
        self.dir = workdir / name
        self.dir.mkdir()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(self.port)

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class Postgres:
    """A private PostgreSQL cluster in a temporary folder, run as the postgres user."""

    def __init__(self, workdir: Path):
        self.port = _free_port()
        self.dir = workdir / "pg"
        self.dir.mkdir()
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self._as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust",
                           "-U", "postgres", "--no-sync"])  # fmt: skip

    def _as_postgres(self, command, **kwargs):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(prefix + command, check=True, capture_output=True, **kwargs)

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                           "-l", str(self.dir / "log"), "-w", "start"])  # fmt: skip

    def stop(self):
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                           "stop"])  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/civicnet"

    def copy_database(self, source_name: str, source_settings: dict) -> None:
        """Schema and rows of the migrated test database, read with pg_dump."""
        self._as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                           "civicnet"])  # fmt: skip
        dump = subprocess.run(
            [str(PG_BIN / "pg_dump"), "--no-owner", "--no-privileges",
             "-h", source_settings["HOST"] or "127.0.0.1",
             "-p", str(source_settings["PORT"] or 5432),
             "-U", source_settings["USER"] or "postgres", source_name],
            check=True, capture_output=True,
            env={**os.environ, "PGPASSWORD": source_settings["PASSWORD"] or ""},
        )  # fmt: skip
        subprocess.run(
            [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(self.port), "-U", "postgres", "civicnet"],
            input=dump.stdout, check=True, capture_output=True,
        )  # fmt: skip

    def query(self, sql: str) -> str:
        return subprocess.run(
            [str(PG_BIN / "psql"), "-tA", "-h", "127.0.0.1", "-p", str(self.port), "-U",
             "postgres", "civicnet", "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip


class Site:
    """gunicorn serving the project as in production, plus the private services."""

    def __init__(self, workdir, postgres, cache, broker, static_root):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.postgres, self.cache, self.broker = postgres, cache, broker
        self.queue = f"civicnet-faults-{os.getpid()}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "civicnet.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SITE_URL": self.base,
            "DATABASE_URL": postgres.url,
            "REDIS_URL": cache.url,
            "CELERY_BROKER_URL": broker.url.replace("/0", "/1"),
            "CELERY_QUEUE": self.queue,
            "EMAIL_URL": "locmem://",
            "STATIC_ROOT": str(static_root),
            "MEDIA_ROOT": str(workdir / "media"),
            "PAGE_CACHE_SECONDS": "300",
            "DATABASE_CONNECT_TIMEOUT": "2",
            "UNAVAILABLE_RETRY_AFTER": "30",
            "LOG_LEVEL": "ERROR",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("CELERY_BROKER_WRITE_URL", None)
        self.process = None

    def manage(self, *command, script: str | None = None) -> str:
        args = [sys.executable, "manage.py", *command]
        if script is not None:
            args += ["-c", script]
        done = subprocess.run(
            args, cwd=BASE_DIR, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def start(self):
        self.log = open(self.workdir / "gunicorn.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "civicnet.wsgi", "-b", f"127.0.0.1:{self.port}",
             "-k", "gthread", "-w", "2", "--threads", "4", "--timeout", "30"],
            cwd=BASE_DIR, env=self.env, stdout=self.log, stderr=self.log,
        )  # fmt: skip
        # Generous: on a busy shared machine Django alone can take a minute to import.
        _wait_for_port(self.port, timeout=180)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.log.flush()
        tail = (self.workdir / "gunicorn.log").read_text(errors="replace")[-3000:]
        raise AssertionError(f"gunicorn did not answer /healthz:\n{tail}")

    def stop(self):
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
            self.log.close()


@pytest.fixture(scope="module")
def site(django_db_setup, collected_static):
    assert PG_BIN is not None and shutil.which("redis-server"), (
        "The fault tests need PostgreSQL's server binaries and redis-server installed."
    )
    workdir = Path(tempfile.mkdtemp(prefix="civicnet-faults-"))
    os.chmod(workdir, 0o755)  # noqa: S103 - the postgres user must reach its folder inside
    postgres = Postgres(workdir)
    cache, broker = Redis(workdir, "cache"), Redis(workdir, "broker")
    started = []
    site = None
    try:
        _timed("postgres", postgres.start)
        started.append(postgres)
        _timed(
            "copy",
            postgres.copy_database,
            connection.settings_dict["NAME"],
            connection.settings_dict,
        )
        for redis_server in (cache, broker):
            redis_server.start()
            started.append(redis_server)
        site = Site(workdir, postgres, cache, broker, collected_static)
        output = _timed("content", site.manage, "shell", script=SETUP_SCRIPT)
        site.session = re.search(r"SESSION=(\w+)", output).group(1)
        _timed("gunicorn", site.start)
        yield site
    finally:
        if site is not None:
            site.stop()
        for service in reversed(started):
            with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
                service.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _timed(what, function, *args, **kwargs):
    started = time.monotonic()
    try:
        return function(*args, **kwargs)
    finally:
        print(f"\n{what}: {time.monotonic() - started:.1f}s", flush=True)


# --- Load: threads request pages and record every answer ------------------------------------
def _anonymous(site, path):
    return requests.get(site.base + path, timeout=10, allow_redirects=False)


def _signed_in(site, path):
    # By hand: the session cookie is Secure (DEBUG=0) and this is plain http on loopback.
    return requests.get(
        site.base + path,
        headers={"Cookie": f"sessionid={site.session}"},
        timeout=10,
        allow_redirects=False,
    )


class Load:
    """Requests from a few threads until stopped; each answer judged by `expect`."""

    def __init__(self, site, requests_to_make, threads: int = 3):
        self.site = site
        self.requests = requests_to_make
        self.results: list[tuple[float, str, str]] = []
        self.running = True
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(threads)]

    def _run(self, offset):
        n = offset
        while self.running:
            label, make, expect = self.requests[n % len(self.requests)]
            n += 1
            try:
                response = make(self.site)
                verdict = "ok" if expect(response) else f"bad {response.status_code}"
            except requests.RequestException as error:
                verdict = f"error {type(error).__name__}"
            self.results.append((time.monotonic(), label, verdict))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        for thread in self.threads:
            thread.join(timeout=15)

    def mark(self) -> float:
        return time.monotonic()

    def between(self, start, end=None) -> Counter:
        end = end or time.monotonic()
        return Counter(
            f"{label}: {verdict}" for at, label, verdict in self.results if start <= at < end
        )


def _failures(counts: Counter) -> dict:
    return {key: n for key, n in counts.items() if not key.endswith(": ok")}


def _is_200(response):
    return response.status_code == 200


def _signed_in_page(response):
    return response.status_code == 200 and EMAIL in response.text


def _report(title, counts: Counter) -> None:
    total = sum(counts.values())
    print(f"\n{title}: {total} requests, failures {_failures(counts) or 0}")


# --- The outages ------------------------------------------------------------------------------
def test_cache_redis_outage_keeps_every_page_serving_and_people_signed_in(site):
    pages = [
        ("anonymous /", lambda s: _anonymous(s, "/"), _is_200),
        ("anonymous /about/", lambda s: _anonymous(s, "/about/"), _is_200),
        ("anonymous /events/", lambda s: _anonymous(s, "/events/"), _is_200),
        ("signed-in /account/", lambda s: _signed_in(s, "/account/"), _signed_in_page),
    ]
    with Load(site, pages) as load:
        time.sleep(1.5)
        site.cache.stop()
        down = load.mark()
        time.sleep(3)
        login = _log_in(site)
        ready = requests.get(site.base + "/healthz/ready", timeout=10)
        up = load.mark()
        site.cache.start()
        time.sleep(3)

    during, after = load.between(down, up), load.between(up)
    _report("cache Redis down", during)
    _report("cache Redis back", after)
    assert sum(during.values()) >= 5  # the load really ran (few on a busy machine)
    assert _failures(during) == {}
    assert _failures(after) == {}
    assert login.status_code == 302 and login.headers["Location"] == "/account/"
    assert ready.status_code == 200 and ready.json()["cache"] == "unreachable"
    # Once back, the cache is used again.
    _anonymous(site, "/about/")
    assert _anonymous(site, "/about/").headers["X-Page-Cache"] == "hit"


def _log_in(site):
    form = requests.get(site.base + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return requests.post(
        site.base + "/accounts/login/",
        data={"login": EMAIL, "password": "correct horse battery staple",
              "csrfmiddlewaretoken": token},
        headers={"Cookie": f"csrftoken={form.cookies['csrftoken']}"},
        timeout=10, allow_redirects=False,
    )  # fmt: skip


def test_broker_outage_keeps_pages_serving_and_holds_tasks_until_it_returns(site):
    pages = [
        ("anonymous /events/", lambda s: _anonymous(s, "/events/"), _is_200),
        ("signed-in /account/", lambda s: _signed_in(s, "/account/"), _signed_in_page),
    ]
    with Load(site, pages) as load:
        site.broker.stop()
        down = load.mark()
        sign_ups = [_subscribe(site, f"reader{n}@example.org") for n in range(3)]
        time.sleep(1)
        up = load.mark()

    during = load.between(down, up)
    _report("broker down", during)
    assert _failures(during) == {}
    assert [response.status_code for response in sign_ups] == [302] * 3
    assert site.postgres.query("SELECT count(*) FROM core_heldtask") == "3"

    site.broker.start()
    released = site.manage("shell", script=RELEASE_SCRIPT).strip().splitlines()[-1]

    assert released == "3"
    assert site.postgres.query("SELECT count(*) FROM core_heldtask") == "0"
    import redis

    # Confirmation emails go to the mail queue (CELERY_TASK_ROUTES).
    queued = redis.Redis.from_url(site.env["CELERY_BROKER_URL"]).llen(f"{site.queue}-mail")
    assert queued == 3


def _subscribe(site, email):
    form = requests.get(site.base + "/newsletter/subscribe/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return requests.post(
        site.base + "/newsletter/subscribe/",
        data={"email": email, "topics": ["research"], "csrfmiddlewaretoken": token},
        headers={"Cookie": f"csrftoken={form.cookies['csrftoken']}"},
        timeout=10, allow_redirects=False,
    )  # fmt: skip


def test_database_outage_serves_cached_pages_503_elsewhere_and_recovers(site):
    for _ in range(2):  # cached for anonymous visitors
        _anonymous(site, "/")
    assert _anonymous(site, "/").headers["X-Page-Cache"] == "hit"

    def unavailable(response):
        return response.status_code == 503 and response.headers.get("Retry-After") == "30"

    during_outage = [
        ("cached anonymous /", lambda s: _anonymous(s, "/"), _is_200),
        ("uncached anonymous /events/?x=1", lambda s: _anonymous(s, "/events/?x=1"),
         unavailable),
        ("signed-in /account/", lambda s: _signed_in(s, "/account/"), unavailable),
    ]  # fmt: skip
    site.postgres.stop()
    try:
        with Load(site, during_outage) as load:
            down = load.mark()
            time.sleep(3)
            live = requests.get(site.base + "/healthz", timeout=10)
            page = _anonymous(site, "/events/?x=2")
            ready = requests.get(site.base + "/healthz/ready", timeout=10)
    finally:
        site.postgres.start()
    during = load.between(down)
    _report("PostgreSQL down", during)
    assert sum(during.values()) >= 5  # the load really ran (few on a busy machine)
    assert _failures(during) == {}
    assert live.status_code == 200 and live.json()["database"] == "unreachable"
    assert ready.status_code == 503 and ready.json()["status"] == "down"
    assert "briefly unavailable" in page.text and "css/base" in page.text

    # Back without a restart: the first requests may still meet a dead pooled connection,
    # after that every answer is a success.
    recovered_at = _wait_until(lambda: _signed_in_page(_signed_in(site, "/account/")), 15)
    after_pages = [
        ("anonymous /events/", lambda s: _anonymous(s, "/events/"), _is_200),
        ("signed-in /account/", lambda s: _signed_in(s, "/account/"), _signed_in_page),
    ]
    with Load(site, after_pages) as load:
        start = load.mark()
        time.sleep(2)
    after = load.between(start)
    _report(f"PostgreSQL back (serving again after {recovered_at:.1f}s)", after)
    assert _failures(after) == {}
    assert requests.get(site.base + "/healthz/ready", timeout=10).status_code == 200


def _wait_until(condition, timeout):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if condition():
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"not recovered within {timeout}s")
