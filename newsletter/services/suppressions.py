"""Suppressions: addresses never to mail again, whatever their subscription says, and what the
mail provider reports about an address (bounces, complaints, unsubscribes)."""

from django.db import transaction
from django.utils import timezone

from ..models import Subscriber, Suppression

# What the provider reports (django-anymail's normalised event types) and the reason recorded.
PROVIDER_EVENT_REASONS = {
    "bounced": Suppression.Reason.BOUNCE,
    "complained": Suppression.Reason.COMPLAINT,
    "unsubscribed": Suppression.Reason.UNSUBSCRIBE,
}


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


@transaction.atomic
def suppression_record(*, email: str, reason: str, note: str = "") -> Suppression:
    """Never mail this address again (hard bounce, complaint, or staff's decision)."""
    suppression, _ = Suppression.objects.get_or_create(
        email=normalise_email(email), defaults={"reason": reason, "note": note[:300]}
    )
    return suppression


def _is_address(email: str) -> bool:
    return 3 <= len(email) <= 254 and "@" in email and "\x00" not in email


@transaction.atomic
def provider_event_record(*, event_type: str, email: str, note: str = "") -> Suppression | None:
    """The mail provider reports a bounce, complaint or unsubscribe: suppress the address (an
    unsubscribe also ends the subscription). Other events and bad addresses change nothing.
    Safe to repeat: providers send an event again until they get a 2xx."""
    reason = PROVIDER_EVENT_REASONS.get(event_type)
    email = normalise_email(email)
    if reason is None or not _is_address(email):
        return None
    suppression = suppression_record(email=email, reason=reason, note=note)
    if reason == Suppression.Reason.UNSUBSCRIBE:
        Subscriber.objects.filter(email=email).exclude(
            status=Subscriber.Status.UNSUBSCRIBED
        ).update(
            status=Subscriber.Status.UNSUBSCRIBED,
            unsubscribed_at=timezone.now(),
            confirmation_nonce="",
        )
    return suppression
