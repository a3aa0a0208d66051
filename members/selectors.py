"""Reads other apps ask of `members`. Gating is decided here, in one place."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Lower, Trim, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from .models import (
    DIRECTORY_FIELDS,
    Cluster,
    ClusterUpdate,
    Membership,
    MembershipEvent,
    Payment,
    Plan,
    Profile,
    Seat,
    Sector,
    grace_period,
    membership_active_q,
)
from .signals import account_exporting

User = get_user_model()


def active_memberships() -> QuerySet[Membership]:
    return Membership.objects.active()


def membership_is_active(user) -> bool:
    """Is this user a member right now? The one question every members-only page asks.

    Yes when their own membership is active (paid, complimentary, cancelled but not yet at
    its period end, or past due within the grace period), or when they hold a named seat on
    an active organisation membership.
    """
    if not user.is_authenticated:
        return False
    membership = getattr(user, "membership", None)  # None when the user never joined
    if membership is not None and membership.is_active():
        return True
    return (
        bool(user.email)
        and Seat.objects.filter(
            email__iexact=user.email, membership__in=active_memberships()
        ).exists()
    )


def can_see_member_area(user) -> bool:
    """Members, and staff who look after the network, see the directory and member lists."""
    return user.is_authenticated and (user.is_staff or membership_is_active(user))


def active_member_users() -> QuerySet:
    """Everyone who is a member right now, as membership_is_active decides for one person:
    their own active membership, or a seat on an active organisation membership. Every
    list or count of members starts here, so seat holders count and lapsed people never do.
    """
    seat = Seat.objects.filter(membership__in=active_memberships(), email__iexact=OuterRef("email"))
    return User.objects.filter(is_active=True).filter(
        Q(membership__in=active_memberships()) | (~Q(email="") & Exists(seat))
    )


def _is_active_member(user: str) -> Q:
    """What active_member_users() decides, as conditions on the user reached by `user`
    (e.g. "user__"), with joins rather than nested subqueries: the directory, rendered on
    every visit, spent more of its time building and compiling those than running them."""
    now = timezone.now()
    seat = Seat.objects.filter(
        membership_active_q("membership__", now), email__iexact=OuterRef(f"{user}email")
    )
    return Q(**{f"{user}is_active": True}) & (
        membership_active_q(f"{user}membership__", now)
        | (~Q(**{f"{user}email": ""}) & Exists(seat))
    )


def member_count() -> int:
    return active_member_users().count()


def cities_represented_count() -> int:
    """Distinct places of active members: their City Vitals metro, else their city as typed."""
    return (
        Profile.objects.filter(user__in=active_member_users())
        .filter(Q(home_metro__isnull=False) | ~Q(home_city=""))
        .values(
            place=Coalesce(
                Cast("home_metro__name", TextField()),
                Lower(Trim("home_city")),
                output_field=TextField(),
            )
        )
        .distinct()
        .count()
    )


def offered_plans() -> QuerySet[Plan]:
    return Plan.objects.filter(is_active=True)


def seat_membership_for(user) -> Membership | None:
    """The organisation membership whose seat this user holds, if any."""
    seat = (
        Seat.objects.filter(email__iexact=user.email, membership__in=active_memberships())
        .select_related("membership__user", "membership__plan")
        .first()
    )
    return seat.membership if seat else None


# --- National Network ----------------------------------------------------------------------
def directory_profiles(
    *, query: str = "", sector: str = "", metro: str = "", city: str = ""
) -> QuerySet[Profile]:
    """Opted-in profiles of active members, for the directory (members only).

    Searching and filtering look only at what each person shows: someone who hides their
    organisation is never found by it.
    """
    profiles = (
        Profile.objects.filter(directory_opt_in=True)
        .filter(_is_active_member("user__"))
        .select_related("user", "home_metro")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    if query:
        for word in query.split()[:6]:
            profiles = profiles.filter(
                Q(user__first_name__icontains=word)
                | Q(user__last_name__icontains=word)
                | Q(show_organisation=True, organisation__icontains=word)
                | Q(show_title=True, title__icontains=word)
            )
    if sector:
        profiles = profiles.filter(show_sector=True, sector=sector)
    if metro:
        profiles = profiles.filter(show_city=True, home_metro__slug=metro)
    if city:
        profiles = profiles.filter(show_city=True, home_metro__isnull=True, home_city__iexact=city)
    return profiles


def directory_places() -> tuple[list[tuple[str, str]], list[str]]:
    """The directory filter's choices, in one query: (slug, name) of the metros listed
    members show they work in, by name, and the cities shown by those who gave no metro."""
    rows = (
        directory_profiles()
        .filter(show_city=True)
        .filter(Q(home_metro__isnull=False) | ~Q(home_city=""))
        .annotate(city=Case(When(home_metro__isnull=True, then="home_city"), default=Value("")))
        .order_by("home_metro__name", "city")
        .values_list("home_metro__slug", "home_metro__name", "city")
        .distinct()
    )
    metros, cities = {}, {}
    for slug, name, city in rows:
        if slug:
            metros[slug, name] = None
        else:
            cities[city] = None
    return list(metros), list(cities)


def directory_profile(username: str) -> Profile | None:
    return directory_profiles().filter(user__username=username).first()


# --- City Clusters -------------------------------------------------------------------------
def clusters_with_counts() -> QuerySet[Cluster]:
    """Clusters with `member_total` (active members only) and `lead_listed` (whether the
    lead is in the directory: only then may the lead be named, and only to members)."""
    return Cluster.objects.select_related("lead").annotate(
        member_total=Count(
            "memberships",
            filter=Q(memberships__user__in=active_member_users()),
            distinct=True,
        ),
        lead_listed=Exists(directory_profiles().filter(user=OuterRef("lead"))),
    )


def cluster_sector_mix(cluster: Cluster) -> list[dict]:
    """How many of the cluster's listed members come from each sector, largest first."""
    labels = dict(Sector.choices)
    rows = (
        directory_profiles()
        .filter(user__cluster_memberships__cluster=cluster, show_sector=True)
        .exclude(sector="")
        .order_by()
        .values("sector")
        .annotate(total=Count("pk"))
        .order_by("-total", "sector")
    )
    return [{"label": labels[row["sector"]], "total": row["total"]} for row in rows]


