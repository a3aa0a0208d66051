"""The retention ladder: each email once per membership period, however often the schedule
runs, and again for the next period after a renewal."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from members import tasks
from members.models import Membership, RetentionEmail
from members.services import membership_set, retention_due, retention_send
from tests.members.factories import make_member, make_plan

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def run_schedule(now) -> list[str]:
    """One day's run of the ladder at `now` (what the daily task does); the subjects sent."""
    before = len(mail.outbox)
    for membership_id, kind in retention_due(now=now):
        retention_send(membership_id=membership_id, kind=kind, now=now)
    return [message.subject for message in mail.outbox[before:]]


def member_on(interval, email, *, ends, **extra):
    plan = make_plan(slug=f"plan-{interval}", interval=interval, stripe_price_id=f"p_{interval}")
    user = make_member(email=email)
    membership_set(user=user, status=Membership.Status.ACTIVE, current_period_end=ends, plan=plan)
    if extra:
        Membership.objects.filter(user=user).update(**extra)
    return user


def test_a_yearly_member_is_reminded_30_and_7_days_before_once_each_then_again_after_renewal():
    start = timezone.now()
    end = start + 40 * DAY
    user = member_on("year", "yearly@example.org", ends=end, stripe_subscription_id="sub_1")

    sent = []
    for day in range(40):  # every day of the period, each run twice
        sent += run_schedule(start + day * DAY) + run_schedule(start + day * DAY)

    assert sent == [
        "civicnet: your membership renews in a month",
        "civicnet: your membership renews next week",
    ]
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert "renews on" in message.body and "/account/" in message.body
    assert "civicnet" in message.alternatives[0][0]  # the site's email layout

    # Renewed for a year: the replayed schedule finds a new period and reminds again.
    membership_set(user=user, status=Membership.Status.ACTIVE, current_period_end=end + 365 * DAY)
    assert run_schedule(end + 340 * DAY) == ["civicnet: your membership renews in a month"]
    assert run_schedule(end + 340 * DAY) == []
    assert RetentionEmail.objects.filter(membership__user=user).count() == 3


def test_a_monthly_member_hears_3_days_before_only_when_it_does_not_renew_by_itself():
    now = timezone.now()
    member_on("month", "renews@example.org", ends=now + 2 * DAY, stripe_subscription_id="sub_2")
    ending = member_on("month", "ending@example.org", ends=now + 2 * DAY)

    assert run_schedule(now) == ["civicnet: your membership ends in three days"]
    assert mail.outbox[-1].to == [ending.email]
    assert run_schedule(now) == []


def test_a_lapse_is_noted_once_and_a_win_back_follows_thirty_days_later_once():
    user = member_on("year", "gone@example.org", ends=timezone.now() + DAY)
    membership_set(user=user, status=Membership.Status.EXPIRED, current_period_end=timezone.now())
    ended = Membership.objects.get(user=user).ended_at

    assert run_schedule(ended + DAY) == ["civicnet: your membership has ended"]
    sent = []
    for day in range(2, 45):
        sent += run_schedule(ended + day * DAY)
    assert sent == ["civicnet: the network misses you"]
    assert "/membership/" in mail.outbox[-1].body


def test_the_daily_task_sends_what_is_due_and_nothing_the_second_time():
    member_on("year", "soon@example.org", ends=timezone.now() + 5 * DAY)

    assert tasks.send_retention_emails() == 1
    assert tasks.send_retention_emails() == 0
    assert [m.subject for m in mail.outbox] == ["civicnet: your membership renews next week"]


def test_a_failed_send_stays_due(monkeypatch):
    member_on("year", "flaky@example.org", ends=timezone.now() + 5 * DAY)

    def refuse(*args, **kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr("members.services.retention.send_site_email", refuse)
    assert tasks.send_retention_emails() == 0
    assert not RetentionEmail.objects.exists()

    monkeypatch.undo()
    assert tasks.send_retention_emails() == 1


# --- The words staff edit ------------------------------------------------------------------
TEXTS = "/admin/snippets/members/retentionemailtext"


@pytest.fixture(autouse=True)
def _texts():
    """The migration made them; a transactional test run earlier may have emptied the table."""
    from members.services import retention_texts_ensure

    retention_texts_ensure()


@pytest.mark.usefixtures("site_evening")  # {ends_on} is the site's date, not UTC's
def test_staff_edit_a_retention_email_and_the_next_one_uses_their_words(client, staff, settings):
    from members.models import RetentionEmailText

    text = RetentionEmailText.objects.get(kind="renew_30")
    client.force_login(staff)
    assert "renews in a month" in client.get(f"{TEXTS}/").content.decode()

    response = client.post(
        f"{TEXTS}/edit/{text.pk}/",
        {
            "subject": "{first_name}, your {plan} year ends {ends_on}",
            "body": "Dear {first_name},\n\nA year goes fast. <b>Card</b>: {portal_url}",
        },
    )
    assert response.status_code == 302

    user = member_on("year", "edited@example.org", ends=timezone.now() + 20 * DAY)
    type(user).objects.filter(pk=user.pk).update(first_name="Ana")
    ends = timezone.localtime(Membership.objects.get(user=user).current_period_end)
    assert run_schedule(timezone.now()) == [f"Ana, your Individual year ends {ends:%-d %B %Y}"]
    message = mail.outbox[-1]
    assert message.body.startswith("Dear Ana,\n\nA year goes fast. <b>Card</b>: http")
    html = message.alternatives[0][0]
    assert "<p>Dear Ana,</p>" in html and "&lt;b&gt;Card&lt;/b&gt;" in html  # escaped
    assert f'<a href="{settings.SITE_URL}/membership/billing/"' in html
    assert "civicnet, a national network" in html  # the site's layout


@pytest.mark.parametrize(
    "body, error",
    [
        ("Hello {name}", "Unknown placeholder(s): {name}"),
        ("Hello {first_name.__class__}", "Unknown placeholder"),
        ("Hello {first_name:>99}", "bare name in braces"),
        ("Hello {first_name", "Unbalanced braces"),
    ],
)
def test_an_unknown_placeholder_is_a_form_error_and_sending_still_works(client, staff, body, error):
    from members.models import RetentionEmailText

    text = RetentionEmailText.objects.get(kind="renew_30")
    client.force_login(staff)

    response = client.post(f"{TEXTS}/edit/{text.pk}/", {"subject": "Hi", "body": body})

    assert response.status_code == 200
    assert error in response.content.decode()
    text.refresh_from_db()
    assert text.body.startswith("Hello {first_name},")
    member_on("year", "still@example.org", ends=timezone.now() + 20 * DAY)
    assert run_schedule(timezone.now()) == ["civicnet: your membership renews in a month"]


def test_staff_preview_a_retention_email_in_the_sites_layout_and_cannot_add_or_delete(
    client, staff
):
    from members.models import RetentionEmailText

    text = RetentionEmailText.objects.get(kind="pay_failed")
    client.force_login(staff)
    form = {"subject": text.subject, "body": "Hi {first_name}, fix it at {portal_url}"}

    assert client.post(f"{TEXTS}/preview/{text.pk}/", form).json()["is_valid"] is True
    preview = client.get(f"{TEXTS}/preview/{text.pk}/").content.decode()

    assert "<p>Hi Ana, fix it at" in preview and "civicnet, a national network" in preview
    assert client.get(f"{TEXTS}/add/").status_code in (302, 403)
    assert client.get(f"{TEXTS}/delete/{text.pk}/").status_code in (302, 403)
    assert RetentionEmailText.objects.count() == len(RetentionEmail.Kind.values)
