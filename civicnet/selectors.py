"""Reads that compose every app: the home page's counters."""

from django.core.cache import cache

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
