"""A year of demo history for `make run`, so the network dashboard has something to show:
hundreds of members across dozens of metros and every sector, joining through the year, paying
monthly or yearly through (invented) Stripe invoices, with their payment and refund records,
some lapsing and a few coming back; past
events with registrations and check-ins; library downloads and "was this helpful" answers; a
year of monthly newsletter editions with their deliveries and unsubscribes.

Runs last in load_demo. Everything is written with bulk_create (seconds, not minutes) and
only once: the history's people carry their own email domain, and when they exist it is done.
Deterministic: the same seed gives the same history.
"""

import random
import zoneinfo
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from wagtail.models import Page

from events.demo_dates import national_meetings_around, working_day_on_or_after
from events.models import Challenge, Event, Registration, Submission
from library.models import ResourceDownload, ResourcePage
from members.models import (
    Cluster,
    ClusterMembership,
    Membership,
    MembershipEvent,
    Payment,
    Plan,
    Profile,
    Sector,
    StripeEvent,
)
from newsletter.models import Delivery, Edition, Subscriber
from newsletter.rendering import render_edition
from vitals.models import Metro

from .models import PageFeedback

User = get_user_model()

DOMAIN = "history.demo.civicnet.example"
PEOPLE = 420
SEED = 2026
FIRST_NAMES = [
    "Ada", "Bea", "Cal", "Dev", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kai", "Lea", "Max",
    "Nia", "Oli", "Pia", "Quin", "Ray", "Sam", "Tia", "Uma", "Vic", "Wes", "Xia", "Yan", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Abbott", "Baptiste", "Castillo", "Dunmore", "Eze", "Farrow", "Gallo", "Hirano", "Ibsen",
    "Jovanovic", "Kowalski", "Laine", "Mbeki", "Novak", "Ortega", "Park", "Quist", "Rahman",
    "Silva", "Tanaka", "Underhill", "Varga", "Whitaker", "Yilmaz", "Zhou",
]  # fmt: skip
ORGANISATIONS = {
    Sector.PUBLIC: ["City Planning Department", "Mayor's Office", "Transit Authority"],
    Sector.PRIVATE: ["Gridline Software", "Northbank Capital", "Harbor Works"],
    Sector.NONPROFIT: ["Neighborhood Housing Trust", "Streets Alliance", "Main Street Fund"],
    Sector.ACADEMIC: ["State University", "Institute for Urban Research", "Community College"],
    Sector.CIVIC: ["Residents United", "Block Club Coalition", "Civic Hackers"],
    Sector.MEDIA: ["Metro Public Radio", "The City Desk", "Open Data Weekly"],
    Sector.PHILANTHROPY: ["Community Foundation", "Regional Fund", "Family Foundation"],
    Sector.OTHER: ["Independent", "Consultancy", "Chamber of Commerce"],
}
# (plan slug or None for complimentary, weight)
PLAN_MIX = [
    ("individual-yearly", 40),
    ("individual-monthly", 36),
    ("organisation-yearly", 10),
    ("organisation-monthly", 6),
    (None, 8),
]
EVENTS = [
    (Event.Kind.NATIONAL_MEETING, "{season} National Meeting {year} in {city}", 32, 350),
    (Event.Kind.WEBINAR, "Webinar: {topic}", 1, 140),
    (Event.Kind.WORKSHOP, "Workshop: {topic}", 5, 45),
]
TOPICS = [
    "Curb management that pays for itself",
    "Small-business lending after the pandemic",
    "Heat plans for the hottest blocks",
    "Permits in days, not months",
    "Turning vacant lots into shade",
    "Counting what streets are used for",
    "Land trusts for starter homes",
    "Budgets residents can vote on",
    "Bike lanes the whole block wants",
    "Apprenticeships with city employers",
    "Street trees where the heat is",
    "Broadband for every block",
]


