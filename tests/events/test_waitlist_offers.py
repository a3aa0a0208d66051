"""Waitlist offers: a freed place is offered to the first person waiting, held for them for a
time, then passed on; they accept through a signed single-use link, or leave the waitlist."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from events import services, tasks
from events.models import Event, Registration, RegistrationEmail
from events.services.offer_tokens import offer_token
from tests.events.factories import EventFactory
from tests.members.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db


def send_all(now=None):
    """What beat's mail sweep does: send every recorded email not sent yet."""
    for email_id in services.reminders_queue_due(now=now or timezone.now()):
        services.registration_email_send(email_id=email_id, now=now)


def full_event(capacity=1, waiting=2, **fields):
    """A full event with `waiting` people on its waitlist, in the order they came."""
    event = EventFactory(capacity=capacity, title="Curb management lab", **fields)
    holders = [
        services.registration_create(event=event, user=make_member(email=f"holder{n}@example.org"))
        for n in range(capacity)
    ]
    queue = [
        services.registration_create(event=event, user=make_member(email=f"wait{n}@example.org"))
        for n in range(waiting)
    ]
    assert {r.status for r in queue} == {"waitlisted"}
    send_all()  # the confirmations and waitlist emails: out of the way
    mail.outbox.clear()
    return event, holders, queue


def status(registration) -> str:
    registration.refresh_from_db()
    return registration.status


def test_a_freed_place_is_offered_to_the_first_waiting_and_held_for_them():
    event, (holder,), (first, second) = full_event(waitlist_offer_hours=6)
    now = timezone.now()

    services.registration_cancel(registration=holder, now=now)

    assert status(first) == "offered" and status(second) == "waitlisted"
    assert first.offer_expires_at == now + timedelta(hours=6)  # staff's hours for this event
    newcomer = services.registration_create(event=event, user=make_member(email="new@x.org"))
    assert newcomer.status == "waitlisted"  # the held place is not theirs to take


def test_the_offer_email_has_the_accept_and_leave_links_in_both_parts():
    event, (holder,), (first, _) = full_event(time_zone="America/Chicago")
    services.registration_cancel(registration=holder, notify=False)
    mail.outbox.clear()

    send_all()

    (message,) = mail.outbox
    assert message.to == [first.user.email]
    assert message.subject == "A place is free for you: Curb management lab"
    first.refresh_from_db()
    accept = f"{settings.SITE_URL}/events/{event.slug}/offer/{offer_token(first)}/"
    leave = f"{settings.SITE_URL}/events/{event.slug}/waitlist/leave/"
    deadline = timezone.localtime(first.offer_expires_at, event.zone)
    assert f"Accept the place: {accept}" in message.body
    assert f"Leave the waitlist: {leave}" in message.body
    assert f"held for you until {deadline:%a %-d %b, %-I:%M %p} C" in message.body  # CST/CDT
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{accept}"' in html and f'href="{leave}"' in html
    assert "Contact us" in html and "border-top:6px solid" in html  # the site layout


def test_the_waitlist_email_says_how_offers_work_and_links_to_leave():
    event = EventFactory(capacity=0, waitlist_offer_hours=12)
    services.registration_create(event=event, user=make_member(email="w@example.org"))

    send_all()

    (message,) = mail.outbox
    assert "we'll email you an offer, which you'll have 12 hours to accept" in message.body
    leave = f"{settings.SITE_URL}/events/{event.slug}/waitlist/leave/"
    assert f"Leave the waitlist: {leave}" in message.body
    assert f'href="{leave}"' in message.alternatives[0][0]


def test_accepting_confirms_once_and_the_link_is_single_use(client):
    event, (holder,), (first, second) = full_event()
    services.registration_cancel(registration=holder, notify=False)
    first.refresh_from_db()
    url = f"/events/{event.slug}/offer/{offer_token(first)}/"
    client.force_login(first.user)

    page = client.get(url).content.decode()
    assert "Accept the place" in page and status(first) == "offered"  # GET takes nothing
    client.post(url)
    again = client.post(url, follow=True).content.decode()

    assert status(first) == "confirmed" and first.promoted_at
    assert "already accepted" in again
    assert RegistrationEmail.objects.filter(registration=first, kind="promoted").count() == 1
    assert status(second) == "waitlisted"


def test_only_the_person_offered_can_accept(client):
    event, (holder,), (first, second) = full_event()
    services.registration_cancel(registration=holder, notify=False)
    first.refresh_from_db()
    url = f"/events/{event.slug}/offer/{offer_token(first)}/"

    assert client.post(url)["Location"].startswith("/accounts/login/")
    client.force_login(second.user)
    html = client.post(url, follow=True).content.decode()

    assert "This offer was made to someone else" in html
    assert status(first) == "offered" and status(second) == "waitlisted"


def test_a_forged_or_stale_link_accepts_nothing(client):
    event, (holder,), (first, _) = full_event()
    services.registration_cancel(registration=holder, notify=False)
    client.force_login(first.user)

    forged = client.post(f"/events/{event.slug}/offer/{first.pk}:abc/", follow=True)
    first.refresh_from_db()
    stale = offer_token(first).replace(":", ":0", 1)

    assert "not valid" in forged.content.decode()
    assert client.post(f"/events/{event.slug}/offer/{stale}/").status_code == 302
    assert status(first) == "offered"


