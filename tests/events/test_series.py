"""Webinar series: occurrences made from a rule (in the series' zone, across summer time),
idempotently; one occurrence edited on its own; registering for the whole series."""

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from events import selectors, services
from events.models import Event, EventSeries, Registration
from tests.events.factories import EventFactory, make_series
from tests.members.factories import make_member

pytestmark = pytest.mark.django_db


def test_first_thursday_monthly_until_a_date():
    series = make_series()

    assert series.rule_dates() == [
        date(2031, 1, 2),
        date(2031, 2, 6),
        date(2031, 3, 6),
        date(2031, 4, 3),
        date(2031, 5, 1),
        date(2031, 6, 5),
    ]


def test_every_two_weeks_on_tuesday_n_times_starts_on_the_first_tuesday():
    series = make_series(
        frequency=EventSeries.Frequency.WEEKLY,
        interval=2,
        weekday=EventSeries.Weekday.TUESDAY,
        starts_on=date(2031, 3, 1),  # a Saturday
        ends_on=None,
        count=4,
    )

    assert series.rule_dates() == [
        date(2031, 3, 4),
        date(2031, 3, 18),
        date(2031, 4, 1),
        date(2031, 4, 15),
    ]


def test_skipped_dates_are_left_out_and_n_times_counts_the_ones_that_happen():
    series = make_series(ends_on=None, count=3, skip_dates="2031-02-06\n")

    assert series.rule_dates() == [date(2031, 1, 2), date(2031, 3, 6), date(2031, 4, 3)]


def test_last_weekday_of_the_month():
    series = make_series(week_of_month=EventSeries.WeekOfMonth.LAST, ends_on=date(2031, 2, 28))

    assert series.rule_dates() == [date(2031, 1, 30), date(2031, 2, 27)]


def test_a_rule_needs_an_end_and_readable_skip_dates():
    series = make_series(ends_on=None, count=None, skip_dates="July 4th")

    with pytest.raises(ValidationError) as error:
        series.clean()

    assert set(error.value.message_dict) == {"ends_on", "skip_dates"}


@pytest.mark.parametrize(
    "first,second",
    [(date(2031, 3, 4), date(2031, 3, 18)), (date(2031, 10, 28), date(2031, 11, 11))],
    ids=["into summer time", "out of summer time"],
)
def test_two_pm_local_stays_two_pm_across_a_change_of_clocks(first, second):
    series = make_series(
        frequency=EventSeries.Frequency.WEEKLY,
        interval=2,
        weekday=EventSeries.Weekday.TUESDAY,
        starts_on=first,
        ends_on=second,
    )

    created = services.series_occurrences_create(series=series)

    assert [e.series_date for e in created] == [first, second]
    for event in Event.objects.filter(series=series):
        assert (event.local_starts_at.hour, event.local_starts_at.minute) == (14, 0)
        assert event.local_ends_at.hour == 15
    utc_hours = [e.starts_at.astimezone(UTC).hour for e in Event.objects.filter(series=series)]
    assert sorted(utc_hours) == [18, 19]  # EDT is UTC-4, EST is UTC-5


def test_preview_lists_the_dates_and_which_exist():
    series = make_series()
    services.series_occurrences_create(series=series)
    series.ends_on = date(2031, 8, 31)
    series.save()

    rows = services.series_occurrences_preview(series)

    assert [row["date"] for row in rows][-2:] == [date(2031, 7, 3), date(2031, 8, 7)]
    assert [row["exists"] for row in rows] == [True] * 6 + [False] * 2
    assert rows[0]["starts_at"] == datetime(2031, 1, 2, 19, 0, tzinfo=UTC)


def test_occurrences_copy_the_series_defaults_and_link_back():
    series = make_series()

    (first, *_) = services.series_occurrences_create(series=series)

    assert first.slug == "streets-2031-01-02"
    assert first.title == "Data for Better Streets: January 2, 2031"
    assert (first.capacity, first.join_url, first.kind) == (
        2,
        "https://meet.example.org/streets",
        "webinar",
    )
    assert first.series == series and first.is_online


