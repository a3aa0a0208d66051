"""Continuing education: attendance by the join link, certificates and transcripts as issued,
and each person's secret calendar feed."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ..models import CalendarFeed, Certificate, Event, RecordingView, Registration
from ..selectors import learning_activities, learning_record

REPLACED = "Replaced by a newer certificate after the learning record changed."
ATTENDANCE_WITHDRAWN = "The attendance it certifies was withdrawn."


class LearningError(Exception):
    """A certificate the record does not support; the message is shown to the person."""


class NameMissing(LearningError):
    """A certificate needs the holder's name."""


def hours_label(hours: Decimal) -> str:
    """1.50 -> '1.5', 12.00 -> '12'."""
    text = f"{hours:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _holder_name(user) -> str:
    name = user.get_full_name().strip()
    if not name:
        raise NameMissing("Add your name to your profile first: certificates carry it.")
    return name


def _lock_person(user):
    """Issuing for one person happens one request at a time (no two valid copies)."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def _issue(*, valid: Certificate | None, facts: dict, now) -> Certificate:
    """The valid certificate when it still says `facts`; else revoke it and issue anew."""
    fields = ("holder_name", "title", "attended_on", "hours", "entries")
    if valid is not None:
        if all(getattr(valid, name) == facts[name] for name in fields):
            return valid
        valid.revoked_at = now
        valid.revocation_reason = REPLACED
        valid.save(update_fields=["revoked_at", "revocation_reason"])
    return Certificate.objects.create(**facts)


@transaction.atomic
def certificate_issue(*, user, event: Event, now=None) -> Certificate:
    """The person's certificate of attendance for `event` (LearningError if they did
    not attend it)."""
    now = now or timezone.now()
    _lock_person(user)
    entry = next((e for e in learning_record(user) if e.event.pk == event.pk), None)
    if entry is None:
        raise LearningError("There is no attendance at this event on your record.")
    facts = {
        "kind": Certificate.Kind.ATTENDANCE,
        "user": user,
        "event": event,
        "year": entry.year,
        "holder_name": _holder_name(user),
        "title": event.title,
        "attended_on": entry.date,
        "hours": entry.hours,
        "entries": [],
    }
    valid = Certificate.objects.filter(
        user=user, event=event, kind=Certificate.Kind.ATTENDANCE, revoked_at=None
    ).first()
    return _issue(valid=valid, facts=facts, now=now)


@transaction.atomic
def transcript_issue(*, user, year: int, now=None) -> Certificate:
    """The person's transcript of `year`: every event attended, recording watched and library
    reading done (each labelled), and the total hours."""
    now = now or timezone.now()
    _lock_person(user)
    entries = [e for e in learning_activities(user) if e.year == year]
    if not entries:
        raise LearningError(f"Your learning record has nothing in {year}.")
    facts = {
        "kind": Certificate.Kind.TRANSCRIPT,
        "user": user,
        "event": None,
        "year": year,
        "holder_name": _holder_name(user),
        "title": f"Continuing education transcript {year}",
        "attended_on": None,
        "hours": sum((e.hours for e in entries), Decimal("0")),
        "entries": [
            {
                "title": e.title,
                "kind": f"{e.kind_label}, {e.how}",
                "category": e.kind,
                "date": e.date.isoformat(),
                "hours": hours_label(e.hours),
            }
            for e in sorted(entries, key=lambda e: (e.date, e.title))
        ],
    }
    valid = Certificate.objects.filter(
        user=user, year=year, kind=Certificate.Kind.TRANSCRIPT, revoked_at=None
    ).first()
    return _issue(valid=valid, facts=facts, now=now)


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str, now=None) -> Certificate:
    """Staff withdraw a certificate: its verification page says so from now on."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.revoked_at is None:
        certificate.revoked_at = now or timezone.now()
        certificate.revocation_reason = reason.strip()[:300]
        certificate.save(update_fields=["revoked_at", "revocation_reason"])
    return certificate


def certificates_revoke_for_attendance(*, registration: Registration, now=None) -> int:
    """When attendance is undone (check-in removed, no online join), its certificate goes."""
    return Certificate.objects.filter(
        user_id=registration.user_id,
        event_id=registration.event_id,
        kind=Certificate.Kind.ATTENDANCE,
        revoked_at=None,
    ).update(revoked_at=now or timezone.now(), revocation_reason=ATTENDANCE_WITHDRAWN)


def recording_view_record(*, user, event: Event, now=None) -> RecordingView:
    """A member opened the event's recording through the site: it counts on their learning
    record once (the first time), unless they attended the event itself."""
    view, _ = RecordingView.objects.get_or_create(
        user=user, event=event, defaults={"watched_at": now or timezone.now()}
    )
    return view


@transaction.atomic
def calendar_feed_renew(*, user) -> CalendarFeed:
    """A new secret address for the person's calendar; the old one stops working at once."""
    CalendarFeed.objects.filter(user=user).delete()
    return CalendarFeed.objects.create(user=user)


def calendar_feed_turn_off(*, user) -> None:
    CalendarFeed.objects.filter(user=user).delete()