def load(stdout) -> None:
    if User.objects.filter(email__endswith=f"@{DOMAIN}").exists():
        stdout.write("Demo history: already loaded.")
        _payment_records(stdout)  # a history loaded before payments were recorded gets them
        return
    plans = {plan.slug: plan for plan in Plan.objects.all()}
    metros = list(Metro.objects.order_by("-population")[:60])
    if not plans or not metros:
        stdout.write("Demo history: no plans or metros yet, skipped.")
        return
    rng = random.Random(SEED)
    now = timezone.now()
    users = _people(rng, metros)
    payments = _memberships(rng, now, users, plans)
    events, registrations = _events(rng, now, users)
    downloads, votes = _library(rng, now, users)
    editions, deliveries = _newsletter(rng, now, users)
    clusters = _clusters(rng, users)
    entries = _challenge_entries(rng, now, users)
    stdout.write(
        f"Demo history: {len(users)} members in {len(metros)} metros, {clusters} more clusters, "
        f"{entries} challenge entries, {payments} payments, "
        f"{events} past events ({registrations} registrations), {downloads} monthly download "
        f"counts, {votes} feedback answers, {editions} editions ({deliveries} deliveries)."
    )
    _payment_records(stdout)


def _payment_records(stdout) -> None:
    """What Stripe would have reported for the history's paid invoices: the plan's price, less
    a promotion code on some first payments, and a few refunds (most within two weeks, some
    partial). Written once: each record's Stripe id is unique and a second run adds none."""
    now = timezone.now()
    paid = (
        MembershipEvent.objects.filter(
            stripe_event_id__startswith="evt_history_", note__startswith="invoice.paid"
        )
        .exclude(membership__plan=None)
        .select_related("membership__plan")
        .order_by("membership_id", "created_at")
    )
    records, seen = [], set()
    for event in paid:
        rng = random.Random(f"{SEED}-{event.stripe_event_id}")
        plan = event.membership.plan
        first = event.membership_id not in seen
        seen.add(event.membership_id)
        amount = plan.price_cents
        if first and rng.random() < 0.15:
            amount = amount * 80 // 100  # a 20% promotion code
        invoice_id = event.stripe_event_id.replace("evt_", "in_", 1)
        records.append(
            Payment(
                membership_id=event.membership_id,
                kind=Payment.Kind.PAYMENT,
                stripe_id=invoice_id,
                amount_cents=amount,
                first=first,
                months=12 if plan.interval == Plan.Interval.YEAR else 1,
                created_at=event.created_at,
                stripe_event_id=event.stripe_event_id,
            )
        )
        refunded_at = event.created_at + timedelta(days=rng.uniform(1, 14))
        if rng.random() < 0.03 and refunded_at < now:
            records.append(
                Payment(
                    membership_id=event.membership_id,
                    kind=Payment.Kind.REFUND,
                    stripe_id=invoice_id.replace("in_", "re_", 1),
                    amount_cents=amount if rng.random() < 0.7 else amount // 2,
                    created_at=refunded_at,
                    stripe_event_id=event.stripe_event_id.replace("evt_", "evt_refund_", 1),
                )
            )
    Payment.objects.bulk_create(records, ignore_conflicts=True, batch_size=1000)
    refunds = sum(1 for record in records if record.kind == Payment.Kind.REFUND)
    stdout.write(f"Demo history: {len(records) - refunds} payment and {refunds} refund records.")


def _people(rng, metros) -> list:
    password = make_password(None)  # unusable: the history's people never sign in
    sectors = list(Sector.values)
    User.objects.bulk_create(
        User(
            username=f"history-{n:04d}",
            email=f"person{n:04d}@{DOMAIN}",
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            password=password,
        )
        for n in range(PEOPLE)
    )
    users = list(User.objects.filter(email__endswith=f"@{DOMAIN}").order_by("pk"))
    profiles = []
    listed = random.Random(f"{SEED}-listed")  # most list themselves in the directory
    for n, user in enumerate(users):
        sector = sectors[n % len(sectors)]  # every sector, evenly
        # Every metro once, then the big ones more often.
        pick = n if n < len(metros) else int(rng.paretovariate(1.2))
        metro = metros[pick % len(metros)]
        profiles.append(
            Profile(
                user=user,
                sector=sector,
                home_metro=metro,
                home_city=metro.principal_city,
                organisation=rng.choice(ORGANISATIONS[sector]),
                title=rng.choice(["Director", "Planner", "Founder", "Analyst", "Organiser"]),
                directory_opt_in=listed.random() < 0.6,
            )
        )
    Profile.objects.bulk_create(profiles)
    return users


