"""Reads other apps (and this app's views) ask of `events`."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from wagtail import hooks

from core.prepared import MARKER_MOMENT, PreparedQuery

from .models import (
    LEARNING_CATEGORIES,
    CalendarFeed,
    Certificate,
    Challenge,
    Event,
    JudgeAssignment,
    RecordingView,
    Registration,
    Score,
    Submission,
    TeamInvitation,
    TicketType,
)

# Statuses holding a place (an offered place is held for the person it was offered to).
TAKEN = [
    Registration.Status.CONFIRMED,
    Registration.Status.PENDING_PAYMENT,
    Registration.Status.OFFERED,
]


def with_place_counts(events: QuerySet[Event]) -> QuerySet[Event]:
    """Places taken (guests included) and the waitlist's length, in the same query."""
    return events.annotate(
        taken_places=Coalesce(
            Sum(F("registrations__guests") + 1, filter=Q(registrations__status__in=TAKEN)), 0
        ),
        waitlist_count=Count(
            "registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)
        ),
    )


def published_events() -> QuerySet[Event]:
    return Event.objects.filter(is_published=True)


def _of_kind_and_topic(events: QuerySet[Event], kind: str, topic: str) -> QuerySet[Event]:
    if kind:
        events = events.filter(kind=kind)
    if topic:
        events = events.filter(topics__slug=topic)
    return events


def upcoming_events(*, kind: str = "", topic: str = "", now=None) -> QuerySet[Event]:
    now = now or timezone.now()
    events = _of_kind_and_topic(published_events().filter(ends_at__gte=now), kind, topic)
    return with_place_counts(events).prefetch_related("topics").order_by("starts_at", "pk")


def cluster_upcoming_events(cluster, *, limit: int = 5, now=None) -> list[Event]:
    """The next published events a City Cluster holds (members' cluster pages list them)."""
    now = now or timezone.now()
    return list(
        published_events()
        .filter(cluster=cluster, ends_at__gte=now)
        .prefetch_related("topics")
        .order_by("starts_at", "pk")[:limit]
    )


def past_events(*, kind: str = "", topic: str = "", now=None) -> QuerySet[Event]:
    now = now or timezone.now()
    events = _of_kind_and_topic(published_events().filter(ends_at__lt=now), kind, topic)
    return events.prefetch_related("topics").order_by("-starts_at", "-pk")


def remaining_places(event: Event) -> int | None:
    if event.capacity is None:
        return None
    taken = getattr(event, "taken_places", None)
    if taken is None:
        taken = places_taken(event)
    return max(event.capacity - taken, 0)


def places_taken(event: Event, *, ticket_type: TicketType | None = None) -> int:
    """Places held (confirmed, awaiting payment or offered), guests included; of one type if
    given."""
    registrations = event.registrations.filter(status__in=TAKEN)
    if ticket_type is not None:
        registrations = registrations.filter(ticket_type=ticket_type)
    return registrations.aggregate(n=Coalesce(Sum(F("guests") + 1), 0))["n"]


@dataclass(frozen=True)
class PlacesHeld:
    """An event's places held, in all and per ticket type, read once: any number of parties
    can then be checked against the capacity and the quotas without another query."""

    capacity: int | None
    taken: int
    by_type: dict[int | None, int]  # ticket type id (None: no type) -> places held

    def fits(self, *, places: int, ticket_type_id: int | None = None, quota: int | None = None):
        """Whether `places` more fit the capacity and, for a ticket type with a quota, it."""
        if self.capacity is not None and self.taken + places > self.capacity:
            return False
        if ticket_type_id is not None and quota is not None:
            return self.by_type.get(ticket_type_id, 0) + places <= quota
        return True

    def holding(self, *, places: int, ticket_type_id: int | None = None) -> "PlacesHeld":
        """The same count once a party of `places` holds its places."""
        by_type = {**self.by_type, ticket_type_id: self.by_type.get(ticket_type_id, 0) + places}
        return PlacesHeld(capacity=self.capacity, taken=self.taken + places, by_type=by_type)


