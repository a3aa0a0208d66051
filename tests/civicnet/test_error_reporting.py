"""Errors reach someone (Sentry, or email to ADMINS) and every log line carries its request id."""

import gzip
import io
import json
import logging
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import pytest
from celery import shared_task

from civicnet.logging import JsonFormatter
from core import request_id
from tests.conftest import wait_for
from tests.newsletter.smtp_sink import SMTPSink

ROOT = Path(__file__).resolve().parents[2]
seen_by_task: list[str] = []


@shared_task(name="tests.record_request_id")
def record_request_id():
    seen_by_task.append(request_id.current())


def json_line(record_logger: logging.Logger, message: str) -> dict:
    """The JSON line the site's console handler writes for one warning."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(request_id.RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    record_logger.addHandler(handler)
    try:
        record_logger.warning(message)
    finally:
        record_logger.removeHandler(handler)
    return json.loads(stream.getvalue())


def test_a_log_line_written_during_a_request_carries_its_id():
    log = logging.getLogger("tests.request_id")
    token = request_id.activate("req-42")
    try:
        assert json_line(log, "inside")["request_id"] == "req-42"
    finally:
        request_id.deactivate(token)
    assert "request_id" not in json_line(log, "outside")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "kept"), [("edge-7f3a", True), ("bad\r\nX-Injected: 1", False), ("x" * 200, False)]
)
def test_the_request_id_header_is_kept_only_when_it_is_short_and_plain(client, sent, kept):
    response = client.get("/robots.txt", headers={"X-Request-ID": sent})

    assert (response["X-Request-ID"] == sent) is kept
    assert len(response["X-Request-ID"]) <= 64 and "\n" not in response["X-Request-ID"]


@pytest.mark.worker
def test_a_task_logs_under_the_id_of_the_request_that_enqueued_it(celery_worker):
    seen_by_task.clear()
    token = request_id.activate("req-from-web")
    try:
        record_request_id.delay()
    finally:
        request_id.deactivate(token)

    wait_for(lambda: seen_by_task, timeout=30)
    assert seen_by_task == ["req-from-web"]


class FakeSentry(ThreadingHTTPServer):
    """Sentry's ingest endpoint on loopback: keeps the envelopes it is sent."""

    def __init__(self):
        self.envelopes: list[bytes] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                # sentry-sdk compresses with brotli when it is installed (WeasyPrint brings
                # it), else with gzip, as Sentry's ingest accepts both.
                encoding = self.headers.get("Content-Encoding")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    body = brotli.decompress(body)
                server.envelopes.append(body)
                self.send_response(200)
                self.end_headers()

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def log_an_error_in_a_fresh_process(**environment) -> subprocess.CompletedProcess:
    """Start the site's settings the way a deployment does, and log one error."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "test-only-error-reporting-secret-key-0123456789abcdef",
        "ALLOWED_HOSTS": "example.org",
        **environment,
    }
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('civicnet.test').error('the boiler is on fire'); "
        "import sentry_sdk; sentry_sdk.flush(5)"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_errors_go_to_sentry_when_a_dsn_is_set():
    sentry = FakeSentry()
    try:
        dsn = f"http://publickey@127.0.0.1:{sentry.server_port}/1"
        result = log_an_error_in_a_fresh_process(SENTRY_DSN=dsn, ADMINS="ops@example.org")
        assert result.returncode == 0, result.stderr
    finally:
        sentry.shutdown()
    assert any(b"the boiler is on fire" in envelope for envelope in sentry.envelopes)


def test_errors_are_emailed_to_admins_without_sentry():
    sink = SMTPSink().start()
    try:
        result = log_an_error_in_a_fresh_process(
            SENTRY_DSN="",
            ADMINS="Ops <ops@example.org>",
            EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
        )
        assert result.returncode == 0, result.stderr
    finally:
        sink.stop()
    assert sink.by_recipient == {"ops@example.org": 1}
    assert b"the boiler is on fire" in sink.messages[0]