def test_creating_twice_never_duplicates_and_never_overwrites_an_edited_occurrence():
    series = make_series()
    services.series_occurrences_create(series=series)
    edited = Event.objects.get(slug="streets-2031-03-06")
    edited.starts_at += timedelta(days=1, hours=2)  # moved to Friday, 16:00
    edited.ends_at += timedelta(days=1, hours=2)
    edited.capacity = 40
    edited.join_url = "https://meet.example.org/other-room"
    edited.save()
    before = {e.pk: (e.starts_at, e.capacity, e.join_url) for e in Event.objects.all()}
    series.capacity = 99
    series.join_url = "https://meet.example.org/new-default"
    series.save()

    assert services.series_occurrences_create(series=series) == []

    after = {e.pk: (e.starts_at, e.capacity, e.join_url) for e in Event.objects.all()}
    assert after == before
    assert Event.objects.filter(series=series).count() == 6


def test_a_slug_taken_by_another_event_gets_a_suffix():
    series = make_series(ends_on=date(2031, 1, 31))
    EventFactory(slug="streets-2031-01-02")

    (occurrence,) = services.series_occurrences_create(series=series)

    assert occurrence.slug == f"streets-2031-01-02-{series.pk}"


# --- Staff tool ---------------------------------------------------------------------------


def test_staff_preview_the_dates_then_create_them_once(client, staff):
    series = make_series()
    client.force_login(staff)
    url = f"/events/series/{series.slug}/occurrences/"

    html = client.get(url).content.decode()
    assert "Thu 2 Jan 2031" in html and "2:00 PM EST" in html and "19:00" in html
    assert "Thu 5 Jun 2031" in html and "2:00 PM EDT" in html and "18:00" in html
    assert "Create 6 occurrences" in html

    first = client.post(url, follow=True).content.decode()
    second = client.post(url, follow=True).content.decode()

    assert "Created 6 occurrences" in first
    assert "nothing to create" in second
    assert Event.objects.filter(series=series).count() == 6


# --- Registering for the whole series -----------------------------------------------------


@pytest.fixture
def upcoming_series():
    """Four monthly occurrences from next month, two places each, and one that is over."""
    today = timezone.localdate()
    series = make_series(starts_on=today + timedelta(days=1), ends_on=None, count=4)
    services.series_occurrences_create(series=series)
    EventFactory(
        series=series,
        series_date=today - timedelta(days=30),
        slug="streets-past",
        starts_at=timezone.now() - timedelta(days=30),
        ends_at=timezone.now() - timedelta(days=30) + timedelta(hours=1),
    )
    return series


def test_register_for_the_whole_series_waitlists_where_full(upcoming_series, member, registered):
    occurrences = list(upcoming_series.occurrences.filter(series_date__gt=timezone.localdate()))
    full = occurrences[1]
    for n in range(2):
        services.registration_create(event=full, user=make_member(email=f"early{n}@example.org"))

    outcome = services.series_register(series=upcoming_series, user=member)

    assert outcome.confirmed == [occurrences[0], occurrences[2], occurrences[3]]
    assert outcome.waitlisted == [full]
    statuses = dict(Registration.objects.filter(user=member).values_list("event__slug", "status"))
    assert statuses == {
        occurrences[0].slug: "confirmed",
        full.slug: "waitlisted",
        occurrences[2].slug: "confirmed",
        occurrences[3].slug: "confirmed",
    }  # nothing for the occurrence that is over
    again = services.series_register(series=upcoming_series, user=member)
    assert again.confirmed == again.waitlisted == [] and len(again.already) == 4
    assert Registration.objects.filter(user=member).count() == 4


def test_the_series_page_tells_which_dates_were_full(client, upcoming_series, member):
    upcoming = upcoming_series.occurrences.filter(series_date__gt=timezone.localdate())
    full = upcoming.order_by("starts_at")[1]
    for n in range(2):
        services.registration_create(event=full, user=make_member(email=f"early{n}@example.org"))
    client.force_login(member)

    html = client.post(f"/events/series/{upcoming_series.slug}/register/", follow=True)
    html = html.content.decode()

    assert "You&#x27;re registered for 3 of the series&#x27; dates" in html
    assert f"on their waitlists (we&#x27;ll email you if a place opens): {full.when_label}" in html
    assert "Register for the whole series" not in html  # nothing left to register for


