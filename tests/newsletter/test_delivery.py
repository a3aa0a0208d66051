import os
import smtplib
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from newsletter import services
from newsletter.models import BatchLease, Delivery, Edition, Subscriber, Suppression
from newsletter.rendering import UNSUBSCRIBE_PLACEHOLDER
from newsletter.services import deliveries, sending

from .factories import make_edition, make_subscriber

pytestmark = pytest.mark.django_db


def _start(edition, capture):
    """Send now and build the deliveries, without running the enqueued tasks."""
    with capture(execute=False):
        services.edition_send(edition=edition)
    with capture(execute=False):
        services.deliveries_prepare(edition_id=edition.pk)


def _send_all(edition):
    return services.deliveries_send_batch(edition_id=edition.pk, low=0, high=10**12)


def test_email_has_html_with_inline_styles_a_text_part_and_one_click_unsubscribe_headers(
    django_capture_on_commit_callbacks,
):
    subscriber = make_subscriber("reader@example.org")
    edition = make_edition(subject="Transit week")
    _start(edition, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    _send_all(edition)

    (message,) = mail.outbox
    assert message.subject == "Transit week"
    assert message.to == ["reader@example.org"]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<table role="presentation"' in html
    assert "<style" not in html and 'style="' in html
    assert "Denver climbed three places" in html and "Denver climbed three places" in message.body
    assert "City Vitals (http://127.0.0.1:8000/vitals/)" in message.body
    assert "<p" not in message.body
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert f"/newsletter/unsubscribe/{subscriber.pk}:" in link
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in html and link in message.body
    assert UNSUBSCRIBE_PLACEHOLDER not in html + message.body
    assert f"/newsletter/editions/{edition.pk}/" in html


def test_web_version_is_public_once_sent_and_staff_only_before(
    client, visitor, staff, django_capture_on_commit_callbacks
):
    edition = make_edition()
    url = f"/newsletter/editions/{edition.pk}/"
    assert visitor.get(url).status_code == 404
    client.force_login(staff)
    draft = client.get(url)
    assert draft.status_code == 200 and "private" in draft.headers["Cache-Control"]
    client.logout()
    make_subscriber()
    _start(edition, django_capture_on_commit_callbacks)
    _send_all(edition)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    page = visitor.get(url)
    assert page.status_code == 200
    assert edition.subject.encode() in page.content
    assert UNSUBSCRIBE_PLACEHOLDER.encode() not in page.content


def test_running_the_same_batch_twice_sends_once(django_capture_on_commit_callbacks):
    for n in range(5):
        make_subscriber(f"p{n}@example.org")
    edition = make_edition()
    _start(edition, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    first = _send_all(edition)
    second = _send_all(edition)
    assert first["sent"] == 5 and second["sent"] == 0
    assert sorted(m.to[0] for m in mail.outbox) == [f"p{n}@example.org" for n in range(5)]


def test_preparing_twice_creates_each_delivery_once(django_capture_on_commit_callbacks):
    for n in range(3):
        make_subscriber(f"p{n}@example.org")
    edition = make_edition()
    _start(edition, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        services.deliveries_prepare(edition_id=edition.pk)
    assert Delivery.objects.filter(edition=edition).count() == 3


def test_sending_an_edition_twice_is_refused(django_capture_on_commit_callbacks):
    edition = make_edition()
    with django_capture_on_commit_callbacks(execute=False):
        services.edition_send(edition=edition)
    with pytest.raises(services.EditionStateError):
        services.edition_send(edition=edition)


def test_unsubscribed_and_suppressed_addresses_receive_nothing(
    django_capture_on_commit_callbacks,
):
    keep = make_subscriber("keep@example.org")
    gone = make_subscriber("gone@example.org")
    bounced = make_subscriber("bounced@example.org")
    late = make_subscriber("late@example.org")
    services.subscriber_unsubscribe(subscriber_id=gone.pk)
    services.suppression_record(email="BOUNCED@example.org", reason=Suppression.Reason.BOUNCE)
    edition = make_edition()
    _start(edition, django_capture_on_commit_callbacks)
    # Unsubscribing after the deliveries were built still stops the copy.
    services.subscriber_unsubscribe(subscriber_id=late.pk)
    mail.outbox.clear()
    _send_all(edition)
    assert [m.to for m in mail.outbox] == [[keep.email]]
    statuses = dict(Delivery.objects.filter(edition=edition).values_list("email", "status"))
    assert statuses == {
        "keep@example.org": Delivery.Status.SENT,
        "bounced@example.org": Delivery.Status.SUPPRESSED,
        "late@example.org": Delivery.Status.SUPPRESSED,
    }
    assert bounced.pk  # made, then suppressed


def test_topic_audience_only_reaches_subscribers_of_that_topic(
    django_capture_on_commit_callbacks,
):
    make_subscriber("research@example.org", topics=["research"])
    make_subscriber("events@example.org", topics=["events"])
    edition = make_edition(topic="events")
    _start(edition, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    _send_all(edition)
    assert [m.to for m in mail.outbox] == [["events@example.org"]]


def test_members_only_audience_reaches_active_members_only(
    member, lapsed, django_capture_on_commit_callbacks
):
    for person in (member, lapsed):
        services.subscription_set_for_user(user=person, topics=["research"])
    make_subscriber("public@example.org")
    edition = make_edition(audience=Edition.Audience.MEMBERS)
    _start(edition, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    _send_all(edition)
    assert [m.to for m in mail.outbox] == [[member.email]]


class FlakyConnection:
    """A mail connection that fails the first `failures` sends with the given error."""

    def __init__(self, error, failures=1):
        self.error, self.failures, self.sent = error, failures, []

    def open(self):
        return False

    def close(self):
        pass

    def send_messages(self, messages):
        if self.failures:
            self.failures -= 1
            raise self.error
        self.sent.extend(messages)
        return len(messages)


@override_settings(NEWSLETTER_RETRY_BASE_SECONDS=30)
def test_transient_smtp_error_retries_later_with_exponential_backoff(
    monkeypatch, django_capture_on_commit_callbacks
):
    make_subscriber("slow@example.org")
    edition = make_edition()
    _start(edition, django_capture_on_commit_callbacks)
    connection = FlakyConnection(smtplib.SMTPResponseException(451, b"try later"), failures=2)
    monkeypatch.setattr(sending, "_mail_connection", lambda: connection)

    result = _send_all(edition)
    delivery = Delivery.objects.get(edition=edition)
    assert delivery.status == Delivery.Status.QUEUED and delivery.attempts == 1
    assert 29 <= result["retry_in"] <= 30
    first_wait = delivery.next_attempt_at - timezone.now()

    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    result = _send_all(edition)
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    second_wait = delivery.next_attempt_at - timezone.now()
    assert second_wait > first_wait + timedelta(seconds=25)  # 30 s, then 60 s

    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    _send_all(edition)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and len(connection.sent) == 1
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT


def test_permanent_smtp_error_marks_the_delivery_failed_and_suppresses_the_address(
    monkeypatch, django_capture_on_commit_callbacks
):
    make_subscriber("nobody@example.org")
    edition = make_edition()
    _start(edition, django_capture_on_commit_callbacks)
    refused = smtplib.SMTPRecipientsRefused({"nobody@example.org": (550, b"no such user")})
    monkeypatch.setattr(sending, "_mail_connection", lambda: FlakyConnection(refused))
    result = _send_all(edition)
    assert result["failed"] == 1 and result["retry_in"] is None
    delivery = Delivery.objects.get(edition=edition)
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.error.startswith("550")
    assert Suppression.objects.filter(email="nobody@example.org").exists()
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT


def test_paused_edition_sends_nothing_until_resumed(django_capture_on_commit_callbacks):
    for n in range(3):
        make_subscriber(f"p{n}@example.org")
    edition = make_edition()
    _start(edition, django_capture_on_commit_callbacks)
    services.edition_pause(edition=edition)
    mail.outbox.clear()
    assert _send_all(edition)["sent"] == 0
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.edition_resume(edition=edition)
    assert len(callbacks) == 1
    assert _send_all(edition)["sent"] == 3


def test_scheduled_edition_starts_when_due(django_capture_on_commit_callbacks):
    edition = make_edition()
    services.edition_schedule(edition=edition, when=timezone.now() + timedelta(hours=1))
    assert services.editions_send_due() == []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        started = services.editions_send_due(now=timezone.now() + timedelta(hours=2))
    assert started == [edition.pk] and len(callbacks) == 1
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENDING and edition.rendered_html


@override_settings(NEWSLETTER_STALL_SECONDS=0, NEWSLETTER_BATCH_SIZE=2)
def test_stalled_send_is_re_enqueued_for_the_rows_still_queued(
    django_capture_on_commit_callbacks, monkeypatch
):
    for n in range(5):
        make_subscriber(f"p{n}@example.org")
    edition = make_edition()
    _start(edition, django_capture_on_commit_callbacks)
    services.deliveries_send_batch(
        edition_id=edition.pk,
        low=0,
        high=Subscriber.objects.order_by("pk").values_list("pk", flat=True)[1],
    )
    enqueued = []
    monkeypatch.setattr(deliveries, "_enqueue_batch", lambda *args: enqueued.append(args))
    assert services.editions_resume_stalled(now=timezone.now() + timedelta(seconds=1)) == [
        edition.pk
    ]
    assert len(enqueued) == 2  # three queued rows in batches of two


@override_settings(NEWSLETTER_LEASE_SECONDS=30)
def test_only_a_batch_whose_lease_went_quiet_is_re_enqueued_and_only_once_per_lease(
    django_capture_on_commit_callbacks, monkeypatch
):
    make_subscriber("a@example.org")
    edition = make_edition()
    _start(edition, django_capture_on_commit_callbacks)
    now = timezone.now()
    BatchLease.objects.create(edition=edition, low=1, high=10, heartbeat_at=now)
    BatchLease.objects.create(edition=edition, low=11, high=20, heartbeat_at=now)
    BatchLease.objects.filter(low=11).update(heartbeat_at=now - timedelta(seconds=31))
    enqueued = []
    monkeypatch.setattr(deliveries, "_enqueue_batch", lambda *args: enqueued.append(args))

    assert services.editions_resume_stalled(now=now) == [edition.pk]
    assert enqueued == [(edition.pk, 11, 20)]
    # Its new task may wait in the queue: the next sweeps leave it alone until the lease
    # (renewed by the sweep) goes quiet again.
    assert services.editions_resume_stalled(now=now + timedelta(seconds=15)) == []
    assert len(enqueued) == 1
    services.editions_resume_stalled(now=now + timedelta(seconds=31))
    assert enqueued[1:] == [(edition.pk, 1, 10), (edition.pk, 11, 20)]


def test_a_quiet_lease_of_a_paused_edition_is_dropped_not_re_enqueued(
    django_capture_on_commit_callbacks, monkeypatch
):
    make_subscriber("a@example.org")
    edition = make_edition()
    _start(edition, django_capture_on_commit_callbacks)
    services.edition_pause(edition=edition)
    BatchLease.objects.create(
        edition=edition, low=1, high=10, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    enqueued = []
    monkeypatch.setattr(deliveries, "_enqueue_batch", lambda *args: enqueued.append(args))
    assert services.editions_resume_stalled() == []
    assert enqueued == [] and not BatchLease.objects.exists()


def test_a_finished_batch_releases_its_lease_and_a_crashed_one_keeps_it(
    django_capture_on_commit_callbacks, monkeypatch
):
    for n in range(3):
        make_subscriber(f"p{n}@example.org")
    edition = make_edition()
    _start(edition, django_capture_on_commit_callbacks)
    saves = []

    def crash_on_second(claim, real=sending._save):
        saves.append(claim.pk)
        if len(saves) == 2:
            raise RuntimeError("worker lost")
        real(claim)

    monkeypatch.setattr(sending, "_save", crash_on_second)
    with pytest.raises(RuntimeError):
        _send_all(edition)
    lease = BatchLease.objects.get()
    assert (lease.edition_id, lease.low, lease.high) == (edition.pk, 0, 10**12)

    monkeypatch.undo()
    assert _send_all(edition)["sent"] == 2
    assert not BatchLease.objects.exists()
    assert Delivery.objects.filter(edition=edition, status=Delivery.Status.SENT).count() == 3


def test_test_send_goes_to_the_editor_only(staff):
    make_subscriber()
    edition = make_edition(subject="Draft issue")
    services.edition_send_test(edition=edition, email=staff.email)
    (message,) = mail.outbox
    assert message.to == [staff.email] and message.subject == "[Test] Draft issue"
    assert not Delivery.objects.exists()


def test_the_bytes_sent_over_smtp_are_a_valid_two_part_message_with_unfolded_headers(
    django_capture_on_commit_callbacks,
):
    import email
    import email.policy

    subscriber = make_subscriber("reader@example.org")
    edition = make_edition(subject="Café culture: what cities learn from each other")
    _start(edition, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    _send_all(edition)
    (message,) = mail.outbox
    raw = message.message().as_bytes()
    assert b"\r\nList-Unsubscribe: <http" in raw  # one line, never encoded-words
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == edition.subject
    assert parsed["To"] == "reader@example.org"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = parsed["List-Unsubscribe"].strip("<>")
    assert f"/newsletter/unsubscribe/{subscriber.pk}:" in link
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    html = parsed.get_body(preferencelist=("html",)).get_content()
    assert link in text and link in html
    assert "Denver climbed three places" in html
    assert parsed["Message-ID"] == message.extra_headers["Message-ID"]


def test_sector_audience_reaches_active_members_of_that_sector_only(
    django_capture_on_commit_callbacks,
):
    from tests.members.factories import make_member

    academic = make_member(email="prof@example.org", sector="academic")
    mayor = make_member(email="mayor@example.org", sector="public")
    lapsed = make_member(email="old@example.org", sector="academic", status="expired")
    for person in (academic, mayor, lapsed):
        services.subscription_set_for_user(user=person, topics=["research"])
    edition = make_edition(audience=Edition.Audience.SECTOR, sector="academic")
    _start(edition, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    _send_all(edition)
    assert [m.to for m in mail.outbox] == [["prof@example.org"]]


def test_cluster_audience_reaches_the_clusters_people_only(django_capture_on_commit_callbacks):
    from members.services import cluster_join
    from tests.members.factories import make_cluster, make_member

    cleveland = make_cluster()
    inside = make_member(email="Inside@Example.org")
    outside = make_member(email="outside@example.org")
    cluster_join(cluster=cleveland, user=inside)
    for person in (inside, outside):
        services.subscription_set_for_user(user=person, topics=["member_news"])
    edition = make_edition(audience=Edition.Audience.CLUSTER, cluster=cleveland)
    _start(edition, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    _send_all(edition)
    assert [m.to for m in mail.outbox] == [["inside@example.org"]]


def test_cluster_or_sector_audience_needs_its_choice():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        Edition(subject="x", body=[], audience=Edition.Audience.CLUSTER).clean()
    with pytest.raises(ValidationError):
        Edition(subject="x", body=[], audience=Edition.Audience.SECTOR).clean()


def test_a_fresh_process_has_every_task_the_services_start_by_name():
    # A web process imports no task module of its own: the app's ready() must register them.
    script = (
        "import django; django.setup()\n"
        "from celery import current_app\n"
        "from newsletter.services import background\n"
        "names = [background.SEND_CONFIRMATION_EMAIL, background.PREPARE_EDITION,"
        " background.SEND_BATCH]\n"
        "print(sorted(set(names) - set(current_app.tasks)))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "civicnet.settings"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_unsubscribe_link_of_an_edition_records_that_the_unsubscribe_came_from_it(
    client, django_capture_on_commit_callbacks
):
    from newsletter.selectors import edition_figures, edition_recipients

    first, second = make_subscriber("first@example.org"), make_subscriber("second@example.org")
    edition = make_edition(subject="Parks week")
    _start(edition, django_capture_on_commit_callbacks)
    _send_all(edition)
    links = {m.to[0]: m.extra_headers["List-Unsubscribe"].strip("<>") for m in mail.outbox}
    assert links["first@example.org"].endswith(f"?edition={edition.pk}")
    later = make_edition(subject="Housing week")
    _start(later, django_capture_on_commit_callbacks)
    _send_all(later)

    # The one-click POST from the older edition's copy: it counts against that edition, not
    # the later one that reached them before they unsubscribed.
    assert client.post(links["first@example.org"]).status_code == 200
    # A link edited to name an edition never sent to them records no edition.
    tampered = links["second@example.org"].replace(f"={edition.pk}", "=999999")
    assert client.post(tampered).status_code == 200

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Subscriber.Status.UNSUBSCRIBED
    assert first.unsubscribed_from_edition == edition
    assert second.status == Subscriber.Status.UNSUBSCRIBED
    assert second.unsubscribed_from_edition is None
    now = timezone.now()
    figures = edition_figures(
        previous_start=now - timedelta(days=2), start=now - timedelta(days=1), end=now
    )
    by_subject = {e.subject: e.unsubscribed for e in figures["editions"]}
    assert by_subject == {"Parks week": 1, "Housing week": 1}
    assert [d.email for d in edition_recipients(edition, "unsubscribed")] == [first.email]
