from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from events.models import (
    Challenge,
    Criterion,
    Event,
    RegistrationQuestion,
    Speaker,
    TicketType,
    Topic,
)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda topic: topic.name.lower().replace(" ", "-"))


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speaker

    name = factory.Sequence(lambda n: f"Speaker {n}")
    role = "Chief Resilience Officer, Tulsa"


class EventFactory(factory.django.DjangoModelFactory):
    """A published webinar a week from now, free, with no capacity limit."""

    class Meta:
        model = Event
        skip_postgeneration_save = True

    kind = Event.Kind.WEBINAR
    title = factory.Sequence(lambda n: f"Webinar {n}: data for better streets")
    slug = factory.Sequence(lambda n: f"event-{n}")
    summary = "How three cities used open data to redesign their main streets."
    # Whole seconds: iCalendar has no fractions of a second.
    starts_at = factory.LazyFunction(
        lambda: timezone.now().replace(microsecond=0) + timedelta(days=7)
    )
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + timedelta(hours=1))
    time_zone = "America/New_York"
    is_online = True
    join_url = "https://meet.example.org/civicnet-webinar"
    price = Decimal("0")

    @factory.post_generation
    def topics(event, create, extracted, **kwargs):
        if create and extracted:
            event.topics.set(extracted)
            event.save()  # a ParentalManyToManyField is written on save


def make_challenge(*, open_now: bool = True, **fields) -> Challenge:
    now = timezone.now()
    if open_now:
        timeline = {
            "announced_at": now - timedelta(days=20),
            "opens_at": now - timedelta(days=10),
            "closes_at": now + timedelta(days=10),
            "winners_announced_at": now + timedelta(days=40),
        }
    else:  # the deadline has passed
        timeline = {
            "announced_at": now - timedelta(days=40),
            "opens_at": now - timedelta(days=30),
            "closes_at": now - timedelta(days=1),
            "winners_announced_at": now + timedelta(days=20),
        }
    defaults = {
        "title": "Safer Streets Prize",
        "slug": "safer-streets",
        "summary": "Cut traffic injuries on one corridor in a year.",
        "prize": "$25,000",
        **timeline,
    }
    challenge = Challenge.objects.create(**{**defaults, **fields})
    Criterion.objects.create(challenge=challenge, name="Impact", weight=60, sort_order=0)
    Criterion.objects.create(challenge=challenge, name="Replicability", weight=40, sort_order=1)
    return challenge


def admin_formset(prefix: str, rows: list[dict]) -> dict:
    """POST data for one inline panel of a Wagtail edit form (new rows only)."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        data.update({f"{prefix}-{n}-{key}": value for key, value in row.items()})
        data[f"{prefix}-{n}-ORDER"] = str(n + 1)
    return data


# The event editor's ticket types and registration questions, left empty.
NO_TICKET_TYPES_OR_QUESTIONS = {
    **admin_formset("ticket_types", []),
    **admin_formset("questions", []),
}


def add_ticket_type(event: Event, name: str, **fields) -> TicketType:
    fields.setdefault("sort_order", event.ticket_types.count())
    return TicketType.objects.create(event=event, name=name, **fields)


def add_question(event: Event, label: str, **fields) -> RegistrationQuestion:
    fields.setdefault("sort_order", event.questions.count())
    return RegistrationQuestion.objects.create(event=event, label=label, **fields)


def make_series(**fields):
    """A monthly webinar series, first Thursday at 14:00 New York time, in 2031's first half."""
    from datetime import date, time

    from events.models import EventSeries

    defaults = {
        "title": "Data for Better Streets",
        "slug": "streets",
        "summary": "A monthly hour on what street data tells cities.",
        "time_zone": "America/New_York",
        "start_time": time(14, 0),
        "duration_minutes": 60,
        "frequency": EventSeries.Frequency.MONTHLY,
        "weekday": EventSeries.Weekday.THURSDAY,
        "week_of_month": EventSeries.WeekOfMonth.FIRST,
        "starts_on": date(2031, 1, 1),
        "ends_on": date(2031, 6, 30),
        "capacity": 2,
        "join_url": "https://meet.example.org/streets",
    }
    return EventSeries.objects.create(**{**defaults, **fields})
