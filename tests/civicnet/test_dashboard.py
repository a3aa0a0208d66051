"""The network dashboard: its figures for a period against the one before, the lists behind
them, its CSV, the admin home's panel, and a query count that history does not change."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.text import slugify

from civicnet.dashboard import Links, Period, network_dashboard, network_summary
from events.models import Event, Registration
from events.services import registration_create
from members.models import Membership
from members.services import (
    membership_set,
    membership_sync_from_stripe,
    payment_record_invoice,
    refunds_record_charge,
)
from newsletter.models import Delivery, Edition, Subscriber
from tests.civicnet.factories import make_standard_page
from tests.events.factories import EventFactory
from tests.members.factories import UserFactory, make_member, make_plan
from tests.newsletter.factories import make_edition, make_subscriber

pytestmark = pytest.mark.django_db


def _paid(user, plan, *, number, interval_days, amount=None, currency="usd"):
    """Stripe's invoice.paid, as the webhook handles it: the membership, then the payment."""
    period_end = timezone.now() + timedelta(days=interval_days)
    subscription = {
        "id": f"sub_{user.pk}",
        "customer": f"cus_{user.pk}",
        "status": "active",
        "created": 1,
        "metadata": {"user_id": str(user.pk)},
        "items": {
            "data": [
                {
                    "price": {"id": plan.stripe_price_id},
                    "current_period_end": int(period_end.timestamp()),
                }
            ]
        },
    }
    membership_sync_from_stripe(
        event_id=f"evt_{user.pk}_{number}",
        event_type="invoice.paid",
        subscription=subscription,
        user_id=user.pk,
    )
    invoice = {
        "id": f"in_{user.pk}_{number}",
        "customer": f"cus_{user.pk}",
        "amount_paid": plan.price_cents if amount is None else amount,
        "currency": currency,
        "billing_reason": "subscription_create" if number == 1 else "subscription_cycle",
    }
    created = int(timezone.now().timestamp())
    event = {"id": f"evt_{user.pk}_{number}", "created": created, "data": {"object": invoice}}
    payment_record_invoice(event=event)


def _refunded(user, *, amount, currency="usd"):
    charge = {"id": f"ch_{user.pk}", "customer": f"cus_{user.pk}", "currency": currency}
    charge["refunds"] = {"data": [{"id": f"re_{user.pk}", "amount": amount, "status": "succeeded"}]}
    created = int(timezone.now().timestamp())
    refunds_record_charge(
        event={"id": f"evt_re_{user.pk}", "created": created, "data": {"object": charge}}
    )


@pytest.fixture
def history(days_ago):
    """Last 30 days against the 30 before:
    Ann pays monthly: first 45 days ago, again 15 days ago (renewed).
    Ben pays yearly: first 10 days ago (new), $90 of the $120 with a promotion code.
    Ann is refunded $6 five days ago.
    Cy, complimentary for 100 days, lapses 5 days ago.
    Dee joins 50 days ago, lapses 40 days ago, comes back 3 days ago.
    """
    monthly = make_plan(
        slug="individual-monthly",
        interval="month",
        price_cents=1200,
        stripe_price_id="price_month",
    )
    yearly = make_plan(price_cents=12000, stripe_price_id="price_year")
    ann, ben, cy, dee = (
        UserFactory(email=f"{name}@example.org", first_name=name.title())
        for name in ("ann", "ben", "cy", "dee")
    )
    days_ago(100)
    membership_set(user=cy, status=Membership.Status.ACTIVE, current_period_end=None)
    days_ago(50)
    membership_set(user=dee, status=Membership.Status.ACTIVE, current_period_end=None)
    days_ago(45)
    _paid(ann, monthly, number=1, interval_days=31)
    days_ago(40)
    membership_set(user=dee, status=Membership.Status.EXPIRED, current_period_end=timezone.now())
    days_ago(15)
    _paid(ann, monthly, number=2, interval_days=31)
    days_ago(10)
    _paid(ben, yearly, number=1, interval_days=365, amount=9000)
    days_ago(5)
    _refunded(ann, amount=600)
    membership_set(user=cy, status=Membership.Status.EXPIRED, current_period_end=timezone.now())
    days_ago(3)
    membership_set(user=dee, status=Membership.Status.ACTIVE, current_period_end=None)
    days_ago(0)
    return {"ann": ann, "ben": ben, "cy": cy, "dee": dee}


