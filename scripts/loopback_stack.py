# ruff: noqa: S603 (subprocesses: this interpreter, nginx and redis-server, fixed arguments)
"""The production topology without Docker, on free loopback ports.

The same front (Debian's nginx with deploy/nginx.conf.template), N gunicorn replicas with
deploy/gunicorn.conf.py, a Redis for cache and sessions and another for the broker
(noeviction), and a Celery worker on every queue. tests/deploy starts it against the test
database; run by hand it migrates and bootstraps the database it is given:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/civicnet_stack \\
        uv run python scripts/loopback_stack.py [--replicas 2]

and serves until Ctrl-C. It needs `nginx` and `redis-server` (Debian: apt-get install -y
nginx redis-server). Everything it starts is stopped by its own process id.
"""

from __future__ import annotations

import argparse
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

BASE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE = BASE_DIR / "deploy" / "nginx.conf.template"
GUNICORN_CONF = BASE_DIR / "deploy" / "gunicorn.conf.py"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
REDIS_SERVER = shutil.which("redis-server") or ""

# The main nginx.conf the official image has, reduced to what one unprivileged run needs:
# its own pid file, temp folders and logs under the stack's folder.
MAIN_CONF = """\
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {root}/access.log;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    include {root}/civicnet.conf;
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render_template(text: str, values: dict[str, str]) -> str:
    """envsubst as the nginx image runs it: only the ${NAME}s given are replaced."""

    def replace(match: re.Match) -> str:
        return values.get(match.group(1), match.group(0))

    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)\}", replace, text)


class LoopbackStack:
    """Start with start(), stop with stop(); `url` is the front's address."""

    def __init__(
        self,
        *,
        database_url: str,
        replicas: int = 2,
        email_url: str = "console://",
        extra_env: dict[str, str] | None = None,
        workdir: Path | None = None,
    ):
        if not NGINX:
            raise RuntimeError("nginx is not installed: apt-get install -y nginx")
        if not REDIS_SERVER:
            raise RuntimeError("redis-server is not installed: apt-get install -y redis-server")
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="civicnet-stack-"))
        # nginx's workers may run as another user than the one starting it (root: nobody).
        self.workdir.chmod(0o755)
        self.public_root = self.workdir / "www"
        self.private_root = self.workdir / "private"
        self.front_port = free_port()
        self.replica_ports = [free_port() for _ in range(replicas)]
        self.cache_port, self.broker_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.front_port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "civicnet.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": self.url,
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.cache_port}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.broker_port}/0",
            "CELERY_QUEUE": f"stack-{self.front_port}",
            "EMAIL_URL": email_url,
            "STATIC_ROOT": str(self.public_root / "static"),
            "MEDIA_ROOT": str(self.public_root / "media"),
            "PRIVATE_MEDIA_ROOT": str(self.private_root),
            "PRIVATE_FILES_ACCEL_PREFIX": "/_private/",
            "TRUSTED_PROXY_COUNT": "1",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "4",
            "PAGE_CACHE_SECONDS": "300",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.replicas: list[subprocess.Popen | None] = []
        self.others: list[subprocess.Popen] = []
        self.nginx: subprocess.Popen | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, *, prepare_database: bool = False) -> LoopbackStack:
        try:
            for directory in (
                self.public_root / "media",
                self.private_root,
                self.workdir / "nginx",
            ):
                directory.mkdir(parents=True, exist_ok=True)
            self.public_root.chmod(0o755)
            self.private_root.chmod(0o755)
            self.others.append(self._redis(self.cache_port, "allkeys-lru"))
            self.others.append(self._redis(self.broker_port, "noeviction"))
            self.manage("collectstatic", "--noinput", "--verbosity", "0")
            if prepare_database:
                self.manage("migrate", "--noinput")
                self.manage("bootstrap_site")
            for index in range(len(self.replica_ports)):
                self.replicas.append(self._gunicorn(index))
            self.others.append(self._worker())
            self.nginx = self._nginx()
            for port in self.replica_ports:
                self._wait_for(f"http://127.0.0.1:{port}/healthz", port)
            self._wait_for(self.url + "/healthz", self.front_port)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.nginx is not None:
            _stop(self.nginx, signal.SIGQUIT)
            self.nginx = None
        for process in [*self.replicas, *self.others]:
            if process is not None:
                _stop(process)
        self.replicas, self.others = [], []
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LoopbackStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what tests use ----------------------------------------------------------------------
    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def kill_replica(self, index: int) -> None:
        """SIGKILL a replica's master and workers at once, as a crashed host would."""
        process = self.replicas[index]
        if process is not None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            self.replicas[index] = None

    def replica_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.replica_ports[index]}"

    def requests_served(self, index: int) -> int:
        """Requests a replica has logged (one JSON line each, civicnet.middleware)."""
        log = self.workdir / f"web-{index}.log"
        return log.read_text(errors="replace").count('"path"') if log.exists() else 0

    # --- processes ---------------------------------------------------------------------------
    def _spawn(self, args: list[str], log_name: str, env: dict | None = None) -> subprocess.Popen:
        log = open(self.workdir / log_name, "ab")  # noqa: SIM115 (lives as long as the process)
        return subprocess.Popen(
            args,
            cwd=BASE_DIR,
            env=env or self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches its children
        )

    def _redis(self, port: int, policy: str) -> subprocess.Popen:
        process = self._spawn(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--maxmemory", "128mb", "--maxmemory-policy", policy,
             "--dir", str(self.workdir)],
            f"redis-{port}.log",
        )  # fmt: skip
        _wait_for_port(port, process)
        return process

    def _gunicorn(self, index: int) -> subprocess.Popen:
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.replica_ports[index]}"}
        return self._spawn(
            [sys.executable, "-m", "gunicorn", "civicnet.wsgi", "--config", str(GUNICORN_CONF)],
            f"web-{index}.log",
            env,
        )

    def _worker(self) -> subprocess.Popen:
        return self._spawn(
            [sys.executable, "-m", "celery", "-A", "civicnet", "worker", "--pool", "solo",
             "--loglevel", "INFO", "-n", f"stack-{self.front_port}@%h"],
            "worker.log",
        )  # fmt: skip

    def _nginx(self) -> subprocess.Popen:
        return start_front(
            folder=self.workdir / "nginx",
            port=self.front_port,
            upstream_ports=self.replica_ports,
            public_root=self.public_root,
            private_root=self.private_root,
        )

    def _wait_for(self, url: str, port: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError) as error:
                last = str(error)
            time.sleep(0.3)
        logs = "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}"
            for log in sorted(self.workdir.glob("*.log"))
        )
        raise RuntimeError(f"{url} did not answer 200 within {timeout} s ({last})\n{logs}")


