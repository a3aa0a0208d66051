"""Reads that compose every app: the home page's counters; stale pages for the dashboard."""

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from wagtail.models import Page

from events.selectors import national_meeting_attendee_count
from members.selectors import cities_represented_count, member_count
from vitals.selectors import ranked_metro_count

HOME_COUNTERS_CACHE_KEY = "home:counters"
HOME_COUNTERS_SECONDS = 10 * 60


def compute_home_counters() -> dict[str, int]:
    return {
        "members": member_count(),
        "cities": cities_represented_count(),
        "attendees": national_meeting_attendee_count(),
        "metros": ranked_metro_count(),
    }


def home_counters() -> dict[str, int]:
    """The four figures on the home page, from the database, cached for ten minutes."""
    return cache.get_or_set(HOME_COUNTERS_CACHE_KEY, compute_home_counters, HOME_COUNTERS_SECONDS)


def stale_pages(*, limit: int = 15) -> QuerySet[Page]:
    """Live pages to look at again: most "not helpful" answers first, then the longest since
    they were last published (reviewed), with their yes and no counts."""
    return (
        Page.objects.live()
        .filter(depth__gt=1)
        .annotate(
            helpful_yes=Count("feedback", filter=Q(feedback__helpful=True)),
            helpful_no=Count("feedback", filter=Q(feedback__helpful=False)),
        )
        .order_by("-helpful_no", F("last_published_at").asc(nulls_first=True), "title")[:limit]
    )
