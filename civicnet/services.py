from django.core.cache import cache
from django.db import transaction
from wagtail.models import Page

from .models import PageFeedback
from .selectors import HOME_COUNTERS_CACHE_KEY, HOME_COUNTERS_SECONDS, compute_home_counters


@transaction.atomic
def feedback_record(*, page: Page, visitor_key: str, helpful: bool, user=None) -> PageFeedback:
    """Record a visitor's answer; a second answer from the same visitor replaces the first."""
    feedback, _ = PageFeedback.objects.update_or_create(
        page=page,
        visitor_key=visitor_key,
        defaults={"helpful": helpful, "user": user if user and user.is_authenticated else None},
    )
    return feedback


def home_counters_refresh() -> dict[str, int]:
    """Recompute the home page's counters and store them for the next visitors."""
    counters = compute_home_counters()
    cache.set(HOME_COUNTERS_CACHE_KEY, counters, HOME_COUNTERS_SECONDS)
    return counters