def test_an_offer_cannot_be_accepted_once_it_has_lapsed():
    event, (holder,), (first, _) = full_event()
    now = timezone.now()
    services.registration_cancel(registration=holder, now=now)
    first.refresh_from_db()

    with pytest.raises(services.OfferError, match="lapsed"):
        services.waitlist_offer_accept(
            token=offer_token(first), user=first.user, now=now + timedelta(hours=25)
        )
    assert status(first) == "offered"  # the scheduled task moves it on


def test_an_offer_never_outlasts_the_close_of_registration():
    start = timezone.now() + timedelta(hours=5)
    event, (holder,), (first, _) = full_event(starts_at=start, ends_at=start + timedelta(hours=1))

    services.registration_cancel(registration=holder)

    first.refresh_from_db()
    assert first.offer_expires_at == event.starts_at


def test_replaying_the_schedule_moves_the_offer_along_and_sends_each_email_once():
    """Beat runs the offer task and the mail sweep every tick (here twice a tick, and late):
    the first person lets the offer lapse, the second accepts, the third keeps waiting."""
    event, (holder,), (first, second, third) = full_event(waiting=3)
    t0 = timezone.now()
    services.registration_cancel(registration=holder, now=t0, notify=False)
    accepted = False
    for tick in range(0, 60 * 60, 20):  # minutes: sixty hours, every twenty minutes
        now = t0 + timedelta(minutes=tick)
        for _ in range(2):
            for event_id in services.waitlist_offers_due(now=now):
                services.waitlist_offer_places(event=Event.objects.get(pk=event_id), now=now)
            send_all(now)
        second.refresh_from_db()
        if (
            not accepted
            and second.status == "offered"
            and now >= second.offered_at + timedelta(hours=6)
        ):
            services.waitlist_offer_accept(token=offer_token(second), user=second.user, now=now)
            accepted = True
            send_all(now)

    sent = Counter((m.to[0], m.subject) for m in mail.outbox)
    title = "Curb management lab"
    assert sent == {
        (first.user.email, f"A place is free for you: {title}"): 1,
        (first.user.email, f"Your waitlist offer has lapsed: {title}"): 1,
        (second.user.email, f"A place is free for you: {title}"): 1,
        (second.user.email, f"A place opened up: you're registered for {title}"): 1,
    }
    assert [status(r) for r in (first, second, third)] == ["cancelled", "confirmed", "waitlisted"]
    assert second.offered_at == t0 + timedelta(hours=24)  # the tick the first offer lapsed
    lapsed = [m for m in mail.outbox if "lapsed" in m.subject][0]
    assert "join the waitlist again from the event page" in lapsed.body
    assert "border-top:6px solid" in lapsed.alternatives[0][0]


def test_the_beat_task_is_scheduled_and_safe_to_run_twice():
    event, (holder,), (first, _) = full_event()
    Registration.objects.filter(pk=holder.pk).update(status="cancelled")  # freed, no offer yet

    assert settings.CELERY_BEAT_SCHEDULE["events-offer-waitlist-places"]["task"] == (
        "events.offer_waitlist_places"
    )
    assert tasks.offer_waitlist_places() == 1
    assert tasks.offer_waitlist_places() == 0
    assert status(first) == "offered"
    assert RegistrationEmail.objects.filter(kind="offer").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_cancellations_at_once_never_offer_the_same_place_twice():
    """Real concurrent transactions: two places free at once go to the first two waiting,
    one offer (and one offer email) each."""
    event, holders, queue = full_event(capacity=2, waiting=3)
    barrier = threading.Barrier(2)
    errors = []

    def cancel(registration):
        try:
            barrier.wait(timeout=5)
            services.registration_cancel(registration=registration, notify=False)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel, args=(h,)) for h in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert errors == []
    assert [status(r) for r in queue] == ["offered", "offered", "waitlisted"]
    offers = RegistrationEmail.objects.filter(kind="offer")
    assert sorted(offers.values_list("registration_id", flat=True)) == [queue[0].pk, queue[1].pk]
    for _ in range(2):
        send_all()
    assert sorted(m.to[0] for m in mail.outbox) == [queue[0].user.email, queue[1].user.email]


def test_leaving_the_waitlist_from_the_email_link(client):
    event, _, (first, second) = full_event()
    client.force_login(second.user)
    url = f"/events/{event.slug}/waitlist/leave/"

    assert "Leave the waitlist" in client.get(url).content.decode()
    assert status(second) == "waitlisted"
    response = client.post(url)

    assert response.status_code == 302 and status(second) == "cancelled"
    assert status(first) == "waitlisted"
    assert "not on the waitlist" in client.get(url).content.decode()


def test_declining_an_offer_from_the_event_page_passes_it_to_the_next(client):
    event, (holder,), (first, second) = full_event()
    services.registration_cancel(registration=holder, notify=False)
    client.force_login(first.user)

    page = client.get(event.url).content.decode()
    assert "A place is held for you until" in page and "Accept the place" in page
    assert "Decline the place" in page
    client.post(f"/events/{event.slug}/cancel/")

    assert status(first) == "cancelled" and status(second) == "offered"
    client.force_login(UserFactory())
    assert "Leave the waitlist" not in client.get(event.url).content.decode()


def test_the_event_page_offers_a_waitlisted_person_a_way_out(client):
    event, _, (first, _) = full_event()
    client.force_login(first.user)

    page = client.get(event.url).content.decode()

    assert "Leave the waitlist" in page
    assert "we'll email you an offer to accept within 24 hours" in page