def cluster_roster(cluster: Cluster) -> QuerySet[Profile]:
    """The cluster's people other members may see: active members listed in the directory."""
    return directory_profiles().filter(user__cluster_memberships__cluster=cluster)


def cluster_updates(cluster: Cluster, *, limit: int = 5) -> QuerySet[ClusterUpdate]:
    """The lead's latest updates, newest first (members and staff see them)."""
    return ClusterUpdate.objects.filter(cluster=cluster).select_related("author")[:limit]


def cluster_people(cluster: Cluster) -> QuerySet:
    """Everyone who joined the cluster, for mail to the cluster; never shown on a page
    (cluster_roster is what pages show)."""
    return (
        User.objects.filter(cluster_memberships__cluster=cluster)
        .select_related("profile__home_metro")
        .order_by("last_name", "first_name", "username")
    )


# --- Staff report --------------------------------------------------------------------------
def members_report() -> dict:
    """Counts for the staff members report: by state, plan, sector, city, and per month."""
    joined = Membership.objects.filter(Q(started_at__isnull=False) | Q(ended_at__isnull=False))
    active = active_memberships()
    status_labels = dict(Membership.Status.choices)
    sector_labels = dict(Sector.choices)
    return {
        "active_total": active.count(),
        "by_status": [
            {"label": status_labels[row["status"]], "total": row["total"]}
            for row in joined.values("status").annotate(total=Count("pk")).order_by("status")
        ],
        "by_plan": [
            {"label": row["plan__name"] or "Complimentary / none", "total": row["total"]}
            for row in active.values("plan__name").annotate(total=Count("pk")).order_by("-total")
        ],
        "by_sector": [
            {
                "label": sector_labels.get(row["user__profile__sector"]) or "Not given",
                "total": row["total"],
            }
            for row in active.values("user__profile__sector")
            .annotate(total=Count("pk"))
            .order_by("-total")
        ],
        "by_place": [
            {"label": row["place"] or "Not given", "total": row["total"]}
            for row in active.values(
                place=Coalesce("user__profile__home_metro__name", "user__profile__home_city")
            )
            .annotate(total=Count("pk"))
            .order_by("-total", "place")[:25]
        ],
        "by_month": _joined_and_lapsed_by_month(),
        "cancellations": cancellations_by_reason(),
    }


