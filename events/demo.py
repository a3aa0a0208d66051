"""Demo events and a Prize Challenge for `make run`.

Safe to run again: each thing is looked up by its slug and created only when missing, so a
second run changes nothing (times are set relative to the first run).
"""

import zoneinfo
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from members.models import Cluster
from vitals.models import Dividend

from .demo_dates import (
    FALL,
    SPRING,
    is_working_day,
    national_meetings_around,
    working_day_on_or_after,
)
from .models import (
    Challenge,
    Criterion,
    Event,
    EventSeries,
    EventSession,
    Registration,
    RegistrationQuestion,
    Speaker,
    TicketType,
    Topic,
)
from .services.calendar_sync import event_calendar_sync
from .services.learning import recording_view_record
from .services.registrations import registration_create
from .services.series import series_occurrences_create

MEMBER_EMAIL = "member@civicnet.example"

TOPICS = {
    "housing": "Housing",
    "mobility": "Mobility",
    "public-finance": "Public finance",
    "civic-tech": "Civic tech",
    "economic-development": "Economic development",
}

SPEAKERS = [
    (
        "Renata Okafor",
        "Director of Planning, City of Fort Wayne",
        "Led a zoning rewrite that legalised duplexes citywide.",
    ),
    (
        "Marcus Lindqvist",
        "Founder, Curbside Data Co-op",
        "Builds open tools that count how streets are really used.",
    ),
    (
        "Dr. Aiyana Torres",
        "Urban economist, Great Lakes Policy Lab",
        "Studies what small public investments return to city budgets.",
    ),
    (
        "Hollis Grant",
        "Mayor of Bend Harbor",
        "Ran on fixing sidewalks; now runs a participatory budget.",
    ),
]


def _at(days: int, hour: int, zone: str) -> datetime:
    """A whole hour on the first working day `days` or more from today (no weekend, no
    holiday), in the event's own zone, as an aware datetime."""
    day = timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).date() + timedelta(days=days)
    return _on(working_day_on_or_after(day), hour, zone)


def _on(day: date, hour: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zoneinfo.ZoneInfo(zone))


# The two National Meetings of the year, each in its season: (title, summary, time zone,
# venue, address, capacity, topics, speakers, sessions as (title, hours after the opening,
# length in hours, room, speaker)).
NATIONAL_MEETINGS = {
    FALL: {
        "title": "Fall National Meeting: Cities That Build",
        "summary": "Two days in Milwaukee with four hundred city builders: what's working on "
        "housing, streets and budgets, and who to try it with.",
        "time_zone": "America/Chicago",
        "venue_name": "Harbor Hall",
        "venue_address": "400 N Water St, Milwaukee, WI",
        "capacity": 400,
        "topics": ["housing", "mobility", "economic-development"],
        "speakers": ["Renata Okafor", "Dr. Aiyana Torres", "Hollis Grant"],
        "sessions": [
            ("Opening: the state of the cities", 0, 1, "Main hall", "Hollis Grant"),
            (
                "Duplexes everywhere: a zoning rewrite, step by step",
                1.5,
                1.5,
                "Room A",
                "Renata Okafor",
            ),
            (
                "What a sidewalk returns: the City Dividends numbers",
                4,
                1,
                "Room B",
                "Dr. Aiyana Torres",
            ),
            ("Site visit: the Menomonee Valley", 24, 3, "Meet at the lobby", None),
        ],
        "visit": "site visits along the Menomonee Valley",
    },
    SPRING: {
        "title": "Spring National Meeting: Streets for People",
        "summary": "Two days in Baltimore on streets, transit and the money that pays for "
        "them, with three hundred and fifty members from every sector.",
        "time_zone": "America/New_York",
        "venue_name": "Harborview Conference Center",
        "venue_address": "200 International Dr, Baltimore, MD",
        "capacity": 350,
        "topics": ["mobility", "public-finance"],
        "speakers": ["Marcus Lindqvist", "Dr. Aiyana Torres"],
        "sessions": [
            ("Opening: who the street is for", 0, 1, "Main hall", "Marcus Lindqvist"),
            ("Counting the curb: a year of open data", 1.5, 1.5, "Room A", "Marcus Lindqvist"),
            ("Paying for it: value capture that worked", 4, 1, "Room B", "Dr. Aiyana Torres"),
            ("Walk: the Red Line corridor", 24, 3, "Meet at the lobby", None),
        ],
        "visit": "a walk along the Red Line corridor",
    },
}


