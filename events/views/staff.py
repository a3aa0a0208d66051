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
    questions = list(event.questions.all())
    for row in rows:
        row.answer_list = [row.answer_to(question) for question in questions]
    confirmed = [r for r in rows if r.status == Registration.Status.CONFIRMED]
    context = {
        "event": event,
        "rows": rows,
        "questions": questions,
        "tickets": _ticket_counts(event, rows),
        "confirmed_count": sum(r.places for r in confirmed),
        "guest_count": sum(r.guests for r in confirmed),
        "show_guests": bool(event.max_guests or any(r.guests for r in rows)),
        "checked_in_count": sum(1 for r in confirmed if r.checked_in_at),
        "waitlist_count": sum(1 for r in rows if r.status == Registration.Status.WAITLISTED),
        "remaining": selectors.remaining_places(event),
    }
    return render_page(request, "events/event_attendees.html", context)


def _ticket_counts(event, rows):
    """Places confirmed per ticket type, guests included, against each quota."""
    confirmed = [r for r in rows if r.status == Registration.Status.CONFIRMED]
    return [
        {
            "name": ticket_type.name,
            "quota": ticket_type.quota,
            "places": sum(r.places for r in confirmed if r.ticket_type_id == ticket_type.pk),
        }
        for ticket_type in event.ticket_types.all()
    ]


@private
@staff_tool("events.export_attendees")
def event_attendees_csv(request, slug):
    event = get_object_or_404(Event, slug=slug)
    questions = list(event.questions.all())
    header = [
        "name",
        "email",
        "city",
        "status",
        "registered_at",
        "checked_in_at",
        "ticket_type",
        "guests",
        "guest_names",
        "amount_due",
        "amount_paid",
        *(question.label for question in questions),
    ]
    return csv_response(f"{event.slug}-attendees.csv", header, _attendee_rows(event, questions))


def _attendee_rows(event, questions):
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
            registration.ticket_label,
            registration.guests,
            "; ".join(registration.guest_names),
            registration.amount_due,
            registration.amount_paid,
            *(registration.answer_to(question) for question in questions),
        ]


@private
@staff_tool("events.view_challenge_results")
def challenge_results(request, slug):
    challenge = get_object_or_404(Challenge, slug=slug)
    rows = selectors.ranked_submissions(challenge)
    return render_page(
        request, "events/challenge_results.html", {"challenge": challenge, "rows": rows}
    )