def _cancellation_key(row: dict) -> str:
    """What a cancellation is counted under: the member's answer, else Stripe's reason."""
    return row["cancellation_feedback"] or row["cancellation_reason"]


CANCELLATION_LABELS = {
    **dict(MembershipEvent.CancellationFeedback.choices),
    # Without an answer from the member: said so, or why Stripe ended it.
    MembershipEvent.CancellationReason.REQUESTED: "Cancelled, no reason given",
    MembershipEvent.CancellationReason.PAYMENT_FAILED: "Payment failed",
    MembershipEvent.CancellationReason.PAYMENT_DISPUTED: "Payment disputed",
}


def cancellations_by_reason(*, start=None, end=None) -> list[dict]:
    """Stripe cancellations (in [start, end) when given) counted by the reason the member
    chose, most common first: [{"key", "label", "total"}]. One query."""
    rows = MembershipEvent.objects.exclude(cancellation_reason="")
    if start is not None:
        rows = rows.filter(created_at__gte=start, created_at__lt=end)
    totals: dict[str, int] = {}
    for row in (
        rows.values("cancellation_reason", "cancellation_feedback")
        .annotate(total=Count("pk"))
        .order_by()
    ):
        key = _cancellation_key(row)
        totals[key] = totals.get(key, 0) + row["total"]
    return sorted(
        (
            {"key": key, "label": CANCELLATION_LABELS.get(key, key), "total": total}
            for key, total in totals.items()
        ),
        key=lambda item: (-item["total"], item["label"]),
    )


def cancellations(why: str = "") -> QuerySet[MembershipEvent]:
    """The audit rows of Stripe cancellations, those counted under `why` when given."""
    rows = MembershipEvent.objects.exclude(cancellation_reason="")
    if why in MembershipEvent.CancellationFeedback.values:
        rows = rows.filter(cancellation_feedback=why)
    elif why in MembershipEvent.CancellationReason.values:
        rows = rows.filter(cancellation_reason=why, cancellation_feedback="")
    return rows


def _joined_and_lapsed_by_month() -> list[dict]:
    new = dict(
        Membership.objects.filter(started_at__isnull=False)
        .annotate(month=TruncMonth("started_at"))
        .values_list("month")
        .annotate(total=Count("pk"))
    )
    lapsed = dict(
        Membership.objects.filter(status=Membership.Status.EXPIRED, ended_at__isnull=False)
        .annotate(month=TruncMonth("ended_at"))
        .values_list("month")
        .annotate(total=Count("pk"))
    )
    months = sorted(set(new) | set(lapsed), reverse=True)[:24]
    return [{"month": m, "new": new.get(m, 0), "lapsed": lapsed.get(m, 0)} for m in months]


def recent_membership_changes(*, limit: int = 50) -> QuerySet[MembershipEvent]:
    """The audit history, newest first: who or what changed which membership, and why."""
    return MembershipEvent.objects.select_related("membership__user", "actor")[:limit]


def members_report_rows() -> QuerySet[Membership]:
    """One row per person who ever joined, for the CSV export."""
    return (
        Membership.objects.filter(Q(started_at__isnull=False) | Q(ended_at__isnull=False))
        .select_related("user", "user__profile__home_metro", "plan")
        .order_by("user__last_name", "user__email")
    )


# --- The person's own data -----------------------------------------------------------------
def account_export(*, user) -> dict:
    """Everything the site holds about this person that they may see, JSON-ready.

    Other apps add their sections through the account_exporting signal.
    """
    profile = Profile.objects.filter(user=user).select_related("home_metro").first()
    membership = Membership.objects.filter(user=user).select_related("plan").first()
    data = {
        "account": {
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "email_addresses": [
                {"email": a.email, "verified": a.verified, "primary": a.primary}
                for a in EmailAddress.objects.filter(user=user)
            ],
        },
        "profile": _profile_export(profile),
        "membership": _membership_export(membership),
        "seat_held": [
            {"organisation_admin": s.membership.user.get_full_name(), "added_at": s.added_at}
            for s in Seat.objects.filter(
                email__iexact=user.email or "-", membership__in=active_memberships()
            ).select_related("membership__user")
        ],
        "clusters": [
            {"cluster": m.cluster.name, "joined_at": m.joined_at}
            for m in user.cluster_memberships.select_related("cluster")
        ],
        "clusters_led": list(user.led_clusters.values_list("name", flat=True)),
        # Messages to other members: who and when (the recipient's address is not theirs).
        "messages_sent": [
            {
                "to": m.recipient.get_full_name() if m.recipient else "",
                "subject": m.subject,
                "body": m.body,
                "sent_at": m.created_at,
            }
            for m in user.messages_sent.select_related("recipient")
        ],
    }
    for _receiver, sections in account_exporting.send(sender=User, user=user):
        data.update(sections or {})
    return data


