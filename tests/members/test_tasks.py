"""The two scheduled tasks: renewal reminders and expiry. Running twice does nothing twice."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from members import tasks
from members.models import Membership, MembershipEvent
from members.services import membership_set
from tests.conftest import wait_for
from tests.members.factories import make_member, make_plan


def yearly_member(email, *, days_left, interval="year", **extra):
    plan = make_plan(
        slug=f"plan-{interval}", interval=interval, stripe_price_id=f"price_{interval}"
    )
    user = make_member(email=email)
    membership_set(
        user=user,
        status=extra.pop("status", Membership.Status.ACTIVE),
        current_period_end=timezone.now() + timedelta(days=days_left),
        plan=plan,
        **extra,
    )
    return user


@pytest.mark.django_db
def test_renewal_reminders_go_once_to_yearly_members_near_renewal():
    due = yearly_member("due@example.org", days_left=10)
    yearly_member("far@example.org", days_left=60)
    yearly_member("monthly@example.org", days_left=5, interval="month")
    yearly_member("comp@example.org", days_left=5, is_complimentary=True)
    yearly_member("cancelled@example.org", days_left=5, status=Membership.Status.CANCELED)

    assert tasks.send_renewal_reminders() == 1
    assert tasks.send_renewal_reminders() == 0

    (message,) = mail.outbox
    assert message.to == [due.email]
    assert "renews on" in message.body
    assert "/account/" in message.body


@pytest.mark.django_db
def test_a_refused_address_does_not_hold_up_the_other_renewal_reminders(smtp_server):
    refused = yearly_member("gone@example.org", days_left=10)
    other = yearly_member("here@example.org", days_left=9)
    smtp_server.on_rcpt = lambda address: (
        "550 5.1.1 no such mailbox" if address == refused.email else None
    )

    assert tasks.send_renewal_reminders() == 1
    assert tasks.send_renewal_reminders() == 0  # settled: not retried every day

    assert list(smtp_server.by_recipient) == [other.email]


@pytest.mark.django_db
def test_a_transient_failure_leaves_the_renewal_reminder_due(smtp_server):
    user = yearly_member("busy@example.org", days_left=10)
    smtp_server.on_rcpt = lambda address: "451 4.3.0 try again later"

    assert tasks.send_renewal_reminders() == 0

    smtp_server.on_rcpt = None
    assert tasks.send_renewal_reminders() == 1
    assert list(smtp_server.by_recipient) == [user.email]


@pytest.mark.django_db
def test_a_new_period_gets_its_own_reminder():
    user = yearly_member("due@example.org", days_left=10)
    tasks.send_renewal_reminders()
    membership_set(
        user=user,
        status=Membership.Status.ACTIVE,
        current_period_end=timezone.now() + timedelta(days=375),
    )

    later = timezone.now() + timedelta(days=365)
    from members.services import membership_send_renewal_reminder, renewal_reminder_due_ids

    assert renewal_reminder_due_ids(now=later) == [user.membership.pk]
    assert membership_send_renewal_reminder(membership_id=user.membership.pk, now=later)
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_expiry_task_expires_ended_memberships_once_with_an_audit_row():
    ended = yearly_member("ended@example.org", days_left=-1)
    running = yearly_member("running@example.org", days_left=30)
    forever = make_member(email="comp@example.org")

    assert tasks.expire_memberships() == 1
    assert tasks.expire_memberships() == 0

    ended.membership.refresh_from_db()
    assert ended.membership.status == Membership.Status.EXPIRED
    assert ended.membership.ended_at is not None
    assert ended.membership.history.first().source == MembershipEvent.Source.SYSTEM
    running.membership.refresh_from_db()
    assert running.membership.status == Membership.Status.ACTIVE
    assert Membership.objects.get(user=forever).status == Membership.Status.ACTIVE


def test_the_retention_ladder_and_expiry_are_on_the_beat_schedule():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"members.send_retention_emails", "members.expire_memberships"} <= scheduled
    # The ladder sends the renewal reminders; the old single reminder would be a third one.
    assert "members.send_renewal_reminders" not in scheduled


@pytest.mark.worker
def test_a_real_worker_runs_the_tasks(celery_worker):
    ended = yearly_member("ended@example.org", days_left=-1)
    yearly_member("due@example.org", days_left=3)

    tasks.expire_memberships.delay()
    tasks.send_renewal_reminders.delay()

    wait_for(
        lambda: Membership.objects.get(user=ended).status == Membership.Status.EXPIRED,
        timeout=20,
    )
    wait_for(lambda: len(mail.outbox) == 1, timeout=20)