def _memberships(rng, now, users, plans) -> int:
    """Each person joins on a day of the last three years (most in the last one) and pays
    each month or year until they lapse (about one in four) and, now and then, come back."""
    slugs = [slug for slug, _ in PLAN_MIX]
    weights = [weight for _, weight in PLAN_MIX]
    memberships, histories, stripe_events = [], [], []
    for n, user in enumerate(users):
        slug = rng.choices(slugs, weights)[0]
        plan = plans.get(slug) if slug else None
        # A network that grows: two in five joined before this year, the rest during it.
        days = rng.uniform(366, 1100) if rng.random() < 0.4 else rng.uniform(1, 365)
        joined = now - timedelta(days=days, hours=rng.uniform(0, 23))
        step = timedelta(days=30 if plan and plan.interval == Plan.Interval.MONTH else 365)
        lapses = rng.random() < 0.25
        rows, status, period_end, ended = [], Membership.Status.ACTIVE, None, None
        if plan is None:
            rows.append(("", Membership.Status.ACTIVE, joined, None, "staff", ""))
        else:
            paid_at, previous, number = joined, "", 0
            while paid_at < now:
                number += 1
                event_id = f"evt_history_{n}_{number}"
                period_end = paid_at + step
                rows.append(
                    (previous, Membership.Status.ACTIVE, paid_at, period_end, "paid", event_id)
                )
                previous = Membership.Status.ACTIVE
                if lapses and number >= rng.randint(1, 4) and period_end < now:
                    rows.append(
                        (previous, Membership.Status.EXPIRED, period_end, period_end, "end", "")
                    )
                    status, ended = Membership.Status.EXPIRED, period_end
                    if rng.random() < 0.2 and period_end + timedelta(days=60) < now:
                        paid_at = joined = period_end + timedelta(days=rng.uniform(20, 60))
                        previous, ended, lapses = Membership.Status.EXPIRED, None, False
                        status = Membership.Status.ACTIVE
                        continue
                    break
                paid_at = period_end
        memberships.append(
            Membership(
                user=user,
                status=status,
                plan=plan,
                is_complimentary=plan is None,
                current_period_end=period_end,
                started_at=joined,
                ended_at=ended,
                stripe_customer_id=f"cus_history_{n}" if plan else "",
                stripe_subscription_id=f"sub_history_{n}" if plan else "",
            )
        )
        histories.append(rows)
    Membership.objects.bulk_create(memberships)
    by_user = dict(Membership.objects.filter(user__in=users).values_list("user_id", "pk"))
    events = []
    for user, rows in zip(users, histories, strict=True):
        for from_status, to_status, at, period_end, what, event_id in rows:
            if what == "paid":
                stripe_events.append(StripeEvent(event_id=event_id, type="invoice.paid"))
                note = "invoice.paid: subscription active"
            elif what == "end":
                event_id = f"evt_history_end_{user.pk}_{len(events)}"
                stripe_events.append(
                    StripeEvent(event_id=event_id, type="customer.subscription.deleted")
                )
                note = "customer.subscription.deleted: subscription canceled"
                cancellation = _cancellation(random.Random(f"{SEED}-{event_id}"))
            else:
                note = "Complimentary membership granted: speaker or partner"
            events.append(
                MembershipEvent(
                    **(cancellation if what == "end" else {}),
                    membership_id=by_user[user.pk],
                    created_at=at,
                    source=MembershipEvent.Source.STAFF
                    if what == "staff"
                    else MembershipEvent.Source.STRIPE,
                    stripe_event_id=event_id,
                    from_status=from_status,
                    to_status=to_status,
                    current_period_end=period_end,
                    note=note,
                )
            )
    StripeEvent.objects.bulk_create(stripe_events)
    MembershipEvent.objects.bulk_create(events, batch_size=1000)
    return sum(1 for event in stripe_events if event.type == "invoice.paid")