def _profile_export(profile: Profile | None) -> dict | None:
    if profile is None:
        return None
    return {
        "title": profile.title,
        "organisation": profile.organisation,
        "sector": profile.get_sector_display() if profile.sector else "",
        "home_metro": profile.home_metro.name if profile.home_metro_id else "",
        "home_city": profile.home_city,
        "bio": profile.bio,
        "photo": profile.photo.url if profile.photo else "",
        "website_url": profile.website_url,
        "social_url": profile.social_url,
        "listed_in_directory": profile.directory_opt_in,
        "directory_shows": {field: profile.shows(field) for field in DIRECTORY_FIELDS},
        "updated_at": profile.updated_at,
    }


def _membership_export(membership: Membership | None) -> dict | None:
    if membership is None:
        return None
    return {
        "status": membership.get_status_display(),
        "active_now": membership.is_active(),
        "plan": str(membership.plan) if membership.plan else "",
        "complimentary": membership.is_complimentary,
        "current_period_end": membership.current_period_end,
        "started_at": membership.started_at,
        "ended_at": membership.ended_at,
        "seats_named": list(membership.seats.values_list("email", flat=True)),
        # The history of payments and changes: Stripe events, staff changes, expiry.
        "history": [
            {
                "at": event.created_at,
                "by": event.get_source_display(),
                "from": event.from_status,
                "to": event.to_status,
                "period_end": event.current_period_end,
                "note": event.note,
            }
            for event in membership.history.all()
        ],
    }


# --- Network dashboard (civicnet composes these) -------------------------------------------
# A membership's state at a past moment is its latest audit row at or before that moment:
# the history is the record, so figures for last quarter do not shift as members change.
LIVE_STATUSES = [Membership.Status.ACTIVE, Membership.Status.CANCELED]
TRUNC = {"day": TruncDate, "week": TruncWeek, "month": TruncMonth}
_EXPIRED = Membership.Status.EXPIRED
CHANGE_KINDS = {
    "new": Q(from_status="") & ~Q(to_status=_EXPIRED),
    "returned": Q(from_status=_EXPIRED) & ~Q(to_status=_EXPIRED),
    "lapsed": Q(to_status=_EXPIRED) & ~Q(from_status__in=["", _EXPIRED]),
}
_PAID = Payment.Kind.PAYMENT
PAYMENT_KINDS = {
    "payments": {"kind": _PAID},
    "first_payments": {"kind": _PAID, "first": True},
    "recurring_payments": {"kind": _PAID, "first": False},
    "refunds": {"kind": Payment.Kind.REFUND},
}


# The site's currency (plans are priced in US cents). Payments in other currencies are kept
# in theirs and figured apart: amounts in two currencies are never added together.
CURRENCY = "usd"
MONEY_KEYS = ["payments", "revenue", "first_revenue", "recurring_revenue", "refunds"]


def payment_currencies() -> list[str]:
    """Every currency a payment or refund was made in: the site's first, then the others."""
    seen = set(Payment.objects.values_list("currency", flat=True).distinct().order_by())
    return [CURRENCY, *sorted(seen - {CURRENCY})]


def payments(kind: str = "payments", currency: str = "") -> QuerySet[Payment]:
    """The payment records behind a revenue figure: all payments, first ones (new revenue),
    recurring ones, or refunds (KeyError for another kind), in one currency if given."""
    rows = Payment.objects.filter(**PAYMENT_KINDS[kind])
    return rows.filter(currency=currency.lower()) if currency else rows