def places_held(event: Event) -> PlacesHeld:
    """Places held at the event (confirmed, awaiting payment or offered, guests included), in
    all and per ticket type. One query."""
    by_type = dict(
        event.registrations.filter(status__in=TAKEN)
        .values_list("ticket_type_id")
        .annotate(n=Sum(F("guests") + 1))
        .order_by()
    )
    return PlacesHeld(capacity=event.capacity, taken=sum(by_type.values()), by_type=by_type)


@dataclass(frozen=True)
class TicketOffer:
    """One ticket type as a person sees it: their price and the places left for it."""

    ticket_type: TicketType
    price: Decimal
    left: int | None  # None: no limit

    @property
    def pk(self) -> int:
        return self.ticket_type.pk

    @property
    def name(self) -> str:
        return self.ticket_type.name


def ticket_offers(event: Event, *, is_member: bool) -> list[TicketOffer]:
    """The ticket types this person may choose (members-only ones for members only), each
    with its price for them and the places left under its quota and the capacity. Two
    queries, however many types and registrations."""
    types = [t for t in event.ticket_types.all() if t.available_to(is_member=is_member)]
    if not types:
        return []
    taken = dict(
        event.registrations.filter(status__in=TAKEN, ticket_type__in=types)
        .values_list("ticket_type")
        .annotate(n=Sum(F("guests") + 1))
        .order_by()
    )
    event_left = remaining_places(event)
    offers = []
    for ticket_type in types:
        left = event_left
        if ticket_type.quota is not None:
            type_left = max(ticket_type.quota - taken.get(ticket_type.pk, 0), 0)
            left = type_left if left is None else min(left, type_left)
        price = ticket_type.price_for(is_member=is_member)
        offers.append(TicketOffer(ticket_type=ticket_type, price=price, left=left))
    return offers


def _live_registrations(event_id, user_id):
    return (
        Registration.objects.filter(event_id=event_id, user_id=user_id)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("ticket_type")  # its label on the event page
        .order_by("pk")[:1]
    )


# Asked on every signed-in visit to an event page: compiled once (core.prepared).
_LIVE_REGISTRATION = PreparedQuery(_live_registrations, event_id=-7_300_021, user_id=-7_300_022)


def live_registration(*, event: Event, user) -> Registration | None:
    if not user.is_authenticated:
        return None
    found = _LIVE_REGISTRATION.run(event_id=event.pk, user_id=user.pk)
    registration = found[0] if found else None
    if registration is not None:
        registration.event = event
    return registration


def waitlist_position(registration: Registration) -> int | None:
    if registration.status != Registration.Status.WAITLISTED:
        return None
    return (
        Registration.objects.filter(
            event_id=registration.event_id,
            status=Registration.Status.WAITLISTED,
        )
        .filter(
            Q(created_at__lt=registration.created_at)
            | Q(created_at=registration.created_at, pk__lt=registration.pk)
        )
        .count()
        + 1
    )


def series_occurrences(series, *, published_only: bool = True) -> list[Event]:
    """A series' occurrences, soonest first, each with its place counts: one query."""
    events = series.occurrences.all()
    if published_only:
        events = events.filter(is_published=True)
    return list(with_place_counts(events).order_by("starts_at", "pk"))


def series_registrations(events: list[Event], user) -> dict[int, Registration]:
    """The person's live registration at each of these events, by event id: one query."""
    if not user.is_authenticated or not events:
        return {}
    return {
        registration.event_id: registration
        for registration in Registration.objects.filter(user=user, event__in=events).exclude(
            status=Registration.Status.CANCELLED
        )
    }


def upcoming_public_events(*, limit: int) -> list:
    """The next published events, soonest first: for the home page cards and newsletter."""
    return list(
        published_events().filter(starts_at__gte=timezone.now()).order_by("starts_at", "pk")[:limit]
    )