def _national_meeting(season: str, day: date, *, past: bool) -> tuple[Event, bool]:
    spec = NATIONAL_MEETINGS[season]
    start = _on(day, 9, spec["time_zone"])
    if past:
        body = (
            "<p>Planners, mayors, founders, advocates, coders and academics spent two days in "
            f"one room: short talks, long conversations and {spec['visit']}.</p>"
            "<p>Recordings of every main-stage session are in the resource library for "
            "members.</p>"
        )
    else:
        body = (
            "<p>Our twice-yearly gathering brings planners, mayors, founders, advocates, "
            "coders and academics into one room. Expect short talks, long conversations and "
            f"{spec['visit']}.</p><p>Members register free; it is the network's flagship "
            "member benefit.</p>"
        )
    return _event(
        f"{season.lower()}-national-meeting",
        kind=Event.Kind.NATIONAL_MEETING,
        title=spec["title"],
        summary=spec["summary"],
        body=body,
        starts_at=start,
        ends_at=start + timedelta(days=1, hours=8),
        time_zone=spec["time_zone"],
        venue_name=spec["venue_name"],
        venue_address=spec["venue_address"],
        capacity=spec["capacity"],
        price=Decimal("450.00"),
        topics=spec["topics"],
        speakers=spec["speakers"],
        sessions=[
            (title, start + timedelta(hours=after), hours, room, speaker)
            for title, after, hours, room, speaker in spec["sessions"]
        ],
        **({"recording_url": "/library/", "learning_hours": Decimal("12")} if past else {}),
    )


def _event(slug: str, **fields) -> tuple[Event, bool]:
    topics = fields.pop("topics", [])
    speakers = fields.pop("speakers", [])
    sessions = fields.pop("sessions", [])
    event, created = Event.objects.get_or_create(slug=slug, defaults=fields)
    if created:
        event.topics.set(Topic.objects.filter(slug__in=topics))
        event.speakers.set(Speaker.objects.filter(name__in=speakers))
        event.save()
        for order, (title, start, hours, room, speaker) in enumerate(sessions):
            EventSession.objects.create(
                event=event,
                sort_order=order,
                title=title,
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                room=room,
                speaker=Speaker.objects.filter(name=speaker).first(),
            )
        event_calendar_sync(event=event)
    return event, created


# Reminders staff chose for each demo event (the others keep their kind's default).
DEMO_REMINDERS = {
    "fall-national-meeting": ["7d", "24h"],
    "spring-national-meeting": ["7d", "24h"],
    "east-side-land-trust-walk": ["3d", "2h"],
}


def _event_emails() -> None:
    """Reminder choices on the demo events, and the recording and feedback links of the
    post-event email on the past webinar; set once, then left to whatever staff change."""
    for slug, offsets in DEMO_REMINDERS.items():
        Event.objects.filter(slug=slug, reminder_offsets__isnull=True).update(
            reminder_offsets=offsets
        )
    Event.objects.filter(slug="vacant-storefronts-webinar", feedback_url="").update(
        recording_url="/library/",
        feedback_url="https://forms.example.org/civicnet/vacant-storefronts",
    )


