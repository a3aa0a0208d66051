"""The network dashboard's cache: every write to what its figures come from draws it afresh,
one viewer is never shown the page drawn for another who may follow other links, and a
cached page costs a fixed handful of queries."""

import re
from datetime import timedelta

import pytest
from django.contrib import messages
from django.contrib.auth.models import Group
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicnet.dashboard import Links, Period, cache_key, cached, data_version, network_dashboard
from civicnet.services import feedback_record
from events.models import Event
from events.services.registrations import registration_check_in, registration_create
from library.services import download_record
from members.models import Membership, Plan
from members.services import membership_set, profile_update
from newsletter.models import Delivery
from newsletter.services.engagement import delivery_record_open
from newsletter.services.subscriptions import subscriber_unsubscribe
from tests.civicnet.factories import make_standard_page
from tests.civicnet.test_dashboard import _held_event, _paid, _refunded, _sent_edition
from tests.core.test_table_versions import tables_read, tables_watched_by, uncommitted_write
from tests.events.factories import EventFactory
from tests.library.factories import make_library, make_resource
from tests.members.factories import UserFactory, make_member, make_plan

pytestmark = pytest.mark.django_db

TRIGGER = "civicnet_dashboard_data_changed"
# The page served from the cache: the user (the session comes from the cache), their admin
# profile (Wagtail's language and time zone) and the data version; the rest is kept.
CACHED_PAGE_QUERIES = 3


@pytest.fixture
def world(home_page, days_ago):
    """One of everything the dashboard counts, in the last 30 days."""
    plan = make_plan(slug="monthly", interval="month", price_cents=1200, stripe_price_id="price_m")
    payer = UserFactory(email="payer@example.org", first_name="Payer")
    days_ago(6)
    _paid(payer, plan, number=1, interval_days=31)
    days_ago(0)
    member = make_member(email="member@example.org")
    guest = make_member(email="guest@example.org")
    (registration,) = _held_event(days=2, people=[guest], title="Autumn meeting")
    # Open for registration, and in the period shown (which runs to the end of tomorrow).
    upcoming = EventFactory(capacity=None, title="Winter school")
    Event.objects.filter(pk=upcoming.pk).update(
        starts_at=timezone.now() + timedelta(hours=1), ends_at=timezone.now() + timedelta(hours=3)
    )
    edition, readers = _sent_edition("Spring news", opened=1, clicked=0, unsubscribed=0, total=3)
    resource = make_resource(make_library(home_page), title="Toolkit")
    page = make_standard_page(home_page, title="About us", slug="about-us")
    return {
        "plan": plan,
        "payer": payer,
        "member": member,
        "registration": registration,
        "upcoming": Event.objects.get(pk=upcoming.pk),
        "edition": edition,
        "readers": readers,
        "resource": resource,
        "page": page,
    }


def _pay_again(world, days_ago):
    days_ago(1)
    _paid(world["payer"], world["plan"], number=2, interval_days=31)
    days_ago(0)


def _new_registration(world, days_ago):
    registration_create(event=world["upcoming"], user=world["member"])


def _delivery(world, days_ago):
    reader = world["readers"][-1]
    delivery = Delivery.objects.get(subscriber=reader)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED)


def _open(world, days_ago, settings):
    settings.NEWSLETTER_TRACKING = True
    delivery = Delivery.objects.filter(first_opened_at=None).first()
    assert delivery_record_open(delivery_id=delivery.pk)


def _republish(world, days_ago):
    page = world["page"]
    page.title = "About the network"
    page.save_revision().publish()