def start_front(
    *, folder: Path, port: int, upstream_ports: list[int], public_root: Path, private_root: Path
) -> subprocess.Popen:
    """Debian's nginx with deploy/nginx.conf.template, rendered as the nginx image renders it;
    its config, logs and temp files live in `folder`. Also used by `make bench`."""
    if not NGINX:
        raise RuntimeError("nginx is not installed: apt-get install -y nginx")
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "tmp" / name).mkdir(parents=True, exist_ok=True)
    servers = " ".join(
        f"server 127.0.0.1:{upstream} max_fails=1 fail_timeout=5s;" for upstream in upstream_ports
    )
    site = render_template(
        TEMPLATE.read_text(),
        {
            "CIVICNET_LISTEN": f"127.0.0.1:{port}",
            "CIVICNET_UPSTREAM_SERVERS": servers,
            "CIVICNET_PUBLIC_ROOT": str(public_root),
            "CIVICNET_PRIVATE_ROOT": str(private_root),
        },
    )
    (folder / "civicnet.conf").write_text(site)
    (folder / "nginx.conf").write_text(MAIN_CONF.format(root=folder))
    conf = str(folder / "nginx.conf")
    check = subprocess.run(
        [NGINX, "-t", "-q", "-c", conf, "-p", str(folder)], capture_output=True, text=True
    )
    if check.returncode != 0:
        raise RuntimeError(f"nginx refused the config:\n{check.stderr}")
    log = open(folder / "nginx.log", "ab")  # noqa: SIM115 (lives as long as the process)
    process = subprocess.Popen(
        [NGINX, "-c", conf, "-p", str(folder), "-g", "daemon off;"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    _wait_for_port(port, process)
    return process


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop a process started here and its children (its own process group)."""
    _stop(process, sig)


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the process for port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database this stack may migrate and fill.")
        return 2
    stack = LoopbackStack(database_url=database_url, replicas=args.replicas)
    stack.start(prepare_database=True)
    print(f"Serving {stack.url} (front) over {len(stack.replica_ports)} replicas; Ctrl-C stops.")
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