def national_meeting_attendee_count() -> int:
    """People checked in at National Meetings (each check-in counts once)."""
    return Registration.objects.filter(
        event__kind=Event.Kind.NATIONAL_MEETING,
        status=Registration.Status.CONFIRMED,
        checked_in_at__isnull=False,
    ).count()


def _coming_registrations(user_id, now):
    return (
        Registration.objects.filter(user_id=user_id, event__ends_at__gte=now)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("event")
        .order_by("event__starts_at")
    )


# Asked on every visit to /account/: compiled once (core.prepared).
_COMING_REGISTRATIONS = PreparedQuery(_coming_registrations, user_id=-7_300_023, now=MARKER_MOMENT)


def user_registrations(user) -> list[Registration]:
    """A person's live registrations for events that have not ended, soonest first, for their
    dashboard."""
    return _COMING_REGISTRATIONS.run(user_id=user.pk, now=timezone.now())


def attendees(event: Event) -> QuerySet[Registration]:
    return (
        event.registrations.exclude(status=Registration.Status.CANCELLED)
        .select_related("user", "user__profile", "ticket_type")
        .order_by("status", "user__last_name", "user__first_name", "pk")
    )


# --- Continuing education ----------------------------------------------------------------


@dataclass(frozen=True)
class LearningEntry:
    """One attended event on a person's learning record."""

    registration: Registration
    how: str  # "checked in" or "joined online", perhaps "… (also watched the recording)"
    certifiable = True  # a certificate of attendance can be issued for it

    @property
    def kind(self) -> str:
        """The kind of event (a LEARNING_CATEGORIES key): National Meeting, workshop, webinar."""
        return self.event.kind

    @property
    def event(self) -> Event:
        return self.registration.event

    @property
    def title(self) -> str:
        return self.event.title

    @property
    def url(self) -> str:
        return self.event.url

    @property
    def kind_label(self) -> str:
        return self.event.kind_label

    @property
    def date(self) -> date:
        return self.event.local_starts_at.date()

    @property
    def year(self) -> int:
        return self.date.year

    @property
    def hours(self) -> Decimal:
        return self.event.credit_hours


@dataclass(frozen=True)
class LearningActivity:
    """A recording watched or a library reading marked done: no certificate of attendance,
    but its hours count on the record and the transcript."""

    kind: str  # "recording" or "reading"
    kind_label: str
    how: str
    title: str
    url: str
    date: date
    hours: Decimal
    event: Event | None = None
    certifiable = False

    @property
    def year(self) -> int:
        return self.date.year


LEARNING_KINDS = LEARNING_CATEGORIES


@dataclass(frozen=True)
class LearningYear:
    year: int
    entries: list

    @property
    def total_hours(self) -> Decimal:
        return sum((entry.hours for entry in self.entries), Decimal("0"))

    @property
    def totals_by_kind(self) -> list[dict]:
        """Hours per kind of learning, labelled, in a fixed order; kinds absent are left out."""
        return [
            {
                "label": label,
                "hours": sum((e.hours for e in self.entries if e.kind == kind), Decimal("0")),
            }
            for kind, label in LEARNING_KINDS.items()
            if any(e.kind == kind for e in self.entries)
        ]


def learning_record(user) -> list[LearningEntry]:
    """Events the person attended (checked in, or joined through the site's link), newest
    first: one query."""
    registrations = (
        Registration.objects.filter(user=user, status=Registration.Status.CONFIRMED)
        .filter(Q(checked_in_at__isnull=False) | Q(joined_at__isnull=False))
        .select_related("event")
        .order_by("-event__starts_at", "-pk")
    )
    return [
        LearningEntry(registration=r, how="checked in" if r.checked_in_at else "joined online")
        for r in registrations
    ]


