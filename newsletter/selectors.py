"""Reads about the newsletter: who an edition goes to, and how its delivery is going."""

from datetime import timedelta

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from members.models import Cluster, Profile
from members.selectors import active_member_users, cluster_people, membership_is_active

from .models import TOPIC_FIELDS, Delivery, Edition, EditionLink, Subscriber, Suppression


def is_suppressed(email: str) -> bool:
    return Suppression.objects.filter(email=email.strip().lower()).exists()


def _active_member_emails():
    # The same members as membership_is_active decides: seat holders of organisations too.
    return active_member_users().values(address=Lower("email"))


def engaged_since():
    return timezone.now() - timedelta(days=settings.NEWSLETTER_ENGAGED_DAYS)


def _engaged(subscribers: QuerySet[Subscriber]) -> QuerySet[Subscriber]:
    """List hygiene: those who opened or clicked a copy lately, and those we cannot know about
    (they opted out of counting) or who have not had the chance (joined lately)."""
    since = engaged_since()
    engaged = Delivery.objects.filter(subscriber=OuterRef("pk"), last_engaged_at__gte=since)
    return subscribers.filter(
        Q(Exists(engaged)) | Q(allows_tracking=False) | Q(confirmed_at__gte=since)
    )


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
        in_sector = Profile.objects.filter(sector=edition.sector).values(
            address=Lower("user__email")
        )
        subscribers = subscribers.filter(email__in=_active_member_emails()).filter(
            email__in=in_sector
        )
    elif edition.audience == Edition.Audience.CLUSTER:
        if edition.cluster_id is None:
            return subscribers.none().annotate(suppressed=Value(False))
        people = cluster_people(edition.cluster).values(address=Lower("email"))
        subscribers = subscribers.filter(email__in=people)
    elif edition.audience == Edition.Audience.ENGAGED:
        subscribers = _engaged(subscribers)
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