# The next National Meeting's tickets: (name, description, member price, non-member price, quota,
# members only). Members come free, as to every National Meeting.
DEMO_TICKETS = [
    ("Full meeting", "Both days", "0", "450.00", None, False),
    ("Day one only", "Talks and the evening reception", "0", "250.00", 120, False),
    ("Full meeting + site-visit workshop", "A hands-on half day on site", "0", "0", 40, True),
]
DEMO_QUESTIONS = [
    ("Dietary needs", RegistrationQuestion.Kind.TEXT, "", False),
    (
        "Which site visit would you join?",
        RegistrationQuestion.Kind.CHOICE,
        "The morning walk\nThe afternoon site visit\nNone, thanks",
        True,
    ),
]


def upcoming_national_meeting() -> Event | None:
    return (
        Event.objects.filter(kind=Event.Kind.NATIONAL_MEETING, starts_at__gt=timezone.now())
        .order_by("starts_at")
        .first()
    )


def _tickets_and_questions() -> None:
    """Ticket types, a guest allowance and two questions on the next National Meeting, added
    once: a meeting that has any already (staff's own, or an earlier run's) is left alone."""
    meeting = upcoming_national_meeting()
    if meeting is None or meeting.ticket_types.exists() or meeting.questions.exists():
        return
    for order, (name, description, member, other, quota, members_only) in enumerate(DEMO_TICKETS):
        TicketType.objects.create(
            event=meeting,
            sort_order=order,
            name=name,
            description=description,
            member_price=Decimal(member),
            non_member_price=Decimal(other),
            quota=quota,
            members_only=members_only,
        )
    for order, (label, kind, options, required) in enumerate(DEMO_QUESTIONS):
        RegistrationQuestion.objects.create(
            event=meeting,
            sort_order=order,
            label=label,
            kind=kind,
            options=options,
            required=required,
        )
    Event.objects.filter(pk=meeting.pk, max_guests=0).update(max_guests=2)


SERIES_SLUG = "city-data-hour"


def _webinar_series() -> int:
    """A monthly webinar series, first Thursday at 1 PM New York time, six dates from next
    month with none on a holiday, and its second date moved and enlarged by staff. Made once:
    a second run finds the series, its dates and the edit already there."""
    today = timezone.now().astimezone(zoneinfo.ZoneInfo("America/New_York")).date()
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    series, new = EventSeries.objects.get_or_create(
        slug=SERIES_SLUG,
        defaults={
            "title": "City Data Hour",
            "summary": "One hour a month on a dataset cities can use tomorrow, with the people who built it.",
            "body": "<p>Each month a member walks through one dataset (permits, curb use, 311 calls, tax parcels) and what their city changed because of it. Bring questions; leave with a notebook you can run on your own city.</p>",
            "time_zone": "America/New_York",
            "start_time": time(13, 0),
            "duration_minutes": 60,
            "frequency": EventSeries.Frequency.MONTHLY,
            "weekday": EventSeries.Weekday.THURSDAY,
            "week_of_month": EventSeries.WeekOfMonth.FIRST,
            "starts_on": next_month,
            "count": 6,
            "capacity": 100,
            "join_url": "https://meet.example.org/civicnet-city-data-hour",
        },
    )
    if new:
        skipped = []
        for _ in range(6):  # skipping a date brings in another: look again
            clashes = sorted(d for d in series.rule_dates() if not is_working_day(d))
            if not clashes:
                break
            skipped += clashes
            series.skip_dates = "\n".join(d.isoformat() for d in sorted(set(skipped)))
        series.save()
    series_occurrences_create(series=series)
    second = series.occurrences.order_by("series_date")[1]
    if second.capacity == series.capacity:  # not edited yet: staff move and enlarge it
        second.starts_at += timedelta(hours=2)
        second.ends_at += timedelta(hours=2)
        second.capacity = 250
        second.join_url = "https://meet.example.org/civicnet-city-data-hour-large"
        second.summary = (
            "A bigger room and a later hour this month, for our guest from the Census Bureau."
        )
        second.save()
    return int(new)


