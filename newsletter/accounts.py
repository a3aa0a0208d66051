"""The newsletter's part of a person's data export and account deletion (see members.signals)."""

from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat

from .models import Delivery, Subscriber


def _subscriptions(user):
    email = (user.email or "").strip().lower()
    return Subscriber.objects.filter(Q(user=user) | Q(email=email) if email else Q(user=user))


def account_export(*, user, **kwargs) -> dict:
    subscriptions = list(_subscriptions(user))
    return {
        "newsletter_subscriptions": [
            {
                "email": s.email,
                "status": s.get_status_display(),
                "topics": s.topic_labels,
                "subscribed_at": s.created_at,
                "confirmed_at": s.confirmed_at,
                "unsubscribed_at": s.unsubscribed_at,
            }
            for s in subscriptions
        ],
        "newsletters_received": [
            {
                "edition": d.edition.subject,
                "sent_at": d.sent_at,
                "opens": d.opens,
                "first_opened_at": d.first_opened_at,
                "clicks": d.clicks,
                "first_clicked_at": d.first_clicked_at,
            }
            for d in Delivery.objects.filter(
                email__in=[s.email for s in subscriptions], sent_at__isnull=False
            ).select_related("edition")
        ],
    }


def account_delete(*, user, **kwargs) -> None:
    """The subscription goes; delivery records keep their counts but lose the address.

    A suppression (bounce, complaint) stays: it is what stops mail to the address for good.
    """
    subscriptions = _subscriptions(user)
    emails = list(subscriptions.values_list("email", flat=True))
    subscriptions.delete()
    Delivery.objects.filter(email__in=emails).update(
        email=Concat(
            Value("deleted-"),
            Cast("pk", CharField()),
            Value("@deleted.invalid"),
            output_field=CharField(),
        )
    )
