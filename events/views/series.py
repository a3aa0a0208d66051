"""Series pages: the public list of a series' occurrences, registering for all of them, and
the staff tool that previews and creates the occurrences from the series' rule."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.staff import staff_tool

from .. import selectors
from ..models import EventSeries
from ..services.registrations import RegistrationError
from ..services.series import (
    series_occurrences_create,
    series_occurrences_preview,
    series_register,
)
from .common import personal, private, render_page


def series_detail(request, slug):
    series = get_object_or_404(EventSeries, slug=slug, is_published=True)
    now = timezone.now()
    occurrences = selectors.series_occurrences(series)
    mine = selectors.series_registrations(occurrences, request.user)
    for event in occurrences:
        event.remaining = selectors.remaining_places(event)
        event.my_registration = mine.get(event.pk)
        event.is_upcoming = event.starts_at > now
    upcoming = [e for e in occurrences if e.is_upcoming]
    context = {
        "series": series,
        "upcoming": upcoming,
        "past": [e for e in occurrences if not e.is_upcoming][::-1],
        "can_register_all": any(
            e.my_registration is None and e.registration_state(now) == "open" for e in upcoming
        ),
    }
    return personal(request, render_page(request, "events/series_detail.html", context))


def _titles(events) -> str:
    return "; ".join(event.when_label for event in events)


@private
@login_required
@require_POST
def series_register_all(request, slug):
    series = get_object_or_404(EventSeries, slug=slug, is_published=True)
    try:
        outcome = series_register(series=series, user=request.user)
    except RegistrationError as error:
        messages.error(request, str(error))
        return redirect(series.get_absolute_url())
    if outcome.confirmed:
        messages.success(
            request,
            f"You're registered for {len(outcome.confirmed)} of the series' dates: {_titles(outcome.confirmed)}.",
        )
    if outcome.waitlisted:
        messages.warning(
            request,
            f"These dates were full, so you're on their waitlists (we'll email you if a place "
            f"opens): {_titles(outcome.waitlisted)}.",
        )
    if outcome.not_free:
        messages.info(
            request, f"These dates need a ticket, bought one by one: {_titles(outcome.not_free)}."
        )
    if not (outcome.confirmed or outcome.waitlisted or outcome.not_free):
        messages.info(request, "You were already registered for every upcoming date.")
    return redirect(series.get_absolute_url())


@private
@staff_tool("events.add_event")
def series_occurrences(request, slug):
    """Preview the dates the rule gives (GET), then create the missing occurrences (POST)."""
    series = get_object_or_404(EventSeries, slug=slug)
    if request.method == "POST":
        created = series_occurrences_create(series=series)
        if created:
            messages.success(
                request, f"Created {len(created)} occurrence{'s' if len(created) != 1 else ''}."
            )
        else:
            messages.info(request, "Every date already has its occurrence: nothing to create.")
        return redirect("events:series_occurrences", slug=series.slug)
    rows = series_occurrences_preview(series)
    context = {
        "series": series,
        "rows": rows,
        "missing": sum(1 for row in rows if not row["exists"]),
        "occurrences": selectors.series_occurrences(series, published_only=False),
    }
    return render_page(request, "events/series_occurrences.html", context)
