"""iCalendar (RFC 5545) files for events, built with the `icalendar` library.

Every file the site sends (downloads, email attachments, personal feeds) carries reminders
(VALARM). A personal feed also says where the person stands (waitlisted is TENTATIVE, a
cancelled place CANCELLED) and, for a confirmed registrant only, the site's join link."""

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from icalendar import Alarm, Calendar
from icalendar import Event as VEvent

PRODID = "-//civicnet//events//EN"
REMINDERS = (timedelta(days=1), timedelta(hours=1))


def event_uid(event) -> str:
    """Stable for the event's whole life: edits bump SEQUENCE, never the UID."""
    return f"{event.uid}@civicnet"


def _alarm(event, lead: timedelta) -> Alarm:
    alarm = Alarm()
    alarm.add("uid", f"{event.uid}-{int(lead.total_seconds())}@civicnet")
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -lead)
    when = "tomorrow" if lead >= timedelta(days=1) else "in an hour"
    alarm.add("description", f"{event.title} starts {when}")
    return alarm


def _vevent(event, *, status: str | None = None, sequence: int | None = None, note: str = ""):
    status = status or ("CONFIRMED" if event.is_published else "CANCELLED")
    vevent = VEvent()
    vevent.add("uid", event_uid(event))
    vevent.add("sequence", event.sequence if sequence is None else sequence)
    vevent.add("dtstamp", timezone.now())
    vevent.add("last-modified", event.updated_at or timezone.now())
    # DTSTART/DTEND carry the event's own zone (TZID), with a VTIMEZONE added for it.
    vevent.add("dtstart", event.local_starts_at)
    vevent.add("dtend", event.local_ends_at)
    vevent.add("summary", event.title)
    description = event.summary
    if event.body:
        description += "\n\n" + strip_tags(event.body)
    if note:
        description = note + "\n\n" + description
    vevent.add("description", description.strip())
    vevent.add("location", event.location_label)
    vevent.add("url", settings.SITE_URL + event.get_absolute_url())
    vevent.add("status", status)
    for topic in event.topics.all():
        vevent.add("categories", topic.name)
    if status != "CANCELLED":
        for lead in REMINDERS:
            vevent.add_component(_alarm(event, lead))
    return vevent


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def event_calendar(events, *, name: str = "") -> bytes:
    calendar = _calendar(name)
    for event in events:
        calendar.add_component(_vevent(event))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def join_link(event) -> str:
    """The site's join address: it records the attendance, then forwards to the meeting."""
    return settings.SITE_URL + reverse("events:join", kwargs={"slug": event.slug})


def _personal_vevent(registration):
    event, status = registration.event, registration.status
    if status == "cancelled":
        # A cancelled place is a change to what this person's calendar showed: bump it.
        return _vevent(event, status="CANCELLED", sequence=event.sequence + 1)
    if not event.is_published:
        return _vevent(event)
    if status == "confirmed":
        online = event.is_online and bool(event.join_url)
        note = "You're registered."
        if online:
            note += f" Join online: {join_link(event)} (it opens an hour before the start)"
        vevent = _vevent(event, note=note)
        if online:
            vevent.add(
                "conference", join_link(event), parameters={"value": "URI", "feature": "VIDEO"}
            )
        return vevent
    note = {
        "waitlisted": "You're on the waitlist: we'll email you if a place opens up.",
        "offered": "A place is held for you: accept it from the email we sent you.",
        "pending_payment": "Your place is held while payment completes.",
    }.get(status, "")
    return _vevent(event, status="TENTATIVE", note=note)


def personal_calendar(registrations, *, name: str) -> bytes:
    """One person's own calendar: the events they registered for, as they stand for them."""
    calendar = _calendar(name)
    calendar.add("refresh-interval", timedelta(hours=6), parameters={"value": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")
    for registration in registrations:
        calendar.add_component(_personal_vevent(registration))
    calendar.add_missing_timezones()
    return calendar.to_ical()
