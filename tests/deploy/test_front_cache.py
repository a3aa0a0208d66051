# ruff: noqa: S310 (every URL is on loopback)
"""The front's micro-cache (deploy/nginx.conf.template) under concurrent visitors, before a
stand-in upstream whose answers take a known time, so each wait is the front's own doing.

Issue 18: with `proxy_cache_lock` the front let one request per URL reach Django and held the
others until that response was stored; a response it may not store (a CSRF form, a never_cache
view) never is, so they waited out the lock (nginx looks every 500 ms, gives up after
proxy_cache_lock_timeout): p99 of 4.9 s for such pages under `make bench`."""

import shutil
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scripts.loopback_stack import NGINX, free_port, start_front, stop_process

UPSTREAM_SECONDS = 1.0  # every answer of the stand-in takes this long


class SlowUpstream(BaseHTTPRequestHandler):
    """/private/: never stored (as a page with a visitor's CSRF token); /page/: kept 1 s."""

    protocol_version = "HTTP/1.1"
    served = 0

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).served += 1
        body = f"answer {type(self).served}".encode()
        time.sleep(UPSTREAM_SECONDS)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if self.path.startswith("/page/"):
            self.send_header("X-Accel-Expires", "1")
        else:
            self.send_header("Cache-Control", "private")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def front():
    if not NGINX:
        pytest.fail("nginx is not installed: apt-get install -y nginx")
    # Not pytest's tmp_path: nginx's workers (nobody, under root) cannot enter it.
    folder = Path(tempfile.mkdtemp(prefix="civicnet-front-"))
    folder.chmod(0o755)
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), SlowUpstream)
    upstream.daemon_threads = True
    SlowUpstream.served = 0
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    process = start_front(
        folder=folder / "nginx",
        port=port,
        upstream_ports=[upstream.server_address[1]],
        public_root=folder,
        private_root=folder / "private",
    )
    yield f"http://127.0.0.1:{port}"
    stop_process(process)
    upstream.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


def timed_get(url: str) -> tuple[float, str, str]:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=20) as response:
        body = response.read().decode()
        return time.monotonic() - started, response.headers["X-Front-Cache"], body


def get_at_once(url: str, count: int) -> list[tuple[float, str, str]]:
    results = [None] * count

    def get(index):
        results[index] = timed_get(url)

    threads = [threading.Thread(target=get, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_visitors_of_a_page_the_front_may_not_keep_never_wait_for_each_other(front):
    results = get_at_once(front + "/private/", 4)

    assert [status for _, status, _ in results] == ["MISS"] * 4
    assert len({body for _, _, body in results}) == 4  # each one answered by the upstream
    # Side by side: each takes the upstream's time, not its time for those before it.
    slowest = max(elapsed for elapsed, _, _ in results)
    assert slowest < 2 * UPSTREAM_SECONDS, f"the slowest waited {slowest:.2f} s"


def test_an_expired_copy_is_served_while_one_request_refreshes_it(front):
    _, status, first = timed_get(front + "/page/")
    assert status == "MISS"
    time.sleep(2.1)  # the copy (X-Accel-Expires: 1, in whole seconds of nginx's clock) expired

    results = get_at_once(front + "/page/", 4)

    # No visitor waits for the refresh: all get the old copy at once ...
    assert all(body == first for _, _, body in results)
    assert {status for _, status, _ in results} <= {"STALE", "UPDATING"}
    assert max(elapsed for elapsed, _, _ in results) < UPSTREAM_SECONDS / 2
    # ... and exactly one request went to the upstream for the new one, which follows.
    time.sleep(UPSTREAM_SECONDS + 0.5)
    assert SlowUpstream.served == 2
    _, status, refreshed = timed_get(front + "/page/")
    assert status == "HIT"
    assert refreshed == "answer 2"