def learning_activities(user) -> list[LearningEntry | LearningActivity]:
    """Everything on the person's learning record, newest first: events attended, recordings
    watched through the site (an event attended counts once, as attended), and what other
    apps add through the `learning_record_entries` hook (the library's readings). Two
    queries, plus one per hook."""
    attended = learning_record(user)
    attended_events = {entry.event.pk for entry in attended}
    views = RecordingView.objects.filter(user=user).select_related("event")
    watched_too = {view.event_id for view in views if view.event_id in attended_events}
    entries: list = [
        LearningEntry(registration=e.registration, how=f"{e.how} (also watched the recording)")
        if e.event.pk in watched_too
        else e
        for e in attended
    ]
    for view in views:
        if view.event_id not in attended_events:
            entries.append(
                LearningActivity(
                    kind="recording",
                    kind_label=f"{view.event.kind_label} recording",
                    how="watched the recording",
                    title=view.event.title,
                    url=view.event.url,
                    date=timezone.localtime(view.watched_at, view.event.zone).date(),
                    hours=view.event.recording_credit_hours,
                    event=view.event,
                )
            )
    for hook in hooks.get_hooks("learning_record_entries"):
        for item in hook(user):
            entries.append(
                LearningActivity(
                    kind=item["kind"],
                    kind_label=item["kind_label"],
                    how=item["how"],
                    title=item["title"],
                    url=item["url"],
                    date=timezone.localtime(item["done_at"]).date(),
                    hours=item["hours"],
                )
            )
    entries.sort(key=lambda e: (e.date, e.title), reverse=True)
    return entries


def learning_years(entries: list) -> list[LearningYear]:
    """The record by year, newest first, each with its total hours."""
    years: dict[int, list] = {}
    for entry in entries:
        years.setdefault(entry.year, []).append(entry)
    return [LearningYear(year, years[year]) for year in sorted(years, reverse=True)]


def valid_certificates(user) -> dict:
    """The person's valid certificates: {event id: certificate} and {year: transcript}."""
    by_event, by_year = {}, {}
    for certificate in Certificate.objects.filter(user=user, revoked_at=None):
        if certificate.kind == Certificate.Kind.ATTENDANCE:
            by_event[certificate.event_id] = certificate
        else:
            by_year[certificate.year] = certificate
    return {"by_event": by_event, "by_year": by_year}


def calendar_feed_for(user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


# A personal feed keeps a year of past events (a learning record is the place for more).
PERSONAL_FEED_PAST = timedelta(days=365)


def personal_calendar_registrations(user, *, now=None) -> list[Registration]:
    """One registration per event the person registered for: the live one, else their last
    cancelled one (so the calendar shows it cancelled). Unpublished events are there too:
    a calendar must hear that they are cancelled."""
    now = now or timezone.now()
    registrations = (
        Registration.objects.filter(user=user, event__ends_at__gte=now - PERSONAL_FEED_PAST)
        .select_related("event")
        .prefetch_related("event__topics")
        .order_by("event__starts_at", "event_id", "-created_at")
    )
    chosen: dict[int, Registration] = {}
    for registration in registrations:
        current = chosen.get(registration.event_id)
        if current is None or (not current.is_live and registration.is_live):
            chosen[registration.event_id] = registration
    return list(chosen.values())


# --- Challenges --------------------------------------------------------------------------


def published_challenges() -> QuerySet[Challenge]:
    return Challenge.objects.filter(is_published=True)


def showcase(challenge: Challenge) -> list[Submission]:
    if not challenge.winners_published:
        return []
    return list(
        challenge.submissions.exclude(award="").select_related("owner").order_by("-award", "title")
    )


def judge_assignments(user) -> QuerySet[JudgeAssignment]:
    """Only this judge's own assignments: the one way judges reach submissions."""
    return (
        JudgeAssignment.objects.filter(judge=user, submission__status=Submission.Status.SUBMITTED)
        .select_related("submission__challenge")
        .annotate(score_count=Count("scores"))
        .order_by("submission__challenge__title", "submission__title")
    )


def ranked_submissions(challenge: Challenge) -> list[dict]:
    """Submitted entries ranked by their weighted score, averaged over the judges who scored
    them in full (judges with a declared conflict of interest are left out)."""
    criteria = list(challenge.criteria.all())
    total_weight = sum(c.weight for c in criteria) or 1
    weights = {c.pk: c.weight for c in criteria}
    submissions = (
        challenge.submissions.filter(status=Submission.Status.SUBMITTED)
        .select_related("owner")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=JudgeAssignment.objects.filter(conflict_of_interest=False)
                .select_related("judge")
                .prefetch_related(Prefetch("scores", queryset=Score.objects.all())),
            )
        )
        .annotate(conflicts=Count("assignments", filter=Q(assignments__conflict_of_interest=True)))
    )
    rows = []
    for submission in submissions:
        judge_totals = []
        for assignment in submission.assignments.all():
            scores = {s.criterion_id: s.value for s in assignment.scores.all()}
            if set(scores) != set(weights):
                continue
            judge_totals.append(
                sum(weights[cid] * value for cid, value in scores.items()) / total_weight
            )
        average = sum(judge_totals) / len(judge_totals) if judge_totals else None
        rows.append(
            {
                "submission": submission,
                "score": round(average * 10, 1) if average is not None else None,
                "judges": len(judge_totals),
                "conflicts": submission.conflicts,
            }
        )
    rows.sort(key=lambda row: (row["score"] is None, -(row["score"] or 0), row["submission"].title))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank if row["score"] is not None else None
    return rows


