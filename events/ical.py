"""iCalendar (RFC 5545) files for events, built with the `icalendar` library."""

from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags
from icalendar import Calendar
from icalendar import Event as VEvent

PRODID = "-//civicnet//events//EN"


def event_uid(event) -> str:
    """Stable for the event's whole life: edits bump SEQUENCE, never the UID."""
    return f"{event.uid}@civicnet"


def _vevent(event) -> VEvent:
    vevent = VEvent()
    vevent.add("uid", event_uid(event))
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", timezone.now())
    vevent.add("last-modified", event.updated_at or timezone.now())
    # DTSTART/DTEND carry the event's own zone (TZID), with a VTIMEZONE added for it.
    vevent.add("dtstart", event.local_starts_at)
    vevent.add("dtend", event.local_ends_at)
    vevent.add("summary", event.title)
    description = event.summary
    if event.body:
        description += "\n\n" + strip_tags(event.body)
    vevent.add("description", description.strip())
    vevent.add("location", event.location_label)
    vevent.add("url", settings.SITE_URL + event.get_absolute_url())
    vevent.add("status", "CONFIRMED" if event.is_published else "CANCELLED")
    for topic in event.topics.all():
        vevent.add("categories", topic.name)
    return vevent


def event_calendar(events, *, name: str = "") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(_vevent(event))
    calendar.add_missing_timezones()
    return calendar.to_ical()
