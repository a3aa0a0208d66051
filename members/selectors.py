"""Reads other apps ask of `members`. Gating is decided here, in one place."""

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower, Trim
from django.utils import timezone

from .models import Membership, Profile


def active_memberships() -> QuerySet[Membership]:
    now = timezone.now()
    return Membership.objects.exclude(status=Membership.Status.EXPIRED).filter(
        Q(current_period_end__isnull=True) | Q(current_period_end__gt=now)
    )


def membership_is_active(user) -> bool:
    """Is this user a member right now? The one question every members-only page asks."""
    if not user.is_authenticated:
        return False
    membership = getattr(user, "membership", None)  # None when the user never joined
    return membership is not None and membership.is_active()


def member_count() -> int:
    return active_memberships().count()


def cities_represented_count() -> int:
    return (
        Profile.objects.filter(user__membership__in=active_memberships())
        .exclude(home_city="")
        .values(city=Lower(Trim("home_city")))
        .distinct()
        .count()
    )