def _figures(section):
    return {figure.label: figure for figure in section}


def test_members_and_revenue_for_the_period_against_the_one_before(history, staff):
    period = Period.last(30)
    summary = network_summary(period, Links(staff, period))
    members, revenue = _figures(summary["members"]), _figures(summary["revenue"])

    assert (members["New"].current, members["New"].previous) == (1, 2)  # Ben; Ann and Dee
    assert (members["Back after lapsing"].current, members["Back after lapsing"].previous) == (
        1,
        0,
    )
    assert (members["Lapsed"].current, members["Lapsed"].previous) == (1, 1)  # Cy; Dee
    assert members["Renewed (paid again)"].current == 1  # Ann
    assert (members["Active at the end"].current, members["Active at the end"].previous) == (3, 2)
    assert members["Churn rate"].current == pytest.approx(0.5)  # Cy, of Ann and Cy
    # What Stripe took, not the plans' prices.
    assert (revenue["Payments"].current, revenue["Payments"].previous) == (10200, 1200)
    assert revenue["New (first payments)"].current == 9000
    assert revenue["Recurring"].current == 1200
    assert (revenue["Refunds"].current, revenue["Refunds"].previous) == (600, 0)
    # Ann's last monthly payment, Ben's yearly one over twelve; Dee was set by staff, unpaid.
    assert revenue["MRR at the end"].current == 1950
    assert revenue["ARR at the end"].current == 23400


def test_money_in_another_currency_is_figured_apart_never_added_to_the_sites(
    client, history, staff, days_ago
):
    """Eve pays €10 a month (first 8 days ago) and is refunded €2; Fay paid ¥1,500 long ago."""
    monthly = make_plan(slug="eu-monthly", interval="month", price_cents=1000, stripe_price_id="p")
    eve = UserFactory(email="eve@example.org", first_name="Eve")
    fay = UserFactory(email="fay@example.org", first_name="Fay")
    days_ago(400)
    _paid(fay, monthly, number=1, interval_days=31, amount=1500, currency="jpy")
    days_ago(8)
    _paid(eve, monthly, number=1, interval_days=31, currency="eur")
    _refunded(eve, amount=200, currency="eur")
    days_ago(0)
    period = Period.last(30)

    revenue = _figures(network_summary(period, Links(staff, period))["revenue"])

    # The site's figures are as before Eve came: euros are not dollars.
    assert (revenue["Payments"].current, revenue["MRR at the end"].current) == (10200, 1950)
    assert revenue["Payments (EUR)"].current == 1000
    assert revenue["Refunds (EUR)"].current == 200
    assert (revenue["MRR at the end (EUR)"].current, revenue["ARR at the end (EUR)"].current) == (
        1000,
        12000,
    )
    assert not any("JPY" in label for label in revenue)  # nothing in yen now, nor anyone paying

    client.force_login(staff)
    page = client.get("/admin/reports/network/?days=30").content.decode()
    assert "102 USD" in page and "10 EUR" in page
    url = "/admin/reports/network/members/?days=30&amp;kind=payments&amp;currency=eur"
    assert url in page
    euros = client.get(url.replace("&amp;", "&"))
    assert [p.amount_display for p in euros.context["page"]] == ["10.00 EUR"]
    paying = client.get("/admin/reports/network/members/?days=30&kind=active&paying=1&currency=eur")
    assert [m.user for m in paying.context["page"]] == [eve]

    rows = list(csv.reader(io.StringIO(client.get("/admin/reports/network.csv?days=30").text)))
    by_measure = {(row[0], row[1], row[2]): row for row in rows[1:]}
    assert by_measure[("Revenue", "EUR", "Payments (EUR)")][3] == "10.0"
    assert by_measure[("Revenue", "USD", "Payments")][3] == "102.0"
    panel = client.get("/admin/").content.decode()
    assert "Payments (EUR)" in panel and "MRR at the end (EUR)" in panel