def membership_changes(kind: str, *, why: str = "") -> QuerySet[MembershipEvent]:
    """The audit rows behind a dashboard figure: new, returned, lapsed, or cancelled (for a
    reason)."""
    if kind == "cancelled":
        return cancellations(why)
    return MembershipEvent.objects.filter(CHANGE_KINDS[kind])  # KeyError for another kind


def membership_flows(*, previous_start, start, end, bucket: str) -> dict:
    """New, returned and lapsed memberships; payments (count, cents: first and recurring;
    refunds; members who renewed) for the period [start, end) and the one before, with the
    period's series per day, week or month. Three queries, however much history there is.

    Amounts are what Stripe reported (Payment records). "current", "previous" and the series
    hold the site's CURRENCY; "money" holds every currency's own {"current", "previous"}.
    """
    in_range = Q(created_at__gte=previous_start, created_at__lt=end)
    current = ExpressionWrapper(Q(created_at__gte=start), BooleanField())
    changes = (
        MembershipEvent.objects.filter(in_range)
        .annotate(bucket=TRUNC[bucket]("created_at"), current=current)
        .values("bucket", "current")
        .annotate(**{kind: Count("pk", filter=q) for kind, q in CHANGE_KINDS.items()})
        .order_by("bucket")
    )
    paid, first = Q(kind=_PAID), Q(kind=_PAID, first=True)
    amount = "amount_cents"
    money = (
        Payment.objects.filter(in_range)
        .annotate(bucket=TRUNC[bucket]("created_at"), current=current)
        .values("bucket", "current", "currency")
        .annotate(
            payments=Count("pk", filter=paid),
            revenue=Coalesce(Sum(amount, filter=paid), 0),
            first_revenue=Coalesce(Sum(amount, filter=first), 0),
            recurring_revenue=Coalesce(Sum(amount, filter=Q(kind=_PAID, first=False)), 0),
            refunds=Coalesce(Sum(amount, filter=Q(kind=Payment.Kind.REFUND)), 0),
        )
        .order_by("bucket")
    )
    renewed = Payment.objects.filter(in_range, kind=_PAID, first=False).aggregate(
        current=Count("membership", filter=Q(created_at__gte=start), distinct=True),
        previous=Count("membership", filter=Q(created_at__lt=start), distinct=True),
    )
    keys = [*CHANGE_KINDS, *MONEY_KEYS]
    totals = {"current": dict.fromkeys(keys, 0), "previous": dict.fromkeys(keys, 0)}
    by_currency: dict = {}
    series: dict = {}
    for row in money:
        period = "current" if row["current"] else "previous"
        figures = by_currency.setdefault(
            row["currency"], {p: dict.fromkeys(MONEY_KEYS, 0) for p in ("current", "previous")}
        )[period]
        for key in MONEY_KEYS:
            figures[key] += row[key]
    for row in [*changes, *(row for row in money if row["currency"] == CURRENCY)]:
        figures = {key: value for key, value in row.items() if key in keys}
        period = "current" if row["current"] else "previous"
        for key, value in figures.items():
            totals[period][key] += value
        if row["current"]:
            point = series.setdefault(_as_date(row["bucket"]), dict.fromkeys(keys, 0))
            for key, value in figures.items():
                point[key] += value
    totals["current"]["renewed"] = renewed["current"]
    totals["previous"]["renewed"] = renewed["previous"]
    return {**totals, "money": by_currency, "series": sorted(series.items())}


def _as_date(value):
    return value.date() if hasattr(value, "date") else value


def _state_at(moment) -> dict:
    latest = MembershipEvent.objects.filter(
        membership=OuterRef("pk"), created_at__lte=moment
    ).order_by("-created_at", "-pk")
    return {
        "status": Subquery(latest.values("to_status")[:1]),
        "period_end": Subquery(latest.values("current_period_end")[:1]),
        "changed_at": Subquery(latest.values("created_at")[:1]),
    }


def _active_at(moment, prefix: str) -> Q:
    """Active as Membership.is_active decides, from the state annotated under `prefix`."""
    status, period_end = f"{prefix}_status", f"{prefix}_period_end"
    return Q(**{f"{status}__in": LIVE_STATUSES}) & (
        Q(**{f"{period_end}__isnull": True}) | Q(**{f"{period_end}__gt": moment})
    ) | Q(
        **{
            status: Membership.Status.PAST_DUE,
            f"{prefix}_changed_at__gt": moment - grace_period(),
        }
    )


