"""Continuing education: the learning record, certificates and transcripts as PDF, the public
verification page (and its staff revoke form), the personal calendar feed, and the webinar
join link that records online attendance."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_POST

from core.staff import staff_tool
from members.selectors import membership_is_active

from .. import selectors
from ..certificates import certificate_pdf
from ..forms import CertificateRevokeForm
from ..ical import personal_calendar
from ..models import CalendarFeed, Certificate, Event, Registration
from ..services.learning import (
    LearningError,
    NameMissing,
    calendar_feed_renew,
    calendar_feed_turn_off,
    certificate_issue,
    certificate_revoke,
    recording_view_record,
    transcript_issue,
)
from ..services.registrations import registration_record_join
from .common import personal, private, render_page


@private
@login_required
def learning_record(request):
    entries = selectors.learning_activities(request.user)
    certificates = selectors.valid_certificates(request.user)
    years = [
        {
            "year": year.year,
            "total_hours": year.total_hours,
            "totals_by_kind": year.totals_by_kind,
            "transcript": certificates["by_year"].get(year.year),
            "rows": [
                {
                    "entry": entry,
                    "certifiable": entry.certifiable,
                    "certificate": certificates["by_event"].get(entry.event.pk)
                    if entry.certifiable
                    else None,
                }
                for entry in year.entries
            ],
        }
        for year in selectors.learning_years(entries)
    ]
    context = {
        "account_crumbs": [
            {"label": "Home", "url": "/"},
            {"label": "Your account", "url": reverse("members:dashboard")},
        ],
        "years": years,
        "feed": selectors.calendar_feed_for(request.user),
        "has_name": bool(request.user.get_full_name().strip()),
    }
    return render_page(request, "events/learning/record.html", context)


def _pdf(certificate: Certificate, filename: str) -> HttpResponse:
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _name_first(request, error):
    messages.error(request, str(error))
    return redirect("members:profile_edit")


@private
@login_required
def certificate_download(request, slug):
    event = get_object_or_404(Event, slug=slug)
    try:
        certificate = certificate_issue(user=request.user, event=event)
    except NameMissing as error:
        return _name_first(request, error)
    except LearningError as error:
        raise Http404(str(error)) from error
    return _pdf(certificate, f"civicnet-certificate-{event.slug}.pdf")


@private
@login_required
def transcript_download(request, year):
    try:
        certificate = transcript_issue(user=request.user, year=year)
    except NameMissing as error:
        return _name_first(request, error)
    except LearningError as error:
        raise Http404(str(error)) from error
    return _pdf(certificate, f"civicnet-transcript-{year}.pdf")


def certificate_verify(request, token):
    """Public: anyone holding the address sees whether the certificate is genuine."""
    certificate = get_object_or_404(Certificate, token=token)
    response = render_page(request, "events/learning/verify.html", {"certificate": certificate})
    # A revocation must show at once: no cached copy, even for anonymous visitors.
    patch_cache_control(response, no_cache=True)
    return personal(request, response)


@private
@staff_tool("events.revoke_certificate")
def certificate_revoke_form(request, token):
    certificate = get_object_or_404(Certificate, token=token)
    form = CertificateRevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        certificate_revoke(certificate=certificate, reason=form.cleaned_data["reason"])
        messages.success(request, "The certificate is revoked.")
        return redirect(certificate)
    return render_page(
        request, "events/learning/revoke.html", {"certificate": certificate, "form": form}
    )


@private
@login_required
@require_POST
def calendar_feed_manage(request):
    if request.POST.get("action") == "off":
        calendar_feed_turn_off(user=request.user)
        messages.success(request, "Your calendar address is turned off.")
    else:
        calendar_feed_renew(user=request.user)
        messages.success(request, "Here is your calendar address. Any earlier one no longer works.")
    return redirect("events:learning")


def personal_calendar_feed(request, token):
    """A person's own events, for calendar apps (which send no cookies): the secret address
    is the key. Never cached by anyone but the app that asked."""
    feed = get_object_or_404(
        CalendarFeed.objects.select_related("user"), token=token, user__is_active=True
    )
    registrations = selectors.personal_calendar_registrations(feed.user)
    response = HttpResponse(
        personal_calendar(registrations, name="civicnet: your events"),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="civicnet-your-events.ics"'
    response["X-Robots-Tag"] = "noindex"
    patch_cache_control(response, private=True, no_cache=True)
    return response


@private
@login_required
def event_join(request, slug):
    """The webinar's join link, through the site: a confirmed registrant who opens it while
    it is live has attended online (their learning record shows it)."""
    event = get_object_or_404(Event, slug=slug, is_published=True)
    registration = selectors.live_registration(event=event, user=request.user)
    if (
        registration is None
        or registration.status != Registration.Status.CONFIRMED
        or not event.join_url
    ):
        raise Http404
    if not event.join_link_visible():
        if event.is_past():
            messages.info(request, "This event has ended.")
        else:
            messages.info(request, "The join link opens an hour before the start.")
        return redirect(event)
    registration_record_join(registration=registration)
    return redirect(event.join_url)


@private
@login_required
def event_recording(request, slug):
    """The event's recording, through the site: members only. Opening it puts "recording
    watched" on the person's learning record (once; not when they attended the event)."""
    event = get_object_or_404(Event, slug=slug, is_published=True)
    target = event.safe_recording_url
    if not target:
        raise Http404("This event has no recording.")
    if not membership_is_active(request.user):
        return HttpResponseForbidden(
            "Recordings are for members: join or renew to watch this one.",
            content_type="text/plain; charset=utf-8",
        )
    recording_view_record(user=request.user, event=event)
    return redirect(target)
