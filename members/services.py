from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Membership, Profile

User = get_user_model()


@transaction.atomic
def membership_set(
    *, user, status: str, current_period_end: datetime | None, is_complimentary: bool = False
) -> Membership:
    """Set a user's membership state (the Stripe webhook and staff grants both land here)."""
    membership, _ = Membership.objects.update_or_create(
        user=user,
        defaults={
            "status": status,
            "current_period_end": current_period_end,
            "is_complimentary": is_complimentary,
        },
    )
    return membership


@transaction.atomic
def profile_update(*, user, **fields) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    return profile
