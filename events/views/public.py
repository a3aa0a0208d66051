"""Pages anyone may see: event listings, event pages, calendar files, challenge pages."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from core.table_versions import kept_under_version, read_version
from members.selectors import membership_is_active

from .. import selectors
from ..forms import EventFilterForm
from ..ical import event_calendar
from ..models import Challenge, Event, JudgeAssignment, Registration
from ..services.submissions import submission_for
from .common import offer_url, personal, published_event, render_page


def _filtered(request, queryset_fn):
    form = EventFilterForm(request.GET or None)
    kind = topic = ""
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        topic = form.cleaned_data["topic"].slug if form.cleaned_data["topic"] else ""
    paginator = Paginator(queryset_fn(kind=kind, topic=topic), 12)
    page_obj = paginator.get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in (("kind", kind), ("topic", topic)) if v)
    return form, page_obj, (query + "&") if query else ""


def event_index(request):
    form, page_obj, query_prefix = _filtered(request, selectors.upcoming_events)
    for event in page_obj:
        event.remaining = selectors.remaining_places(event)
    response = render_page(
        request,
        "events/event_index.html",
        {"form": form, "page_obj": page_obj, "query_prefix": query_prefix},
    )
    return personal(request, response)


def event_past(request):
    form, page_obj, query_prefix = _filtered(request, selectors.past_events)
    response = render_page(
        request,
        "events/event_past.html",
        {
            "form": form,
            "page_obj": page_obj,
            "query_prefix": query_prefix,
            "is_member": membership_is_active(request.user),
        },
    )
    return personal(request, response)


# events migration 0014: moves whenever a table an event page shows is written.
PAGE_VERSION = "events_page"
# The parts of an event page that are the same for every visitor (members and non-members
# apart: members-only tickets), rendered once per version (events/includes/event_<piece>.html).
SHOWN_PIECES = ("header", "main", "facts", "topics", "calendar")


def _event_shown(slug: str, *, is_member: bool) -> dict:
    """The event, its places left and the pieces of its page that do not depend on who asks."""
    event = published_event(slug)
    context = {"event": event, "is_member": is_member}
    html = {
        piece: render_to_string(f"events/includes/event_{piece}.html", context)
        for piece in SHOWN_PIECES
    }
    remaining = selectors.remaining_places(event)
    event._prefetched_objects_cache = {}  # rendered: not kept with the event
    return {"event": event, "remaining": remaining, "html": html}


def event_detail(request, slug):
    is_member = membership_is_active(request.user)
    shown = kept_under_version(
        read_version(PAGE_VERSION),
        f"event-page:{request.get_host()}:{slug}:{'member' if is_member else 'other'}",
        lambda: _event_shown(slug, is_member=is_member),
    )
    event = shown["event"]
    # Who is asking: their registration, their place on the waitlist, their offer.
    registration = selectors.live_registration(event=event, user=request.user)
    context = {
        "event": event,
        "shown": {piece: mark_safe(html) for piece, html in shown["html"].items()},  # noqa: S308 (our own templates' output)
        "remaining": shown["remaining"],
        "registration": registration,
        "waitlist_position": registration and selectors.waitlist_position(registration),
        "offer_url": offer_url(registration),
        "show_join_link": bool(
            registration
            and registration.status == Registration.Status.CONFIRMED
            and event.join_link_visible()
        ),
        "registration_state": event.registration_state(),
        "is_member": is_member,
        "is_free": event.is_free_for(is_member=is_member),
        "is_past": event.is_past(),
    }
    return personal(request, render_page(request, "events/event_detail.html", context))


def _calendar_response(events, filename, name=""):
    response = HttpResponse(
        event_calendar(events, name=name), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def event_ics(request, slug):
    event = get_object_or_404(
        Event.objects.prefetch_related("topics"), slug=slug, is_published=True
    )
    return _calendar_response([event], f"{event.slug}.ics")


def calendar_ics(request):
    events = (
        selectors.published_events()
        .filter(ends_at__gte=timezone.now() - timezone.timedelta(days=90))
        .prefetch_related("topics")
    )
    return _calendar_response(events, "civicnet-events.ics", name="civicnet events")


def challenge_index(request):
    challenges = selectors.published_challenges()
    now = timezone.now()
    groups = {"open": [], "announced": [], "judging": [], "winners": []}
    for challenge in challenges:
        groups[challenge.phase(now)].append(challenge)
    return personal(
        request, render_page(request, "events/challenge_index.html", {"groups": groups})
    )


def challenge_detail(request, slug):
    challenge = get_object_or_404(
        Challenge.objects.prefetch_related("criteria"), slug=slug, is_published=True
    )
    submission = None
    if request.user.is_authenticated:
        submission = submission_for(challenge=challenge, user=request.user)
    context = {
        "challenge": challenge,
        "phase": challenge.phase(),
        "timeline": challenge.timeline(),
        "criteria": challenge.criteria.all(),
        "total_weight": sum(c.weight for c in challenge.criteria.all()),
        "showcase": selectors.showcase(challenge),
        "submission": submission,
        "is_judge": request.user.is_authenticated
        and JudgeAssignment.objects.filter(
            judge=request.user, submission__challenge=challenge
        ).exists(),
        "is_member": membership_is_active(request.user),
    }
    return personal(request, render_page(request, "events/challenge_detail.html", context))