def edition_engagement(edition: Edition) -> dict:
    """Opens and clicks of the edition's sent copies, in one query. Rates are of all copies
    sent: a lower bound, since some people block images or opted out of counting."""
    figures = Delivery.objects.filter(edition=edition, status=Delivery.Status.SENT).aggregate(
        sent=Count("pk"),
        opened=Count("pk", filter=Q(first_opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(first_clicked_at__isnull=False)),
        opens=Sum("opens", default=0),
        clicks=Sum("clicks", default=0),
    )
    sent = figures["sent"]
    figures["open_rate"] = round(100 * figures["opened"] / sent, 1) if sent else None
    figures["click_rate"] = round(100 * figures["clicked"] / sent, 1) if sent else None
    return figures


def edition_link_figures(edition: Edition) -> QuerySet[EditionLink]:
    """Each link of the edition with `people` (copies that followed it) and `total` clicks,
    most followed first, in one query."""
    return (
        EditionLink.objects.filter(edition=edition)
        .annotate(people=Count("clicks"), total=Sum("clicks__clicks", default=0))
        .order_by("-people", "-total", "pk")
    )


def failed_deliveries(edition: Edition, *, limit: int = 50) -> QuerySet[Delivery]:
    return Delivery.objects.filter(edition=edition, status=Delivery.Status.FAILED).order_by(
        "email"
    )[:limit]


def sent_editions() -> QuerySet[Edition]:
    return Edition.objects.filter(status=Edition.Status.SENT).order_by(
        F("finished_at").desc(nulls_last=True), "-pk"
    )


def public_editions() -> QuerySet[Edition]:
    """Sent to every subscriber with no topic filter: the archive and feed for everyone."""
    return sent_editions().filter(audience=Edition.Audience.ALL, topic="")


# --- Who may read which edition's web version ----------------------------------------------
def _entitled(user) -> Q:
    """Sent editions whose audience takes in this signed-in person as they are today.

    The same rules as `audience_subscribers`, asked of one person: members-only editions for
    active members, a sector's for active members of that sector, a cluster's for its
    people, a topic's for those subscribed to that topic.
    """
    audiences = Q(audience=Edition.Audience.ALL)
    if membership_is_active(user):
        audiences |= Q(audience=Edition.Audience.MEMBERS)
        sector = getattr(getattr(user, "profile", None), "sector", "")
        if sector:
            audiences |= Q(audience=Edition.Audience.SECTOR, sector=sector)
    clusters = [
        cluster.pk
        for cluster in Cluster.objects.filter(memberships__user=user)
        if cluster_people(cluster).filter(pk=user.pk).exists()
    ]
    if clusters:
        audiences |= Q(audience=Edition.Audience.CLUSTER, cluster_id__in=clusters)
    subscription = subscription_for_user(user)
    topics = (
        subscription.topics
        if subscription is not None and subscription.status == Subscriber.Status.SUBSCRIBED
        else []
    )
    return audiences & (Q(topic="") | Q(topic__in=topics))


def editions_readable_by(user) -> QuerySet[Edition]:
    """Sent editions this person may read on the web, newest first: the archive, and the one
    rule the web version checks. Public editions for everyone; a restricted one only for the
    people it was for (those it was delivered to, and those its audience takes in today);
    staff who may view editions read every sent edition."""
    editions = sent_editions()
    if user.has_perm("newsletter.view_edition"):
        return editions
    readable = Q(audience=Edition.Audience.ALL, topic="")
    if user.is_authenticated:
        readable |= _entitled(user)
        if user.email:
            readable |= Q(
                pk__in=Delivery.objects.filter(
                    email=user.email.strip().lower(), status=Delivery.Status.SENT
                ).values("edition_id")
            )
    return editions.filter(readable)


def edition_readable_by(edition: Edition, user) -> bool:
    """May this person (not as staff: the view checks that) read the edition's web version
    at its plain address?"""
    if edition.status != Edition.Status.SENT:
        return False
    if edition.is_public:
        return True
    return editions_readable_by(user).filter(pk=edition.pk).exists()


def delivered_to(edition: Edition, subscriber_id: int) -> bool:
    """Did this subscriber receive the edition? (Checked for the link in their copy.)"""
    return Delivery.objects.filter(
        edition=edition, subscriber_id=subscriber_id, status=Delivery.Status.SENT
    ).exists()


# --- Figures per edition (the staff dashboard) -------------------------------------------
def _edition_unsubscribed_from(prefix: str = "") -> Coalesce:
    """The edition an unsubscribe counts against: the one whose link they used, or (for an
    unsubscribe made another way, or before that was kept) the last one delivered to them
    before it. `prefix` reaches the subscriber from the rows annotated ("subscriber__")."""
    last_delivered = (
        Delivery.objects.filter(
            subscriber=OuterRef(f"{prefix}pk" if prefix else "pk"),
            status=Delivery.Status.SENT,
            sent_at__lte=OuterRef(f"{prefix}unsubscribed_at"),
        )
        .order_by("-sent_at", "-pk")
        .values("edition_id")[:1]
    )
    return Coalesce(
        F(f"{prefix}unsubscribed_from_edition_id"),
        Subquery(last_delivered),
        output_field=BigIntegerField(),
    )


RECIPIENT_LISTS = {
    "sent": "Sent to",
    "opened": "Opened by",
    "clicked": "Clicked by",
    "unsubscribed": "Unsubscribed after it",
}


def edition_recipients(edition: Edition, show: str) -> QuerySet[Delivery]:
    """The sent copies of an edition behind one of its figures (RECIPIENT_LISTS)."""
    rows = Delivery.objects.filter(edition=edition, status=Delivery.Status.SENT)
    if show == "opened":
        rows = rows.filter(first_opened_at__isnull=False)
    elif show == "clicked":
        rows = rows.filter(first_clicked_at__isnull=False)
    elif show == "unsubscribed":
        rows = (
            rows.filter(
                subscriber__status=Subscriber.Status.UNSUBSCRIBED,
                subscriber__unsubscribed_at__isnull=False,
            )
            .annotate(counted_against=_edition_unsubscribed_from("subscriber__"))
            .filter(counted_against=edition.pk)
        )
    return rows.select_related("subscriber").order_by("email", "pk")


def edition_figures(*, previous_start, start, end) -> dict:
    """Per edition sent (started) in [start, end): deliveries `sent`, `failed`, `suppressed`,
    `opened` and `clicked` (sent copies opened or clicked at least once, where counting is
    allowed), and `unsubscribed` (recipients whose unsubscribe came after this edition and
    before any later one reached them); totals of sends, opens, clicks and unsubscribes for
    the period and the one before, and subscribers now. Four queries.
    """
    sent = Q(deliveries__status=Delivery.Status.SENT)
    in_period = Edition.objects.filter(started_at__gte=start, started_at__lt=end)
    editions = list(
        in_period.annotate(
            sent=Count("deliveries", filter=sent),
            opened=Count("deliveries", filter=sent & Q(deliveries__first_opened_at__isnull=False)),
            clicked=Count(
                "deliveries", filter=sent & Q(deliveries__first_clicked_at__isnull=False)
            ),
            failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
            suppressed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SUPPRESSED)),
        ).order_by("-started_at", "-pk")
    )
    unsubscribed = dict(
        Subscriber.objects.filter(
            status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at__isnull=False
        )
        .annotate(edition_id=_edition_unsubscribed_from())
        .filter(edition_id__in=in_period.values("pk"))
        .values_list("edition_id")
        .annotate(total=Count("pk"))
        .order_by()
    )
    for edition in editions:
        edition.unsubscribed = unsubscribed.get(edition.pk, 0)
        edition.unsubscribe_rate = edition.unsubscribed / edition.sent if edition.sent else None
    now, before = (
        Q(sent_at__gte=start, sent_at__lt=end),
        Q(sent_at__gte=previous_start, sent_at__lt=start),
    )
    opened, clicked = Q(first_opened_at__isnull=False), Q(first_clicked_at__isnull=False)
    sends = Delivery.objects.filter(status=Delivery.Status.SENT).aggregate(
        current=Count("pk", filter=now),
        previous=Count("pk", filter=before),
        current_opened=Count("pk", filter=now & opened),
        previous_opened=Count("pk", filter=before & opened),
        current_clicked=Count("pk", filter=now & clicked),
        previous_clicked=Count("pk", filter=before & clicked),
    )
    subscribers = Subscriber.objects.aggregate(
        current=Count("pk", filter=Q(unsubscribed_at__gte=start, unsubscribed_at__lt=end)),
        previous=Count(
            "pk", filter=Q(unsubscribed_at__gte=previous_start, unsubscribed_at__lt=start)
        ),
        subscribed=Count("pk", filter=Q(status=Subscriber.Status.SUBSCRIBED)),
    )
    return {
        "editions": editions,
        **{
            period: {
                "sends": sends[period],
                "opened": sends[f"{period}_opened"],
                "clicked": sends[f"{period}_clicked"],
                "unsubscribes": subscribers[period],
            }
            for period in ("current", "previous")
        },
        "subscribed_now": subscribers["subscribed"],
    }