def test_active_memberships_by_plan_and_sector_at_the_end_of_the_period(history, staff):
    period = Period.last(30)
    figures = network_dashboard(period, Links(staff, period))

    by_plan = {row["label"]: row["total"] for row in figures["by_plan"]}
    assert by_plan == {
        "Individual (monthly)": 1,
        "Individual (yearly)": 1,
        "Complimentary / none": 1,
    }
    assert sum(row["total"] for row in figures["by_sector"]) == 3


def test_a_figure_links_to_the_people_behind_it(client, history, staff):
    client.force_login(staff)
    page = client.get("/admin/reports/network/?days=30").content.decode()
    assert "/admin/reports/network/members/?days=30&amp;kind=new" in page

    new = client.get("/admin/reports/network/members/?days=30&kind=new").content.decode()
    lapsed = client.get("/admin/reports/network/members/?days=30&kind=lapsed").content.decode()

    assert "Ben" in new and "Ann" not in new
    assert "Cy" in lapsed and "Dee" not in lapsed
    assert "/admin/reports/network/members/?days=30&amp;kind=refunds" in page
    refunds = client.get("/admin/reports/network/members/?days=30&kind=refunds").content.decode()
    first = client.get("/admin/reports/network/members/?days=30&kind=first_payments")
    assert "Ann" in refunds and "−6.00 USD" in refunds and "Ben" not in refunds
    assert [p.amount_cents for p in first.context["page"]] == [9000]
    assert (
        f"/admin/users/edit/{history['ben'].pk}/" in new
        or f"/admin/users/{history['ben'].pk}/" in new
    )


@pytest.mark.parametrize("who", ["staff", "lead"])
def test_every_figure_links_to_a_list_the_viewer_may_open(client, history, staff, who):
    lead = UserFactory(email="lead@example.org")
    lead.groups.add(Group.objects.get(name="Network leads"))
    client.force_login(staff if who == "staff" else lead)

    response = client.get("/admin/reports/network/?days=30")
    figures = response.context["figures"]

    for figure in [*figures["members"], *figures["revenue"], *figures["activity"]]:
        assert figure.url, figure.label
        if figure.url.startswith("#"):  # a table further down the page
            assert f'id="{figure.url[1:]}"' in response.content.decode()
        else:
            assert client.get(figure.url).status_code == 200, figure.label


def _held_event(*, days, people, **fields):
    """An event that ended `days` ago, with these people registered while it was open."""
    event = EventFactory(capacity=None, **fields)
    registrations = [registration_create(event=event, user=person) for person in people]
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(days=days, hours=4),
        ends_at=timezone.now() - timedelta(days=days),
    )
    return registrations


def test_events_show_registrations_and_the_no_show_rate_of_those_that_ended(staff):
    people = [make_member(email=f"guest{n}@example.org") for n in range(4)]
    registrations = _held_event(days=3, people=people, title="Autumn meeting")
    Registration.objects.filter(pk__in=[r.pk for r in registrations[:3]]).update(
        checked_in_at=timezone.now()
    )
    period = Period.last(30)

    figures = network_dashboard(period, Links(staff, period))

    (event,) = figures["events"]
    assert (event.registered, event.checked_in) == (4, 3)
    assert event.no_show_rate == pytest.approx(0.25)
    assert _figures(figures["activity"])["No-show rate"].current == pytest.approx(0.25)


def test_stale_content_lists_pages_with_the_most_no_answers_first(home_page, staff):
    from civicnet.models import PageFeedback

    liked = make_standard_page(home_page, title="Liked page", slug="liked")
    disliked = make_standard_page(home_page, title="Disliked page", slug="disliked")
    for n in range(3):
        PageFeedback.objects.create(page=disliked, visitor_key=f"anon:{n}", helpful=False)
    PageFeedback.objects.create(page=liked, visitor_key="anon:x", helpful=True)
    period = Period.last(30)

    stale = network_dashboard(period, Links(staff, period))["stale_pages"]

    assert stale[0].title == "Disliked page" and stale[0].helpful_no == 3


def test_the_period_form_takes_days_or_dates_and_refuses_nonsense_with_a_400(client, staff):
    client.force_login(staff)

    assert client.get("/admin/reports/network/?days=365").status_code == 200
    response = client.get("/admin/reports/network/?from=2026-01-01&to=2026-03-31")
    assert response.status_code == 200
    assert "1 Jan 2026 to 31 Mar 2026" in response.content.decode()
    for query in ("from=2026-03-01&to=2026-01-01", "days=7", "from=2026-01-01", "to=1e309"):
        response = client.get(f"/admin/reports/network/?{query}")
        assert response.status_code == 400, query
        assert 'role="alert"' in response.content.decode()
    assert client.get("/admin/reports/network.csv?days=12").status_code == 400


