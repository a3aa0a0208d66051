"""Series: making a series' occurrences from its rule, and registering for all of them."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from members.selectors import membership_is_active

from ..models import Event, EventSeries, Registration
from .emails import registration_email_queue
from .registrations import RegistrationClosed, is_full, places_changed


def _occurrence_slug(series: EventSeries, day) -> str:
    return f"{series.slug}-{day:%Y-%m-%d}"


def series_occurrences_preview(series: EventSeries) -> list[dict]:
    """The dates the rule gives, each with its local and UTC times and whether its
    occurrence exists already (two queries' worth of facts for the staff preview)."""
    existing = set(series.occurrences.values_list("series_date", flat=True))
    rows = []
    for day in series.rule_dates():
        starts_at, ends_at = series.occurrence_times(day)
        rows.append(
            {
                "date": day,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "slug": _occurrence_slug(series, day),
                "exists": day in existing,
            }
        )
    return rows


@transaction.atomic
def series_occurrences_create(*, series: EventSeries) -> list[Event]:
    """Create the occurrences the rule gives that do not exist yet, as events with the
    series' defaults. Existing occurrences are never changed (staff may have moved one, or
    changed its capacity or join link), so running this again creates nothing twice: the
    series row is locked, and (series, rule date) is unique besides."""
    series = EventSeries.objects.select_for_update().get(pk=series.pk)
    existing = set(series.occurrences.values_list("series_date", flat=True))
    missing = [day for day in series.rule_dates() if day not in existing]
    slugs = {_occurrence_slug(series, day) for day in missing}
    taken_slugs = set(Event.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    created = []
    for day in missing:
        starts_at, ends_at = series.occurrence_times(day)
        slug = _occurrence_slug(series, day)
        if slug in taken_slugs:  # an unrelated event has the address: keep both reachable
            slug = f"{slug}-{series.pk}"
        created.append(
            Event.objects.create(
                series=series,
                series_date=day,
                kind=series.kind,
                title=f"{series.title}: {starts_at:%B %-d, %Y}",
                slug=slug,
                summary=series.summary,
                body=series.body,
                starts_at=starts_at,
                ends_at=ends_at,
                time_zone=series.time_zone,
                is_online=True,
                join_url=series.join_url,
                capacity=series.capacity,
                is_published=series.is_published,
            )
        )
    if created:
        places_changed(created[0])
    return created


@dataclass
class SeriesRegistration:
    """What registering for a whole series did, occurrence by occurrence."""

    confirmed: list[Event] = field(default_factory=list)
    waitlisted: list[Event] = field(default_factory=list)
    already: list[Event] = field(default_factory=list)
    not_free: list[Event] = field(default_factory=list)


@transaction.atomic
def series_register(*, series: EventSeries, user, now=None) -> SeriesRegistration:
    """Register the person for every upcoming occurrence open for registration: a place
    where there is one, else the waitlist. One transaction; every occurrence row is locked
    (in id order, as each single registration locks its event first) so capacity holds
    however many people register at once. Occurrences the person is already registered for
    are left as they are; paid ones a non-member must buy one by one are left out."""
    now = now or timezone.now()
    if not series.is_published:
        raise RegistrationClosed("This series is not open for registration.")
    occurrences = list(
        Event.objects.select_for_update()
        .filter(series=series, is_published=True, starts_at__gt=now)
        .order_by("pk")
    )
    occurrences = [e for e in occurrences if e.registration_state(now) == "open"]
    live = set(
        Registration.objects.filter(user=user, event__in=occurrences)
        .exclude(status=Registration.Status.CANCELLED)
        .values_list("event_id", flat=True)
    )
    is_member = membership_is_active(user)
    outcome = SeriesRegistration()
    for event in sorted(occurrences, key=lambda e: (e.starts_at, e.pk)):
        if event.pk in live:
            outcome.already.append(event)
            continue
        if not event.is_free_for(is_member=is_member):
            outcome.not_free.append(event)
            continue
        full = is_full(event)
        status = Registration.Status.WAITLISTED if full else Registration.Status.CONFIRMED
        registration = Registration.objects.create(event=event, user=user, status=status)
        registration_email_queue(registration, status)
        (outcome.waitlisted if full else outcome.confirmed).append(event)
    if outcome.confirmed or outcome.waitlisted:
        places_changed(occurrences[0])
    return outcome
