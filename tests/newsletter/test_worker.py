"""Delivery with real Celery workers on Redis: exactly once, even when a worker is killed."""

import email
import email.policy
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import override_settings

from blog.newsletter import services, tasks
from blog.newsletter.models import Delivery, Edition, Subscriber
from tests.conftest import wait_for

from .factories import make_edition, make_many_subscribers
from .smtp_sink import SMTPSink

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _edition_sent(edition):
    edition.refresh_from_db()
    return edition.status == Edition.Status.SENT


@override_settings(NEWSLETTER_BATCH_SIZE=250)
def test_edition_to_2000_recipients_arrives_exactly_once_each(celery_worker):
    make_many_subscribers(2000)
    edition = make_edition()
    services.edition_send(edition=edition)  # enqueues once the (auto)commit is done

    wait_for(lambda: _edition_sent(edition), timeout=180, interval=0.5)
    received = Counter(message.to[0] for message in mail.outbox)
    emails = set(Subscriber.objects.values_list("email", flat=True))
    assert set(received) == emails
    assert set(received.values()) == {1}
    assert Delivery.objects.filter(edition=edition, status=Delivery.Status.SENT).count() == 2000
    assert all("List-Unsubscribe" in message.extra_headers for message in mail.outbox[:5])


def test_the_same_send_tasks_enqueued_twice_send_once(celery_worker, monkeypatch):
    make_many_subscribers(60)
    edition = make_edition()
    ranges = []
    monkeypatch.setattr(services, "_enqueue_batch", lambda *args: ranges.append(args))
    services.edition_send(edition=edition)
    wait_for(lambda: ranges, timeout=30)  # the worker prepared the deliveries
    (batch,) = ranges
    tasks.prepare_edition.delay(edition.pk)
    tasks.send_batch.delay(*batch)
    tasks.send_batch.delay(*batch)
    tasks.prepare_edition.delay(edition.pk)

    wait_for(lambda: _edition_sent(edition), timeout=60)
    time.sleep(1.0)  # let the duplicate tasks behind it run too
    received = Counter(message.to[0] for message in mail.outbox)
    assert len(received) == 60
    assert set(received.values()) == {1}


class _KillSwitch:
    """Holds the worker mid-SMTP-transaction at the Nth recipient so the test can kill it."""

    def __init__(self, at: int):
        self.at, self.seen = at, 0
        self.reached, self.released = threading.Event(), threading.Event()
        self.lock = threading.Lock()

    def on_rcpt(self, address):
        with self.lock:
            self.seen += 1
            hold = self.seen == self.at
        if hold:
            self.reached.set()
            self.released.wait(30)
            return "421 4.3.0 going away"
        return None


def _start_worker(env, log):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "civicnet",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _kill(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def test_worker_killed_mid_send_then_restarted_delivers_everyone_exactly_once(transactional_db):
    from civicnet.celery import app

    recipients = 1000
    make_many_subscribers(recipients)
    edition = make_edition()
    switch = _KillSwitch(at=430)
    sink = SMTPSink(on_rcpt=switch.on_rcpt).start()
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "NEWSLETTER_BATCH_SIZE": "200",
        "NEWSLETTER_STALL_SECONDS": "0",
    }
    app.control.purge()
    log = tempfile.NamedTemporaryFile("w+", prefix="newsletter-worker-", suffix=".log")  # noqa: SIM115
    worker = _start_worker(env, log)
    try:
        services.edition_send(edition=edition)
        assert switch.reached.wait(90), Path(log.name).read_text()[-3000:]
        # The worker is mid-transaction with the mail server, holding a claimed row: kill it.
        _kill(worker)
        switch.released.set()
        before = sink.count
        assert 0 < before < recipients
        assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == before

        sink.on_rcpt = None
        worker = _start_worker(env, log)
        # What beat's resume_stalled_sends does every two minutes: the killed worker's batch
        # is not redelivered by Redis before the visibility timeout, so re-enqueue its rows.
        tasks.resume_stalled_sends.delay()
        wait_for(lambda: _edition_sent(edition), timeout=120, interval=0.5)
    finally:
        _kill(worker)
        sink.stop()
        log.close()
    emails = set(Subscriber.objects.values_list("email", flat=True))
    assert set(sink.by_recipient) == emails  # none missing
    assert set(sink.by_recipient.values()) == {1}  # none twice
    assert sink.count == recipients
    copy = email.message_from_bytes(sink.messages[0], policy=email.policy.default)
    assert copy["List-Unsubscribe"].startswith("<http")
    assert copy["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert copy.get_body(preferencelist=("html",)) and copy.get_body(preferencelist=("plain",))