CHANGES = {
    "membership lapses": lambda world, days_ago: membership_set(
        user=world["member"], status=Membership.Status.EXPIRED, current_period_end=None
    ),
    "payment": _pay_again,
    "refund (a Stripe event)": lambda world, days_ago: _refunded(world["payer"], amount=300),
    "plan renamed": lambda world, days_ago: Plan.objects.filter(pk=world["plan"].pk).update(
        name="Supporter"
    ),
    "sector": lambda world, days_ago: profile_update(user=world["member"], sector="academic"),
    "registration": _new_registration,
    "attendance": lambda world, days_ago: registration_check_in(registration=world["registration"]),
    "event renamed": lambda world, days_ago: Event.objects.filter(
        pk=world["registration"].event_id
    ).update(title="Winter meeting"),
    "download": lambda world, days_ago: download_record(resource=world["resource"]),
    "helpful vote": lambda world, days_ago: feedback_record(
        page=world["resource"], visitor_key="anon:1", helpful=False
    ),
    "page published": _republish,
    "delivery failed": _delivery,
    "unsubscribe": lambda world, days_ago: subscriber_unsubscribe(
        subscriber_id=world["readers"][0].pk, edition_id=world["edition"].pk
    ),
}


def _drawn(client) -> str:
    """The dashboard as drawn, for the last 30 days and tomorrow, but for its CSRF token (each
    request's own)."""
    today = timezone.localdate()
    first, last = today - timedelta(days=29), today + timedelta(days=1)
    page = client.get(f"/admin/reports/network/?from={first}&to={last}").content.decode()
    return re.sub(r'"CSRF_TOKEN": "\w+"', "", page)


@pytest.mark.parametrize("change", [*CHANGES, "newsletter open"])
def test_each_source_of_its_figures_draws_the_cached_dashboard_afresh(
    client, staff, world, days_ago, settings, change, django_assert_num_queries
):
    client.force_login(staff)
    before = _drawn(client)
    with django_assert_num_queries(CACHED_PAGE_QUERIES):
        assert _drawn(client) == before
    version = data_version()

    if change == "newsletter open":
        _open(world, days_ago, settings)
    else:
        CHANGES[change](world, days_ago)

    assert data_version() > version
    assert _drawn(client) != before


def test_the_admin_homes_panel_shares_the_figures_and_follows_a_payment(
    client, staff, world, days_ago
):
    client.force_login(staff)
    period = Period.last(30)

    def payments():
        figures = network_dashboard(period, Links(staff, period))
        return {figure.label: figure for figure in figures["revenue"]}["Payments"]

    before = client.get("/admin/").content.decode()
    assert payments().current == 1200 and payments().current_display in before

    _pay_again(world, days_ago)

    after = client.get("/admin/").content.decode()
    assert payments().current == 2400 and payments().current_display in after
    assert payments().current_display not in before


@pytest.mark.parametrize("first", ["staff", "lead"])
def test_a_network_lead_never_sees_the_page_drawn_for_staff_nor_staff_the_leads(
    client, staff, world, first
):
    lead = UserFactory(email="lead@example.org")
    lead.groups.add(Group.objects.get(name="Network leads"))
    recipients = f"/admin/reports/network/newsletter/?edition={world['edition'].pk}"
    attendees = f"/events/{world['registration'].event.slug}/attendees/"
    order = [staff, lead] if first == "staff" else [lead, staff]

    pages = {}
    for person in order:
        client.force_login(person)
        pages[person] = _drawn(client)

    assert recipients in pages[staff] and recipients not in pages[lead]
    assert (attendees in pages[staff]) != (attendees in pages[lead])
    assert _drawn(client) == pages[order[-1]]


def test_links_refuse_a_permission_the_cache_key_does_not_hold(staff):
    period = Period.last(30)

    with pytest.raises(ValueError, match="Links.PERMISSIONS"):
        Links(staff, period).may("events.change_event")


def test_every_table_the_dashboard_reads_moves_the_data_version(staff, world):
    period = Period.last(30)
    with CaptureQueriesContext(connection) as queries:
        network_dashboard(period, Links(staff, period), version=0)
    read = tables_read(queries)
    watched = tables_watched_by(TRIGGER)

    assert len(read) > 10
    assert read <= watched, read - watched