def _monthly_share():
    """A payment's amount over its months. On PostgreSQL in exact decimals (numeric), as
    memberships_active_at's SQL has it: sums of floats came out a cent apart when the two added
    the same shares in another order and the total fell on a half cent. SQLite has no exact
    decimals (its NUMERIC of a whole number divides as an integer): floats there."""
    if connection.vendor == "postgresql":
        exact = DecimalField(max_digits=20, decimal_places=0)
        return ExpressionWrapper(Cast("amount_cents", exact) / F("months"), DecimalField())
    return ExpressionWrapper(Cast("amount_cents", FloatField()) / F("months"), FloatField())


def _last_paid(moment) -> dict:
    """What a membership paid per month at `moment`, and in which currency: its latest payment
    before then over the months it paid for (a yearly payment over twelve). Nothing for one
    that never paid."""
    latest = Payment.objects.filter(
        membership=OuterRef("pk"), kind=_PAID, created_at__lte=moment
    ).order_by("-created_at", "-pk")
    per_month = _monthly_share()
    return {
        "monthly": Coalesce(
            Subquery(latest.annotate(per_month=per_month).values("per_month")[:1]),
            Value(0),
            output_field=per_month.output_field,
        ),
        "currency": Subquery(latest.values("currency")[:1]),
    }


