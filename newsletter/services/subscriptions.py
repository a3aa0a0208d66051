"""Subscriptions: double opt-in sign-up and its limits, confirmation, unsubscribe, and the
account's email preferences."""

import logging
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.tasks import enqueue
from core.throttle import throttle_allow

from .. import selectors
from ..models import TOPIC_FIELDS, Subscriber
from ..rendering import absolute
from ..tokens import confirmation_token, read_confirmation_token
from . import background
from .suppressions import normalise_email

logger = logging.getLogger(__name__)


def _topic_fields(topics: Iterable[str]) -> dict[str, bool]:
    chosen = set(topics)
    return {field: topic in chosen for topic, field in TOPIC_FIELDS.items()}


# --- Sign-up limits ------------------------------------------------------------------------
def _sign_up_allowed(*, kind: str, key: str, limit: int) -> bool:
    """Count one under the shared cache's counter; each window opens at its key's first count."""
    try:
        return throttle_allow(
            action=f"newsletter-signup-{kind}",
            key=key,
            limit=limit,
            seconds=max(settings.NEWSLETTER_SIGNUP_WINDOW_SECONDS, 1),
            window_from_first_attempt=True,
        )
    except Exception:
        # No shared counter: refuse rather than let the form mail anyone without limit.
        logger.warning("newsletter sign-up limit: cache unavailable", exc_info=True)
        return False


def _client_may_sign_up(client: str) -> bool:
    """Count one sign-up from this client; False past NEWSLETTER_SIGNUPS_PER_CLIENT."""
    return _sign_up_allowed(kind="client", key=client, limit=settings.NEWSLETTER_SIGNUPS_PER_CLIENT)


def _address_may_get_confirmation(email: str) -> bool:
    """True for the first confirmation to this address in the window, False after."""
    return _sign_up_allowed(kind="address", key=email, limit=1)


# --- Subscribers ---------------------------------------------------------------------------
@transaction.atomic
def subscriber_request(
    *, email: str, topics: Iterable[str], client: str = "", allows_tracking: bool = True
) -> Subscriber | None:
    """Someone asked to subscribe: send a confirmation link (double opt-in).

    Returns None, sending nothing, when the address is suppressed or already confirmed, when
    it was sent a confirmation within the window (the earlier link keeps working), or when
    this client has made too many sign-ups lately: the form cannot be used to mail-bomb
    anyone. The sign-up page says the same thing in every case, so it reveals nobody's
    subscription.
    """
    if client and not _client_may_sign_up(client):
        return None
    email = normalise_email(email)
    if selectors.is_suppressed(email):
        return None
    subscriber, _ = Subscriber.objects.select_for_update().get_or_create(email=email)
    if subscriber.status == Subscriber.Status.SUBSCRIBED:
        return None
    if not _address_may_get_confirmation(email):
        return None
    for field, wanted in _topic_fields(topics).items():
        setattr(subscriber, field, wanted)
    subscriber.allows_tracking = allows_tracking
    subscriber.status = Subscriber.Status.PENDING
    subscriber.confirmation_nonce = secrets.token_hex(16)
    subscriber.save()
    transaction.on_commit(lambda: enqueue(background.SEND_CONFIRMATION_EMAIL, subscriber.pk))
    return subscriber


def subscriber_send_confirmation(*, subscriber_id: int) -> bool:
    subscriber = Subscriber.objects.filter(
        pk=subscriber_id, status=Subscriber.Status.PENDING
    ).first()
    if subscriber is None or not subscriber.confirmation_nonce:
        return False
    token = confirmation_token(subscriber.pk, subscriber.confirmation_nonce)
    send_mail(
        subject="Confirm your civicnet newsletter subscription",
        message=render_to_string(
            "newsletter/email/confirm.txt",
            {
                "confirm_url": absolute(reverse("newsletter:confirm", kwargs={"token": token})),
                "days": settings.NEWSLETTER_CONFIRM_DAYS,
            },
        ),
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        recipient_list=[subscriber.email],
    )
    return True


@transaction.atomic
def subscriber_confirm(*, token: str) -> Subscriber | None:
    """Use a confirmation link: valid, unexpired and unused, it subscribes the address."""
    data = read_confirmation_token(token)
    if data is None:
        return None
    subscriber_id, nonce = data
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if (
        subscriber is None
        or not subscriber.confirmation_nonce
        or not secrets.compare_digest(subscriber.confirmation_nonce, nonce)
    ):
        return None
    subscriber.status = Subscriber.Status.SUBSCRIBED
    subscriber.confirmation_nonce = ""
    subscriber.confirmed_at = timezone.now()
    subscriber.unsubscribed_at = None
    subscriber.save()
    return subscriber


@transaction.atomic
def subscriber_unsubscribe(
    *, subscriber_id: int, edition_id: int | None = None
) -> Subscriber | None:
    """Unsubscribe for good; copies of a send still in progress are not sent. `edition_id` is
    the edition whose link was used: kept only when that edition was sent to them."""
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if subscriber is None:
        return None
    if subscriber.status != Subscriber.Status.UNSUBSCRIBED:
        subscriber.status = Subscriber.Status.UNSUBSCRIBED
        subscriber.unsubscribed_at = timezone.now()
        if edition_id and subscriber.deliveries.filter(edition_id=edition_id).exists():
            subscriber.unsubscribed_from_edition_id = edition_id
        subscriber.confirmation_nonce = ""
        subscriber.save()
    return subscriber


@transaction.atomic
def subscription_set_for_user(
    *, user, topics: Iterable[str], allows_tracking: bool | None = None
) -> Subscriber | None:
    """Account email preferences: subscribe the account's (verified) address to these topics,
    and whether opens and clicks are counted (None: as it was).

    No topics means unsubscribe. Called by the /account/ preferences form.
    """
    email = normalise_email(user.email)
    if not email:
        return None
    topics = list(topics)
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if not topics:
        if subscriber is not None:
            return subscriber_unsubscribe(subscriber_id=subscriber.pk)
        return None
    if subscriber is None:
        subscriber = Subscriber(email=email, source=Subscriber.Source.ACCOUNT)
    for field, wanted in _topic_fields(topics).items():
        setattr(subscriber, field, wanted)
    subscriber.user = user
    if allows_tracking is not None:
        subscriber.allows_tracking = allows_tracking
    if subscriber.status != Subscriber.Status.SUBSCRIBED:
        subscriber.status = Subscriber.Status.SUBSCRIBED
        subscriber.confirmed_at = timezone.now()
        subscriber.unsubscribed_at = None
        subscriber.confirmation_nonce = ""
    subscriber.save()
    return subscriber