def test_the_csv_repeats_the_figures(client, history, staff):
    client.force_login(staff)

    response = client.get("/admin/reports/network.csv?days=30")

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "item", "measure", "this period", "period before", "change"]
    by_measure = {(row[0], row[2]): row for row in rows[1:]}
    assert by_measure[("Members", "New")][3:5] == ["1", "2"]
    assert by_measure[("Revenue", "Payments")][3:5] == ["102.0", "12.0"]
    assert by_measure[("Revenue", "Refunds")][3:5] == ["6.0", "0.0"]


def test_the_charts_are_svg_with_their_figures_in_a_table(client, history, staff):
    client.force_login(staff)

    page = client.get("/admin/reports/network/?days=90").content.decode()

    assert page.count("<svg") >= 4
    assert "Members joining and leaving" in page and "The figures in this chart" in page


def _more_history(days_ago, n):
    """More of everything the dashboard reads: members, payments, events, pages."""
    plan = make_plan(slug=f"plan-{n}", price_cents=5000, stripe_price_id=f"price_{n}")
    for i in range(5):
        user = UserFactory(email=f"more{n}-{i}@example.org")
        days_ago(20 + i)
        # Each batch pays in one more currency: more currencies, no more queries.
        _paid(user, plan, number=1, interval_days=30, currency=["usd", "eur", "gbp"][n])
        days_ago(2)
        membership_set(user=user, status=Membership.Status.EXPIRED, current_period_end=None)
    days_ago(0)
    _held_event(days=2, people=[make_member(email=f"attendee{n}@example.org")])
    _sent_edition(f"More news {n}", opened=3, clicked=2, unsubscribed=1, total=6)


def _sent_edition(subject, *, opened, clicked, unsubscribed, total, days=4):
    """An edition sent `days` ago to `total` readers: the first `opened` opened it, the first
    `clicked` clicked, the last `unsubscribed` unsubscribed the day after."""
    sent_at = timezone.now() - timedelta(days=days)
    edition = make_edition(subject=subject)
    Edition.objects.filter(pk=edition.pk).update(status="sent", started_at=sent_at)
    readers = [make_subscriber(f"{slugify(subject)}-{i}@example.org") for i in range(total)]
    for i, reader in enumerate(readers):
        Delivery.objects.create(
            edition=edition,
            subscriber=reader,
            email=reader.email,
            status=Delivery.Status.SENT,
            sent_at=sent_at,
            first_opened_at=sent_at + timedelta(hours=1) if i < opened else None,
            first_clicked_at=sent_at + timedelta(hours=2) if i < clicked else None,
        )
    Subscriber.objects.filter(pk__in=[r.pk for r in readers[total - unsubscribed :]]).update(
        status="unsubscribed", unsubscribed_at=sent_at + timedelta(days=1)
    )
    return edition, readers