CANCELLATION_FEEDBACK = [
    ("too_expensive", 30),
    ("unused", 25),
    ("switched_service", 8),
    ("missing_features", 7),
    ("other", 10),
    ("", 20),  # the member skipped the question
]


def _cancellation(rng) -> dict:
    """Why an ended subscription ended, as Stripe's cancellation_details would say."""
    if rng.random() < 0.15:
        return {"cancellation_reason": "payment_failed"}
    feedback = rng.choices(*zip(*CANCELLATION_FEEDBACK, strict=True))[0]
    return {"cancellation_reason": "cancellation_requested", "cancellation_feedback": feedback}


def _events(rng, now, users) -> tuple[int, int]:
    """Fourteen past events over the year, with registrations and check-ins: the two National
    Meetings before the demo's last one (each in its season) and a webinar or workshop about
    every four weeks, all on working days."""
    events = []
    cities = ["Cleveland", "Denver", "Tucson", "Milwaukee", "Atlanta", "Pittsburgh"]
    zone = zoneinfo.ZoneInfo("America/New_York")
    today = timezone.localdate()
    meetings = national_meetings_around(today)[-4:-2]  # the demo has the last and the next
    kinds = [(EVENTS[0], season, day) for season, day in meetings]
    for n in range(14 - len(kinds)):
        day = working_day_on_or_after(today - timedelta(days=20 + n * 28))
        kinds.append((EVENTS[1 + n % 2], "", day))
    for n, ((kind, title, hours, capacity), season, day) in enumerate(kinds):
        hour = 13 if kind == Event.Kind.WEBINAR else 9
        starts = datetime.combine(day, time(hour), tzinfo=zone)
        title = title.format(
            season=season,
            year=day.year,
            city=cities[n % len(cities)],
            topic=TOPICS[n % len(TOPICS)],
        )
        events.append(
            Event(
                kind=kind,
                title=title,
                slug=f"history-{n:02d}-{kind.replace('_', '-')}",
                summary=f"{title}: what worked, what did not, and what to try next.",
                body="<p>An event from the network's past year.</p>",
                starts_at=starts,
                ends_at=starts + timedelta(hours=hours),
                time_zone="America/New_York",
                is_online=kind == Event.Kind.WEBINAR,
                venue_name="" if kind == Event.Kind.WEBINAR else "Convention Center",
                capacity=capacity,
                registration_opens_at=starts - timedelta(days=60),
                registration_closes_at=starts,
            )
        )
    Event.objects.bulk_create(events)
    events = list(Event.objects.filter(slug__startswith="history-").order_by("starts_at"))
    # The demo's last National Meeting (events.demo) had the history's people there too.
    events += (
        Event.objects.filter(kind=Event.Kind.NATIONAL_MEETING, ends_at__lt=now)
        .exclude(slug__startswith="history-")
        .distinct()
    )
    registrations = []
    for event in events:
        show_rate = rng.uniform(0.62, 0.92)
        low = event.capacity // (2 if event.kind == Event.Kind.NATIONAL_MEETING else 3)
        seats = min(event.capacity - 5, len(users) - 20)
        for user in rng.sample(users, rng.randint(min(low, seats), seats)):
            cancelled = rng.random() < 0.06
            registrations.append(
                Registration(
                    event=event,
                    user=user,
                    status=Registration.Status.CANCELLED
                    if cancelled
                    else Registration.Status.CONFIRMED,
                    cancelled_at=event.starts_at - timedelta(days=2) if cancelled else None,
                    checked_in_at=event.starts_at + timedelta(minutes=rng.randint(0, 40))
                    if not cancelled and rng.random() < show_rate
                    else None,
                )
            )
    Registration.objects.bulk_create(registrations, batch_size=1000, ignore_conflicts=True)
    return len(events), len(registrations)