def memberships_active_at(moments: dict, currencies=(CURRENCY,)) -> dict:
    """{name: {"active": n, "mrr_cents": m, "mrr_by_currency": {currency: m}}} for each named
    moment, in one query; "mrr_cents" is in the site's CURRENCY.

    MRR counts active memberships at what they last paid per month (a yearly payment over
    twelve), in the currency they paid in; complimentary ones count as members, not revenue.

    The state (_state_at, _active_at) and last payment (_last_paid) of each membership at
    each moment, as the ORM's subqueries would read them, but looked up once per membership
    and moment (LATERAL): the ORM repeats its subqueries in every figure's filter, seconds
    with three moments and a few currencies (tests/civicnet/test_dashboard_active_at.py holds
    the two to the same figures).
    """
    if connection.vendor != "postgresql":
        return memberships_active_at_orm(moments, currencies)
    if not moments:
        return {}
    names = list(moments)
    values = ", ".join(["(%s, %s::timestamptz, %s::timestamptz)"] * len(names))
    params = [
        value for name in names for value in (name, moments[name], moments[name] - grace_period())
    ]
    live = ", ".join(["%s"] * len(LIVE_STATUSES))
    sql = f"""
        WITH moment (name, at, grace_from) AS (VALUES {values})
        SELECT moment.name, paid.currency, COUNT(*), COALESCE(SUM(paid.monthly), 0)
        FROM moment
        CROSS JOIN {Membership._meta.db_table} membership
        JOIN LATERAL (
            SELECT event.to_status, event.current_period_end, event.created_at
            FROM {MembershipEvent._meta.db_table} event
            WHERE event.membership_id = membership.id AND event.created_at <= moment.at
            ORDER BY event.created_at DESC, event.id DESC
            LIMIT 1
        ) state ON TRUE
        LEFT JOIN LATERAL (
            SELECT payment.amount_cents::numeric / payment.months AS monthly, payment.currency
            FROM {Payment._meta.db_table} payment
            WHERE payment.membership_id = membership.id AND payment.kind = %s
                AND payment.created_at <= moment.at
            ORDER BY payment.created_at DESC, payment.id DESC
            LIMIT 1
        ) paid ON TRUE
        WHERE (
            state.to_status IN ({live})
            AND (state.current_period_end IS NULL OR state.current_period_end > moment.at)
        ) OR (state.to_status = %s AND state.created_at > moment.grace_from)
        GROUP BY moment.name, paid.currency
    """  # noqa: S608 (table names and placeholders only)
    params += [_PAID, *LIVE_STATUSES, Membership.Status.PAST_DUE]
    result = {
        name: {"active": 0, "mrr_by_currency": dict.fromkeys(currencies, 0)} for name in names
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for name, currency, active, mrr in cursor.fetchall():
            result[name]["active"] += active
            if currency in result[name]["mrr_by_currency"]:
                result[name]["mrr_by_currency"][currency] += mrr
    for figures in result.values():
        mrr = {currency: round(cents) for currency, cents in figures["mrr_by_currency"].items()}
        figures.update(mrr_cents=mrr.get(CURRENCY, 0), mrr_by_currency=mrr)
    return result


def memberships_active_at_orm(moments: dict, currencies=(CURRENCY,)) -> dict:
    """memberships_active_at() in the ORM alone: where there is no LATERAL (SQLite), and the
    reference its query is tested against. Slow on PostgreSQL (the subqueries run again in each
    figure's filter)."""
    annotations, aggregates = {}, {}
    share_field = _monthly_share().output_field  # decimal on PostgreSQL, float on SQLite
    for name, moment in moments.items():
        annotations.update({f"{name}_{key}": value for key, value in _state_at(moment).items()})
        annotations.update({f"{name}_{key}": value for key, value in _last_paid(moment).items()})
        active = _active_at(moment, name)
        aggregates[f"{name}_active"] = Count("pk", filter=active)
        for number, currency in enumerate(currencies):
            aggregates[f"{name}_mrr_{number}"] = Coalesce(
                Sum(f"{name}_monthly", filter=active & Q(**{f"{name}_currency": currency})),
                Value(0),
                output_field=share_field,
            )
    row = Membership.objects.annotate(**annotations).aggregate(**aggregates)
    result = {}
    for name in moments:
        mrr = {c: round(row[f"{name}_mrr_{n}"]) for n, c in enumerate(currencies)}
        result[name] = {
            "active": row[f"{name}_active"],
            "mrr_cents": mrr.get(CURRENCY, 0),
            "mrr_by_currency": mrr,
        }
    return result


def active_by_plan_and_sector(moment) -> dict:
    """Memberships active at `moment`, by plan and by the holder's sector, in one query."""
    sector_labels = dict(Sector.choices)
    rows = (
        Membership.objects.annotate(**{f"at_{k}": v for k, v in _state_at(moment).items()})
        .filter(_active_at(moment, "at"))
        .values("plan_id", "plan__name", "plan__interval", "user__profile__sector")
        .annotate(total=Count("pk"))
        .order_by()
    )
    by_plan: dict = {}
    by_sector: dict = {}
    for row in rows:
        plan = (
            f"{row['plan__name']} ({row['plan__interval']}ly)"
            if row["plan_id"]
            else "Complimentary / none"
        )
        sector = row["user__profile__sector"] or ""
        by_plan.setdefault((row["plan_id"], plan), 0)
        by_plan[(row["plan_id"], plan)] += row["total"]
        by_sector.setdefault(sector, 0)
        by_sector[sector] += row["total"]
    return {
        "by_plan": sorted(
            ({"plan_id": pk, "label": label, "total": n} for (pk, label), n in by_plan.items()),
            key=lambda item: (-item["total"], item["label"]),
        ),
        "by_sector": sorted(
            (
                {"sector": key, "label": sector_labels.get(key) or "Not given", "total": n}
                for key, n in by_sector.items()
            ),
            key=lambda item: (-item["total"], item["label"]),
        ),
    }


def memberships_active_at_list(moment, *, last_paid_in: str = "") -> QuerySet[Membership]:
    """The memberships active at `moment` (the list behind the dashboard's active figures);
    only those whose latest payment by then was in `last_paid_in`, if given (behind MRR in a
    currency)."""
    rows = (
        Membership.objects.annotate(**{f"at_{k}": v for k, v in _state_at(moment).items()})
        .filter(_active_at(moment, "at"))
        .select_related("user", "plan", "user__profile")
    )
    if last_paid_in:
        rows = rows.annotate(at_currency=_last_paid(moment)["currency"]).filter(
            at_currency=last_paid_in.lower()
        )
    return rows


def person_history(user) -> QuerySet[MembershipEvent]:
    """One person's membership history, newest first, for their admin page."""
    return MembershipEvent.objects.filter(membership__user=user).select_related("actor")


def person_payments(user) -> QuerySet[Payment]:
    """One person's payments and refunds, newest first, for their admin page."""
    return Payment.objects.filter(membership__user=user)