def load(stdout) -> None:
    for slug, name in TOPICS.items():
        Topic.objects.get_or_create(slug=slug, defaults={"name": name})
    for name, role, bio in SPEAKERS:
        Speaker.objects.get_or_create(name=name, defaults={"role": role, "bio": bio})

    ny, denver = "America/New_York", "America/Denver"
    created = []
    # Twice a year, in the season its name gives: the last one (with its recordings) and the
    # next one (open for registration).
    (past_season, past_day), (next_season, next_day) = national_meetings_around(
        timezone.localdate()
    )[-2:]
    past, new = _national_meeting(past_season, past_day, past=True)
    created.append(new)
    _, new = _national_meeting(next_season, next_day, past=False)
    created.append(new)
    for slug, days, title, summary, topics, speaker, capacity in [
        (
            "missing-middle-housing-webinar",
            10,
            "Missing-middle housing: zoning changes that worked",
            "Three cities that legalised duplexes and triplexes, what got built, and what they would do differently.",
            ["housing"],
            "Renata Okafor",
            500,
        ),
        (
            "open-data-safer-streets-webinar",
            24,
            "Open data for safer streets",
            "Counting how streets are really used, and turning the counts into a safer corridor within a year.",
            ["mobility", "civic-tech"],
            "Marcus Lindqvist",
            300,
        ),
    ]:
        start = _at(days, 13, ny)
        _, new = _event(
            slug,
            kind=Event.Kind.WEBINAR,
            title=title,
            summary=summary,
            # The summary is the page's standfirst already: the body goes on from it.
            body=(
                f"<p>{speaker} leads an hour on Zoom: forty minutes of practice from the cities "
                "that did it, twenty for your questions. The recording and slides go to the "
                "resource library a week later.</p>"
            ),
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            time_zone=ny,
            is_online=True,
            join_url="https://meet.example.org/civicnet-" + slug,
            capacity=capacity,
            topics=topics,
            speakers=[speaker],
        )
        created.append(new)
    workshop_start = _at(35, 9, denver)
    _, new = _event(
        "participatory-budgeting-workshop",
        kind=Event.Kind.WORKSHOP,
        title="Participatory budgeting, hands-on",
        summary="A one-day workshop: design a participatory budget for your city, from ballot to built project.",
        body="<p>Bring a real budget line from your city. You'll leave with a draft process, a timeline and a way to measure it.</p>",
        starts_at=workshop_start,
        ends_at=workshop_start + timedelta(hours=7),
        time_zone=denver,
        venue_name="Civic Commons Lab",
        venue_address="1437 Bannock St, Denver, CO",
        capacity=30,
        price=Decimal("75.00"),
        topics=["public-finance"],
        speakers=["Hollis Grant"],
    )
    created.append(new)
    past_webinar_start = _at(-40, 13, ny)
    past_webinar, new = _event(
        "vacant-storefronts-webinar",
        kind=Event.Kind.WEBINAR,
        title="Vacant storefronts: what filled them",
        summary="Pop-up leases, façade grants and a night market: three main streets, a year on.",
        body="<p>An hour with the teams behind three main-street revivals, and what they measured.</p>",
        starts_at=past_webinar_start,
        ends_at=past_webinar_start + timedelta(minutes=90),
        time_zone=ny,
        is_online=True,
        join_url="https://meet.example.org/civicnet-vacant-storefronts-webinar",
        capacity=300,
        topics=["economic-development"],
        speakers=["Hollis Grant"],
    )
    created.append(new)
    engagement_start = _at(-75, 13, ny)
    engagement_webinar, new = _event(
        "civic-engagement-webinar",
        kind=Event.Kind.WEBINAR,
        title="Civic engagement that scales",
        summary="Three organisers on getting beyond the usual ten people at public meetings.",
        body="<p>Missed it? Members can watch the recording.</p>",
        starts_at=engagement_start,
        ends_at=engagement_start + timedelta(minutes=60),
        time_zone=ny,
        is_online=True,
        capacity=300,
        recording_url="/library/webinar-civic-engagement-that-scales/",
        topics=["civic-tech"],
    )
    created.append(new)

    # A workshop the Greater Cleveland cluster holds: listed on the cluster's page too.
    walk_start = _at(21, 10, ny)
    _, new = _event(
        "east-side-land-trust-walk",
        kind=Event.Kind.WORKSHOP,
        title="East Side land trust walk",
        summary="A morning on foot with Greater Cleveland members: resident-owned homes, the lots next in line, and what it took to finance them.",
        body="<p>The Greater Cleveland cluster walks four blocks of the east side with the co-op that owns them, then talks over coffee about what other neighbourhoods could borrow.</p>",
        starts_at=walk_start,
        ends_at=walk_start + timedelta(hours=3),
        time_zone=ny,
        venue_name="Porchlight Housing Co-op",
        venue_address="Cleveland, OH",
        capacity=30,
        topics=["housing"],
        cluster=Cluster.objects.filter(slug="greater-cleveland").first(),
    )
    created.append(new)

    _event_emails()
    _tickets_and_questions()

    user = get_user_model().objects.filter(email=MEMBER_EMAIL).first()
    if user:
        # The demo member came to the last meeting (so the home counter shows attendance),
        # joined a past webinar online (both on their learning record) and is registered
        # for the first coming webinar.
        Registration.objects.get_or_create(
            event=past,
            user=user,
            defaults={"status": Registration.Status.CONFIRMED, "checked_in_at": past.starts_at},
        )
        Registration.objects.get_or_create(
            event=past_webinar,
            user=user,
            defaults={
                "status": Registration.Status.CONFIRMED,
                "joined_at": past_webinar.starts_at - timedelta(minutes=5),
            },
        )
        # ... and watched the recording of a webinar they missed.
        recording_view_record(
            user=user, event=engagement_webinar, now=engagement_webinar.ends_at + timedelta(days=3)
        )
        webinar = Event.objects.get(slug="missing-middle-housing-webinar")
        if not webinar.registrations.filter(user=user).exists():
            registration_create(event=webinar, user=user)

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    challenge, new_challenge = Challenge.objects.get_or_create(
        slug="main-street-revival-prize",
        defaults={
            "title": "Main Street Revival Prize",
            "summary": "Bring one block of a struggling main street back to life within a year, and show every city how.",
            "prize": "$25,000 and the keynote slot at the next National Meeting",
            "body": "<p>Vacant storefronts are a city problem with many owners. Teams of members pick one block, put a strategy to work (pop-up leases, façade grants, a parking change, a night market) and measure what happens to footfall and sales.</p>",
            "eligibility": "<p>Active members, alone or in teams of up to five members. At least one team member must work in the city where the block is.</p>",
            "rules": "<p>Submit a plan, a budget and any supporting files before the deadline. Drafts can be edited until then. Finalists present at the National Meeting; winners publish a how-to write-up.</p>",
            "announced_at": now - timedelta(days=30),
            "opens_at": now - timedelta(days=14),
            "closes_at": now + timedelta(days=45),
            "winners_announced_at": now + timedelta(days=90),
            "dividend": Dividend.OPPORTUNITY,
        },
    )
    if new_challenge:
        for order, (name, description, weight) in enumerate(
            [
                ("Impact", "How much the block changes: footfall, occupancy, sales.", 40),
                ("Replicability", "Could another city do this next year?", 35),
                ("Budget realism", "Does the money add up?", 25),
            ]
        ):
            Criterion.objects.create(
                challenge=challenge,
                sort_order=order,
                name=name,
                description=description,
                weight=weight,
            )
    made = sum(created) + new_challenge + _webinar_series()
    stdout.write(
        f"events: {made} demo events, series and challenges added ({len(created) + 2 - made} already there)."
    )