@pytest.mark.django_db(transaction=True)
def test_two_people_registering_for_the_whole_series_at_once_respect_capacity():
    """Real concurrent transactions; one place per occurrence, and a third person registering
    for a single occurrence at the same time."""
    today = timezone.localdate()
    series = make_series(starts_on=today + timedelta(days=1), ends_on=None, count=3, capacity=1)
    services.series_occurrences_create(series=series)
    single = series.occurrences.order_by("starts_at").last()
    people = [make_member(email=f"racer{n}@example.org") for n in range(3)]
    barrier = threading.Barrier(3)
    errors = []

    def run(work):
        try:
            barrier.wait(timeout=5)
            work()
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    jobs = [
        lambda: services.series_register(series=series, user=people[0]),
        lambda: services.series_register(series=series, user=people[1]),
        lambda: services.registration_create(event=single, user=people[2]),
    ]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert errors == []
    for event in series.occurrences.all():
        confirmed = event.registrations.filter(status="confirmed").count()
        assert confirmed == 1, event.slug
    assert Registration.objects.filter(status="waitlisted").count() == (2 * 3 + 1) - 3


# --- Pages --------------------------------------------------------------------------------


def test_series_page_lists_its_dates_and_each_date_links_to_its_series(client, upcoming_series):
    occurrences = upcoming_series.occurrences.order_by("starts_at")
    html = client.get(f"/events/series/{upcoming_series.slug}/").content.decode()

    for event in occurrences:
        assert event.url in html
    assert "Past dates" in html
    assert "Log in to register for the whole series" in html
    detail = client.get(occurrences.last().url).content.decode()
    assert f'href="/events/series/{upcoming_series.slug}/"' in detail


def test_unpublished_series_is_not_found(client):
    make_series(is_published=False)

    assert client.get("/events/series/streets/").status_code == 404
    assert client.get("/events/streets-2031-01-02/").status_code == 404


@pytest.mark.parametrize("persona", ["visitor", "member"])
def test_series_page_queries_stay_flat_with_ten_times_the_dates(client, member, persona, settings):
    settings.PAGE_CACHE_SECONDS = 0  # count the render, not a page-cache hit
    tomorrow = timezone.localdate() + timedelta(days=1)  # today's 14:00 may be over
    small = make_series(slug="small", starts_on=tomorrow, ends_on=None, count=3)
    large = make_series(
        slug="large",
        frequency=EventSeries.Frequency.WEEKLY,
        starts_on=tomorrow,
        ends_on=None,
        count=30,
    )
    for series in (small, large):
        services.series_occurrences_create(series=series)
        for event in series.occurrences.all()[:2]:
            services.registration_create(event=event, user=member)
    if persona == "member":
        client.force_login(member)
    client.get("/events/series/small/")  # warm the session and site lookups

    counts = []
    for series in (small, large):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/events/series/{series.slug}/").status_code == 200
        counts.append(len(captured.captured_queries))

    assert counts[0] == counts[1]
    assert counts[0] == {"visitor": 2, "member": 4}[persona], "\n".join(
        q["sql"][:120] for q in captured.captured_queries
    )


# --- Per occurrence: the calendar feed and the learning record ------------------------------


def test_personal_feed_and_learning_record_work_per_occurrence(client, upcoming_series, member):
    services.series_register(series=upcoming_series, user=member)
    feed = services.calendar_feed_renew(user=member)

    calendar = Calendar.from_ical(client.get(feed.get_absolute_url()).content)

    titles = sorted(str(v["SUMMARY"]) for v in calendar.walk("VEVENT"))
    upcoming = upcoming_series.occurrences.filter(starts_at__gt=timezone.now())
    assert titles == sorted(e.title for e in upcoming)
    first = upcoming.order_by("starts_at").first()
    first.starts_at = timezone.now() - timedelta(hours=2)
    first.ends_at = timezone.now() - timedelta(hours=1)
    first.save()
    registration = first.registrations.get(user=member)
    services.registration_check_in(registration=registration)
    (entry,) = selectors.learning_record(member)
    assert entry.event == first and entry.hours == 1


def test_occurrence_times_are_wall_clock_in_the_series_zone():
    series = make_series(time_zone="America/Los_Angeles", start_time=time(9, 30))

    starts_at, ends_at = series.occurrence_times(date(2031, 7, 3))

    assert starts_at.astimezone(UTC) == datetime(2031, 7, 3, 16, 30, tzinfo=UTC)
    assert ends_at - starts_at == timedelta(minutes=60)
