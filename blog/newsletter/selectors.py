"""Reads about the newsletter: who an edition goes to, and how its delivery is going."""

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.utils import timezone

from .models import TOPIC_FIELDS, Delivery, Edition, Subscriber, Suppression


def is_suppressed(email: str) -> bool:
    return Suppression.objects.filter(email=email.strip().lower()).exists()


def _active_member_emails():
    # The same members as membership_is_active decides: seat holders of organisations too.
    from members.selectors import active_member_users

    return active_member_users().values(address=Lower("email"))


def audience_subscribers(edition: Edition) -> QuerySet[Subscriber]:
    """Confirmed subscribers the edition is addressed to, each marked `suppressed` or not.

    Ordered by id so delivery can walk it in chunks without ever loading it whole.
    """
    subscribers = Subscriber.objects.filter(status=Subscriber.Status.SUBSCRIBED)
    if edition.topic:
        subscribers = subscribers.filter(**{TOPIC_FIELDS[edition.topic]: True})
    if edition.audience == Edition.Audience.MEMBERS:
        subscribers = subscribers.filter(email__in=_active_member_emails())
    elif edition.audience == Edition.Audience.SECTOR:
        from members.models import Profile

        in_sector = Profile.objects.filter(sector=edition.sector).values(
            address=Lower("user__email")
        )
        subscribers = subscribers.filter(email__in=_active_member_emails()).filter(
            email__in=in_sector
        )
    elif edition.audience == Edition.Audience.CLUSTER:
        from members.selectors import cluster_people

        if edition.cluster_id is None:
            return subscribers.none().annotate(suppressed=Value(False))
        people = cluster_people(edition.cluster).values(address=Lower("email"))
        subscribers = subscribers.filter(email__in=people)
    return subscribers.annotate(
        suppressed=Exists(Suppression.objects.filter(email=OuterRef("email")))
    ).order_by("pk")


def audience_size(edition: Edition) -> int:
    return audience_subscribers(edition).count()


def subscription_for_user(user) -> Subscriber | None:
    """The newsletter subscription at this person's account address, if any."""
    if not user.is_authenticated or not user.email:
        return None
    return Subscriber.objects.filter(email=user.email.strip().lower()).first()


def delivery_progress(edition: Edition, *, now=None) -> dict:
    """Sent / failed / suppressed / remaining and the rate over the last minute, in one query."""
    now = now or timezone.now()
    minute_ago = now - timedelta(seconds=60)
    totals = Delivery.objects.filter(edition=edition).aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
        failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
        suppressed=Count("pk", filter=Q(status=Delivery.Status.SUPPRESSED)),
        queued=Count("pk", filter=Q(status=Delivery.Status.QUEUED)),
        retrying=Count(
            "pk", filter=Q(status=Delivery.Status.QUEUED, next_attempt_at__isnull=False)
        ),
        last_minute=Count("pk", filter=Q(status=Delivery.Status.SENT, sent_at__gte=minute_ago)),
    )
    elapsed = None
    if edition.started_at:
        end = edition.finished_at or now
        elapsed = max((end - edition.started_at).total_seconds(), 0.001)
    return {
        "status": edition.status,
        "status_label": edition.get_status_display(),
        "prepared": edition.prepared_at is not None,
        "total": totals["total"],
        "sent": totals["sent"],
        "failed": totals["failed"],
        "suppressed": totals["suppressed"],
        "remaining": totals["queued"],
        "retrying": totals["retrying"],
        "rate_per_second": round(totals["last_minute"] / 60, 1),
        "average_per_second": round(totals["sent"] / elapsed, 1) if elapsed else None,
        "started_at": edition.started_at.isoformat() if edition.started_at else None,
        "finished_at": edition.finished_at.isoformat() if edition.finished_at else None,
    }


def failed_deliveries(edition: Edition, *, limit: int = 50) -> QuerySet[Delivery]:
    return Delivery.objects.filter(edition=edition, status=Delivery.Status.FAILED).order_by(
        "email"
    )[:limit]


def sent_editions() -> QuerySet[Edition]:
    return Edition.objects.filter(status=Edition.Status.SENT).order_by("-finished_at")