def _library(rng, now, users) -> tuple[int, int]:
    """Monthly download counts for each resource, and answers to "was this helpful?"."""
    resources = list(ResourcePage.objects.live())
    month = timezone.localdate().replace(day=1)
    months = []
    for _ in range(12):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    popularity = {resource.pk: rng.uniform(0.2, 1.0) for resource in resources}
    downloads = [
        ResourceDownload(
            resource=resource,
            month=month,
            count=int(rng.uniform(5, 90) * popularity[resource.pk]),
        )
        for resource in resources
        for month in months
    ]
    ResourceDownload.objects.bulk_create(downloads, ignore_conflicts=True)
    pages = list(Page.objects.live().filter(depth__gt=2)[:40])
    votes = []
    for page in pages:
        liked = rng.uniform(0.3, 0.95)
        for user in rng.sample(users, rng.randint(0, 25)):
            votes.append(
                PageFeedback(
                    page=page,
                    visitor_key=f"user:{user.pk}",
                    user=user,
                    helpful=rng.random() < liked,
                )
            )
    PageFeedback.objects.bulk_create(votes, ignore_conflicts=True)
    return len(downloads), len(votes)


def _newsletter(rng, now, users) -> tuple[int, int]:
    """Most people subscribe when they join; an edition goes out each month to everyone
    subscribed at the time; a few unsubscribe after an edition."""
    first_joined = dict(
        MembershipEvent.objects.filter(membership__user__in=users, from_status="").values_list(
            "membership__user_id", "created_at"
        )
    )
    Subscriber.objects.bulk_create(
        Subscriber(
            email=user.email,
            user=user,
            status=Subscriber.Status.SUBSCRIBED,
            source=Subscriber.Source.ACCOUNT,
            confirmed_at=first_joined.get(user.pk, now),
        )
        for user in users
        if rng.random() < 0.7
    )
    subscribers = list(Subscriber.objects.filter(email__endswith=f"@{DOMAIN}").order_by("pk"))
    confirmed = {subscriber.pk: subscriber.confirmed_at for subscriber in subscribers}
    editions, deliveries, unsubscribed = [], [], {}
    engagement = random.Random(f"{SEED}-engagement")  # opens and clicks: about 45% and 11%
    body = [
        ("intro", "<p>This month in the network: what members built, and what is next.</p>"),
        (
            "call_to_action",
            {
                "heading": "Bring a colleague",
                "text": "Members get the library, the National Network and the National Meeting.",
                "button_label": "Become a member",
                "button_url": "/membership/",
            },
        ),
    ]
    for n in range(12, 0, -1):
        sent_at = now - timedelta(days=30 * n - 3, hours=rng.randint(0, 5))
        edition = Edition(
            subject=f"City news, {timezone.localtime(sent_at):%B %Y}",
            preheader="Members' projects, City Vitals and what is on next.",
            body=body,
            status=Edition.Status.SENT,
            started_at=sent_at,
            prepared_at=sent_at,
            finished_at=sent_at + timedelta(minutes=4),
        )
        edition.rendered_html, edition.rendered_text = render_edition(edition)
        editions.append(edition)
    editions = Edition.objects.bulk_create(editions)
    for edition in Edition.objects.filter(subject__startswith="City news, ", status="sent"):
        for subscriber in subscribers:
            left = unsubscribed.get(subscriber.pk)
            if confirmed[subscriber.pk] > edition.started_at or left:
                continue
            sent_at = edition.started_at + timedelta(seconds=rng.randint(1, 240))
            status = Delivery.Status.SENT if rng.random() > 0.004 else Delivery.Status.FAILED
            opened_at = clicked_at = None
            if status == Delivery.Status.SENT and engagement.random() < 0.45:
                opened_at = min(sent_at + timedelta(hours=engagement.expovariate(1 / 20)), now)
                if engagement.random() < 0.25:
                    clicked_at = min(opened_at + timedelta(minutes=engagement.uniform(1, 30)), now)
            deliveries.append(
                Delivery(
                    edition=edition,
                    subscriber=subscriber,
                    email=subscriber.email,
                    status=status,
                    attempts=1,
                    sent_at=sent_at,
                    first_opened_at=opened_at,
                    first_clicked_at=clicked_at,
                )
            )
            if rng.random() < 0.012:
                unsubscribed[subscriber.pk] = edition.started_at + timedelta(
                    days=rng.uniform(0.1, 6)
                )
    Delivery.objects.bulk_create(deliveries, batch_size=2000)
    for subscriber in subscribers:
        if subscriber.pk in unsubscribed:
            subscriber.status = Subscriber.Status.UNSUBSCRIBED
            subscriber.unsubscribed_at = min(unsubscribed[subscriber.pk], now)
    Subscriber.objects.bulk_update(
        [s for s in subscribers if s.pk in unsubscribed], ["status", "unsubscribed_at"]
    )
    return len(editions), len(deliveries)