def test_figures_that_move_with_the_clock_are_at_most_a_minute_old(
    client, staff, world, monkeypatch
):
    """A membership that runs out counts as active until then, and no longer after, though
    nothing was written."""
    membership_set(
        user=world["member"],
        status=Membership.Status.ACTIVE,
        current_period_end=timezone.now() + timedelta(seconds=30),
    )
    period = Period.last(30)

    def active():
        figures = network_dashboard(period, Links(staff, period))
        return {figure.label: figure for figure in figures["members"]}["Active at the end"]

    before = active().current
    later = timezone.now() + timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert active().current == before - 1


def test_a_minute_old_figure_is_shown_while_one_request_works_it_out_again(monkeypatch):
    period = Period.last(30)
    now = timezone.now()
    values = iter(["first", "second", "third"])

    def figures():
        return cached("test", period, lambda: next(values), version=1)

    def at(minutes):
        monkeypatch.setattr(timezone, "now", lambda: now + timedelta(minutes=minutes))

    busy = cache_key("test", period, 1) + ":busy"
    assert figures() == "first"
    at(1)
    cache.add(busy, 1)  # another request is working it out
    assert figures() == "first"
    cache.delete(busy)
    assert figures() == "second"
    assert figures() == "second"  # fresh for this minute
    at(3)
    cache.add(busy, 1)
    assert figures() == "third"  # more than a minute old: never shown


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "write",
    [
        lambda: make_member(email="writer@example.org"),  # the figures' tables (0005)
        lambda: Group.objects.create(name="Writers"),  # the sidebar's (0006)
    ],
    ids=["figures", "sidebar"],
)
def test_a_write_not_yet_committed_is_never_kept_under_the_data_version(write):
    """Another session's write has moved the number but is not visible yet: the version is
    then None (nothing kept) until that write commits (civicnet migration 0007's lock)."""
    before = data_version()
    assert before is not None
    with uncommitted_write(write):
        assert data_version() is None
    after = data_version()
    assert after is not None and after > before


DASHBOARD = "/admin/reports/network/?days=30"
WAGTAIL_CSRF_TOKEN = re.compile(r'"CSRF_TOKEN": "(\w+)"')


def test_the_kept_page_gives_each_session_a_csrf_token_of_its_own(
    staff, days_ago, django_assert_num_queries
):
    days_ago(0)  # one minute: the kept page is not worked out again
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(staff)
    second.force_login(staff)
    first.get(DASHBOARD)

    with django_assert_num_queries(CACHED_PAGE_QUERIES):  # the page kept for the first
        page = second.get(DASHBOARD).content.decode()
    (token,) = WAGTAIL_CSRF_TOKEN.findall(page)

    assert first.post("/admin/logout/", headers={"X-CSRFToken": token}).status_code == 403
    assert second.post("/admin/logout/", headers={"X-CSRFToken": token}).status_code == 302


def _message(client, text: str) -> None:
    """A message waiting to be shown on the next page, as a view leaves it (in the cookie)."""
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(messages.SUCCESS, text)
    response = HttpResponse()
    storage.update(response)
    client.cookies["messages"] = response.cookies["messages"].value


def test_a_waiting_message_is_shown_once_and_never_kept_with_the_page(client, staff):
    client.force_login(staff)
    client.get(DASHBOARD)

    _message(client, "The plan was saved.")
    assert "The plan was saved." in client.get(DASHBOARD).content.decode()
    assert "The plan was saved." not in client.get(DASHBOARD).content.decode()


def test_the_kept_page_follows_the_folded_sidebar(client, staff):
    client.force_login(staff)
    assert "sidebar-collapsed" not in client.get(DASHBOARD).content.decode()

    client.cookies["wagtail_sidebar_collapsed"] = "1"
    assert "sidebar-collapsed" in client.get(DASHBOARD).content.decode()
