"""Staff tools: attendee lists, check-in, the attendee CSV and a challenge's ranked results."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from core.csv import csv_response
from core.params import id_param
from core.staff import staff_tool

from .. import selectors
from ..models import Challenge, Event, Registration
from ..services.registrations import RegistrationError, registration_check_in
from .common import private, render_page


@private
@staff_tool("events.view_attendees")
def event_attendees(request, slug):
    event = get_object_or_404(Event, slug=slug)
    if request.method == "POST":
        if not request.user.has_perm("events.check_in_attendees"):
            raise PermissionDenied
        registration = get_object_or_404(
            Registration,
            pk=id_param(request.POST.get("registration"), name="registration"),
            event=event,
        )
        try:
            registration_check_in(
                registration=registration, checked_in=request.POST.get("checked_in") == "1"
            )
        except RegistrationError as error:
            messages.error(request, str(error))
        return redirect(
            f"{reverse('events:attendees', args=[event.slug])}#registration-{registration.pk}"
        )
    rows = list(selectors.attendees(event))
    confirmed = [r for r in rows if r.status == Registration.Status.CONFIRMED]
    context = {
        "event": event,
        "rows": rows,
        "confirmed_count": len(confirmed),
        "checked_in_count": sum(1 for r in confirmed if r.checked_in_at),
        "waitlist_count": sum(1 for r in rows if r.status == Registration.Status.WAITLISTED),
        "remaining": selectors.remaining_places(event),
    }
    return render_page(request, "events/event_attendees.html", context)


@private
@staff_tool("events.export_attendees")
def event_attendees_csv(request, slug):
    event = get_object_or_404(Event, slug=slug)
    header = ["name", "email", "city", "status", "registered_at", "checked_in_at"]
    return csv_response(f"{event.slug}-attendees.csv", header, _attendee_rows(event))


def _attendee_rows(event):
    for registration in selectors.attendees(event):
        user = registration.user
        profile = getattr(user, "profile", None)
        yield [
            user.get_full_name(),
            user.email,
            profile.home_city if profile else "",
            registration.status,
            registration.created_at.isoformat(),
            registration.checked_in_at.isoformat() if registration.checked_in_at else "",
        ]


@private
@staff_tool("events.view_challenge_results")
def challenge_results(request, slug):
    challenge = get_object_or_404(Challenge, slug=slug)
    rows = selectors.ranked_submissions(challenge)
    return render_page(
        request, "events/challenge_results.html", {"challenge": challenge, "rows": rows}
    )