CLUSTERS = [
    (
        "Front Range",
        "Denver, CO",
        "Denver and its neighbours on housing near transit, water and the next wave of jobs. "
        "We meet every second Thursday, alternating between Denver and Boulder.",
    ),
    (
        "Twin Cities",
        "Minneapolis, MN",
        "Members from both cities and the inner suburbs on zoning reform, winter streets and "
        "keeping downtown busy after five.",
    ),
    (
        "Chesapeake Cities",
        "Baltimore, MD",
        "Baltimore, Annapolis and the Bay towns on vacant homes, waterfront jobs and transit "
        "that crosses county lines.",
    ),
    (
        "Piedmont Crescent",
        "Charlotte, NC",
        "Charlotte, Raleigh and Greensboro comparing notes on fast growth: housing supply, "
        "bus networks and keeping graduates in the state.",
    ),
]


def _clusters(rng, users) -> int:
    """More City Clusters, each with the history's people of its metro (and a lead)."""
    profiles = {
        profile.user_id: profile.home_metro
        for profile in Profile.objects.filter(user__in=users).select_related("home_metro")
    }
    made = 0
    for name, region, description in CLUSTERS:
        city = region.split(",")[0]
        metro = Metro.objects.filter(principal_city=city).first()
        people = [user for user in users if metro and profiles.get(user.pk) == metro]
        people += rng.sample(users, 12)  # and some from nearby places
        cluster, created = Cluster.objects.get_or_create(
            slug=name.lower().replace(" ", "-"),
            defaults={
                "name": name,
                "region": region,
                "metro": metro,
                "description": description,
                "lead": people[0],
            },
        )
        made += created
        ClusterMembership.objects.bulk_create(
            [ClusterMembership(cluster=cluster, user=user) for user in people],
            ignore_conflicts=True,
        )
    return made


ENTRY_TITLES = [
    ("Night market on Euclid", "Cleveland"),
    ("Pop-up leases for Main Street", "Tucson"),
    ("Façade grants, one block at a time", "Milwaukee"),
    ("Parking to patios", "Denver"),
    ("The Saturday block", "Pittsburgh"),
    ("Corner store comeback", "Atlanta"),
    ("Makers in the storefronts", "Buffalo"),
    ("Two-hour parking, zero vacancies", "Richmond"),
    ("Lights on Lancaster Avenue", "Philadelphia"),
    ("Market Street revival", "Chattanooga"),
    ("Murals and micro-grants", "Albuquerque"),
    ("The first-floor fund", "Kansas City"),
]


def _challenge_entries(rng, now, users) -> int:
    """Entries to the current challenge: most submitted, a few still drafts."""
    challenge = Challenge.objects.filter(slug="main-street-revival-prize").first()
    if challenge is None:
        return 0
    entries = []
    for n, ((title, city), owner) in enumerate(
        zip(ENTRY_TITLES, rng.sample(users, len(ENTRY_TITLES)), strict=True)
    ):
        submitted = n % 4 != 3
        entries.append(
            Submission(
                challenge=challenge,
                owner=owner,
                title=title,
                city=city,
                summary=f"{title}: one block of {city}'s main street, a year of work, and the "
                "footfall and sales counts to show what changed.",
                plan="Month 1 to 2: sign up owners and count footfall. Month 3 to 9: run the "
                "pilot. Month 10 to 12: measure, publish the how-to.",
                budget=rng.choice([18000, 24500, 31000, 42000, 55000]),
                status=Submission.Status.SUBMITTED if submitted else Submission.Status.DRAFT,
                submitted_at=now - timedelta(days=rng.uniform(1, 12)) if submitted else None,
            )
        )
    Submission.objects.bulk_create(entries, ignore_conflicts=True)
    return len(entries)
