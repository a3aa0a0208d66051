"""What every events view shares: breadcrumbs, and keeping personal pages out of caches."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import cache_control

from ..models import Event, Registration
from ..services.offer_tokens import offer_token

private = cache_control(private=True)


def render_page(request, template, context, status=200):
    """render() plus the breadcrumb trails the event templates use."""
    home = [{"label": "Home", "url": "/"}]
    crumbs = {
        "home_crumbs": home,
        "events_crumbs": [*home, {"label": "Events", "url": reverse("events:index")}],
        "challenges_crumbs": [
            *home,
            {"label": "Prize Challenges", "url": reverse("events:challenges")},
        ],
        "judging_crumbs": [
            *home,
            {"label": "Prize Challenges", "url": reverse("events:challenges")},
            {"label": "Judging", "url": reverse("events:judging")},
        ],
    }
    if "event" in context:
        event = context["event"]
        crumbs["event_crumbs"] = [
            *crumbs["events_crumbs"],
            {"label": event.title, "url": event.url},
        ]
    if "challenge" in context:
        challenge = context["challenge"]
        crumbs["challenge_crumbs"] = [
            *crumbs["challenges_crumbs"],
            {"label": challenge.title, "url": challenge.get_absolute_url()},
        ]
    return render(request, template, {**crumbs, **context}, status=status)


def personal(request, response):
    """Anything rendered for a signed-in person must stay out of shared caches."""
    if request.user.is_authenticated:
        patch_cache_control(response, private=True)
    return response


def published_event(slug):
    return get_object_or_404(
        Event.objects.select_related("series").prefetch_related(
            "speakers", "topics", "sessions__speaker", "ticket_types", "questions"
        ),
        slug=slug,
        is_published=True,
    )


def offer_url(registration) -> str:
    """Where the person's open waitlist offer is accepted (the event page's button)."""
    if registration is None or registration.status != Registration.Status.OFFERED:
        return ""
    return reverse(
        "events:offer_accept",
        kwargs={"slug": registration.event.slug, "token": offer_token(registration)},
    )
