"""Suppressions: addresses never to mail again, whatever their subscription says."""

from django.db import transaction

from ..models import Suppression


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


@transaction.atomic
def suppression_record(*, email: str, reason: str, note: str = "") -> Suppression:
    """Never mail this address again (hard bounce, complaint, or staff's decision)."""
    suppression, _ = Suppression.objects.get_or_create(
        email=normalise_email(email), defaults={"reason": reason, "note": note[:300]}
    )
    return suppression