def test_each_editions_sends_opens_clicks_and_unsubscribes_link_to_the_readers_behind_them(
    client, staff, django_assert_max_num_queries
):
    edition, readers = _sent_edition("Spring news", opened=3, clicked=1, unsubscribed=2, total=5)
    client.force_login(staff)

    response = client.get("/admin/reports/network/?days=30")
    (row,) = [e for e in response.context["figures"]["editions"] if e.pk == edition.pk]
    assert (row.sent, row.opened, row.clicked, row.unsubscribed) == (5, 3, 1, 2)
    page = response.content.decode()
    activity = {f.label: f.current for f in response.context["figures"]["activity"]}
    assert (activity["Copies opened"], activity["Copies clicked"]) == (3, 1)

    def listed(show):
        url = row.urls[show]
        assert url.replace("&", "&amp;") in page
        response = client.get(url)
        assert response.status_code == 200
        return [delivery.email for delivery in response.context["page"]]

    emails = sorted(reader.email for reader in readers)
    assert listed("sent") == emails
    assert listed("opened") == emails[:3]
    assert listed("clicked") == emails[:1]
    assert listed("unsubscribed") == emails[3:]

    # The list runs in a fixed number of queries, however many readers.
    with django_assert_max_num_queries(30) as few:
        client.get(row.urls["unsubscribed"])
    more, _ = _sent_edition("Summer news", opened=0, clicked=0, unsubscribed=20, total=40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(row.urls["unsubscribed"].replace(str(edition.pk), str(more.pk)))
    assert len(response.context["page"]) == 20

    bad = client.get("/admin/reports/network/newsletter/?edition=abc&show=sent")
    assert bad.status_code == 400
    missing = client.get("/admin/reports/network/newsletter/?edition=999999&show=sent")
    assert missing.status_code == 404


def _ten_times_the_history(days_ago):
    """Ten more of each batch: members paying and lapsing, events, editions."""
    for n in range(10):
        plan = make_plan(slug=f"tenfold-{n}", price_cents=3000, stripe_price_id=f"price_t{n}")
        for i in range(4):
            user = UserFactory(email=f"tenfold{n}-{i}@example.org")
            days_ago(5 + n + i)
            _paid(user, plan, number=1, interval_days=30, currency=["usd", "eur"][i % 2])
            if i % 2:
                days_ago(1)
                membership_set(user=user, status=Membership.Status.EXPIRED, current_period_end=None)
        days_ago(0)
        people = [make_member(email=f"tenfold-guest{n}-{i}@example.org") for i in range(3)]
        _held_event(days=1 + n, people=people)
        _sent_edition(f"Tenfold news {n}", opened=2, clicked=1, unsubscribed=1, total=4)


# One render with the figures worked out: the admin's own queries (user, profile,
# locale, the explorer's pages), the data version and the figures' queries. (The session comes
# from the cache.)
DRAWN_QUERIES = 22
# One render from the cache: the whole page kept for the person at this data version
# (civicnet/dashboard_views.py): the user, their admin profile (Wagtail's language and time
# zone) and the data version.
CACHED_QUERIES = 3


def test_the_whole_dashboard_renders_in_a_fixed_number_of_queries(
    client, history, staff, days_ago, django_assert_num_queries
):
    client.force_login(staff)
    client.get("/admin/reports/network/?days=90")  # warm what the admin caches per process

    with django_assert_num_queries(CACHED_QUERIES):
        assert client.get("/admin/reports/network/?days=90").status_code == 200
    _more_history(days_ago, 1)
    _more_history(days_ago, 2)
    with django_assert_num_queries(DRAWN_QUERIES):
        assert client.get("/admin/reports/network/?days=90").status_code == 200
    _ten_times_the_history(days_ago)
    with django_assert_num_queries(DRAWN_QUERIES):
        response = client.get("/admin/reports/network/?days=90")
    with django_assert_num_queries(CACHED_QUERIES):
        again = client.get("/admin/reports/network/?days=90")
    assert response.context["body"] in again.content.decode()
    assert "Tenfold news 9" in response.context["body"]


def test_the_admin_home_shows_the_network_panel_only_to_those_who_may_see_the_dashboard(
    client, history, staff
):
    lead = UserFactory(email="lead@example.org")
    lead.groups.add(Group.objects.get(name="Network leads"))
    editor = UserFactory(email="editor@example.org")
    editor.groups.add(Group.objects.get(name="Newsletter senders"))

    client.force_login(lead)
    lead_home = client.get("/admin/").content.decode()
    client.force_login(editor)
    editor_home = client.get("/admin/").content.decode()

    assert "The network, last 30 days" in lead_home and "Churn rate" in lead_home
    assert "The network, last 30 days" not in editor_home
    assert client.get("/admin/reports/network/").status_code in (302, 403)


def test_admin_avatars_are_not_fetched_from_gravatar(client, staff):
    client.force_login(staff)

    assert "gravatar.com" not in client.get("/admin/").content.decode()


def test_a_period_is_whole_local_days_and_the_one_before_has_its_length():
    period = Period.between(datetime(2026, 3, 1, tzinfo=UTC).date(), datetime(2026, 3, 31).date())

    assert period.length_days == 31
    assert period.bucket == "day"
    assert period.end - period.start == period.start - period.previous_start
    assert Period.last(90).bucket == "week" and Period.last(365).bucket == "month"