def open_invitations(submission: Submission) -> list[TeamInvitation]:
    """The entry's invitations its leader still waits on (expired ones drop off)."""
    return list(
        submission.invitations.filter(
            status=TeamInvitation.Status.PENDING, expires_at__gt=timezone.now()
        ).order_by("email")
    )


# --- Network dashboard -------------------------------------------------------------------


def attendance_figures(*, previous_start, start, end) -> dict:
    """Events that started in [start, end), each with `registered` (confirmed places),
    `checked_in` and `cancelled`; totals for the period and the one before. Two queries.

    The no-show rate counts only events that have ended: confirmed places not checked in.
    """
    now = timezone.now()
    counts = {
        "registered": Count("registrations", filter=Q(registrations__status="confirmed")),
        "checked_in": Count(
            "registrations",
            filter=Q(registrations__status="confirmed", registrations__checked_in_at__isnull=False),
        ),
        "cancelled": Count("registrations", filter=Q(registrations__status="cancelled")),
    }
    events = list(
        Event.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .annotate(**counts)
        .order_by("-starts_at", "pk")
    )
    ended_confirmed = Q(registrations__status="confirmed", ends_at__lt=now)
    previous = Event.objects.filter(starts_at__gte=previous_start, starts_at__lt=start).aggregate(
        events=Count("pk", distinct=True),
        registered=counts["registered"],
        ended_registered=Count("registrations", filter=ended_confirmed),
        ended_checked_in=Count(
            "registrations",
            filter=ended_confirmed & Q(registrations__checked_in_at__isnull=False),
        ),
    )
    ended = [event for event in events if event.ends_at < now]
    for event in events:
        event.ended = event.ends_at < now
        event.no_show_rate = (
            _rate(event.registered - event.checked_in, event.registered) if event.ended else None
        )
    return {
        "events": events,
        "current": {
            "events": len(events),
            "registered": sum(event.registered for event in events),
            "no_show_rate": _rate(
                sum(e.registered - e.checked_in for e in ended), sum(e.registered for e in ended)
            ),
        },
        "previous": {
            "events": previous["events"],
            "registered": previous["registered"],
            "no_show_rate": _rate(
                previous["ended_registered"] - previous["ended_checked_in"],
                previous["ended_registered"],
            ),
        },
    }


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None
