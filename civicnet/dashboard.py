"""The network dashboard's figures: each app's own selectors, for a chosen period and the one
before it. The view (civicnet/dashboard_views.py) draws them; the CSV repeats them.

Every figure runs in a fixed number of queries, whatever the history holds
(tests/civicnet/test_dashboard.py pins the whole page). The figures are cached, keyed on a
number the database moves on whenever a table they come from is written (data_version()):
one query and one cache read instead of all of them.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from core.table_versions import read_version
from events.selectors import attendance_figures
from library.selectors import resource_usage
from members.models import money_display, money_units
from members.selectors import (
    CURRENCY,
    active_by_plan_and_sector,
    cancellations_by_reason,
    membership_flows,
    memberships_active_at,
    payment_currencies,
)
from newsletter.selectors import RECIPIENT_LISTS, edition_figures

from .selectors import stale_pages

PERMISSION = "civicnet.view_network_dashboard"
PERIOD_DAYS = [(30, "Last 30 days"), (90, "Last 90 days"), (365, "Last 365 days")]
EARLIEST = date(2000, 1, 1)
LONGEST_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """[start, end): whole local days. The period before has the same length, just before."""

    start: datetime
    end: datetime
    days: int | None = None  # one of PERIOD_DAYS, or None for chosen dates

    @classmethod
    def last(cls, days: int, *, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        return cls.between(today - timedelta(days=days - 1), today, days=days)

    @classmethod
    def between(cls, first: date, last: date, *, days: int | None = None) -> "Period":
        """From the first day to the last day, both included."""
        return cls(_midnight(first), _midnight(last + timedelta(days=1)), days)

    @property
    def previous_start(self) -> datetime:
        return self.start - (self.end - self.start)

    @property
    def first_day(self) -> date:
        return timezone.localtime(self.start).date()

    @property
    def last_day(self) -> date:
        return timezone.localtime(self.end).date() - timedelta(days=1)

    @property
    def length_days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def bucket(self) -> str:
        """Chart steps: days for a month, weeks for a quarter, months beyond."""
        if self.length_days <= 31:
            return "day"
        return "week" if self.length_days <= 120 else "month"

    @property
    def label(self) -> str:
        return f"{self.first_day:%-d %b %Y} to {self.last_day:%-d %b %Y}"

    @property
    def previous_label(self) -> str:
        first = timezone.localtime(self.previous_start).date()
        return f"{first:%-d %b %Y} to {self.first_day - timedelta(days=1):%-d %b %Y}"

    @property
    def measured_until(self) -> datetime:
        """Where "at the end" is read: the period's end, or now for a period not over."""
        return min(self.end, timezone.now())

    def query(self, **extra) -> str:
        """The period as a query string, for links that keep it."""
        params = (
            {"days": self.days}
            if self.days
            else {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}
        )
        return urlencode({**params, **extra})


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class PeriodForm(forms.Form):
    """?days=30|90|365, or ?from=YYYY-MM-DD&to=YYYY-MM-DD (both days included)."""

    days = forms.TypedChoiceField(
        choices=[("", "Chosen dates"), *PERIOD_DAYS], coerce=int, required=False, empty_value=None
    )
    from_ = forms.DateField(required=False, label="From")
    to = forms.DateField(required=False, label="To")

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        # "from" is a Python keyword: the field is named from_ and read as "from".
        self.fields["from"] = self.fields.pop("from_")

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("from"), cleaned.get("to")
        if self.errors or (first is None and last is None):
            return cleaned
        if first is None or last is None:
            raise forms.ValidationError("Give both dates, or choose a period.")
        if first > last:
            raise forms.ValidationError("The first day comes after the last.")
        if first < EARLIEST or last > timezone.localdate() + timedelta(days=366):
            raise forms.ValidationError("Choose dates between 2000 and next year.")
        if (last - first).days >= LONGEST_DAYS:
            raise forms.ValidationError("Choose at most three years.")
        return cleaned

    def period(self) -> Period:
        """The chosen period (the form must be valid): dates win over days; 30 days by default."""
        first, last = self.cleaned_data.get("from"), self.cleaned_data.get("to")
        if first and last:
            return Period.between(first, last)
        return Period.last(self.cleaned_data.get("days") or 30)


@dataclass
class Figure:
    """One headline number of the dashboard, for this period and the one before."""

    section: str
    label: str
    current: float | None
    previous: float | None = None
    kind: str = "count"  # count, cents (in the currency's smallest unit) or rate
    url: str = ""
    note: str = ""
    compare: bool = True
    currency: str = CURRENCY  # of a cents figure

    @property
    def change(self) -> float | None:
        if not self.compare or self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def change_percent(self) -> float | None:
        if self.change is None or not self.previous or self.kind == "rate":
            return None
        return self.change / self.previous * 100

    def display(self, value) -> str:
        return display(value, self.kind, self.currency)

    @property
    def current_display(self) -> str:
        return self.display(self.current)

    @property
    def previous_display(self) -> str:
        return self.display(self.previous) if self.compare else ""

    @property
    def change_display(self) -> str:
        change = self.change
        if change is None:
            return ""
        if self.kind == "rate":
            return f"{change * 100:+.1f} pts"
        text = f"{'+' if change >= 0 else '−'}{self.display(abs(change))}"
        percent = self.change_percent
        return f"{text} ({percent:+.0f}%)" if percent is not None else text


def display(value, kind: str, currency: str = CURRENCY) -> str:
    if value is None:
        return "—"
    if kind == "cents":
        return money_display(value, currency, decimals=0)
    if kind == "rate":
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}"


def _rate(part, whole):
    return part / whole if whole else None


DATA_VERSION = "civicnet_dashboard_data"  # core.table_versions, civicnet migrations 0005-0007
CACHE_SECONDS = 120
BUSY_SECONDS = 30  # at most this long is one request trusted to work figures out


def data_version() -> int | None:
    """A number that moves on whenever a table the dashboard reads is written (a trigger on
    each, civicnet migrations 0005 to 0007), or None where nothing may be cached (SQLite, or a
    write not yet committed: core.table_versions.read_version)."""
    return read_version(DATA_VERSION)


def request_data_version(request) -> int | None:
    """data_version(), read once a request: the page, its sidebar and its panels are kept under
    the same number."""
    if not hasattr(request, "_network_dashboard_version"):
        request._network_dashboard_version = data_version()
    return request._network_dashboard_version


def cache_key(name: str, period: Period, version: int, *extra) -> str:
    """A key for figures of the period at this data version, in the time zone and language
    they are shown in."""
    parts = [
        version,
        period.start.isoformat(),
        period.end.isoformat(),
        timezone.get_current_timezone_name(),
        translation.get_language(),
        *extra,
    ]
    return f"network-dashboard:{name}:" + ":".join(str(part) for part in parts)


def cached(name: str, period: Period, compute, *extra, version: int | None = None):
    """compute()'s value for the period, cached under the data version (read when not given).

    Some figures move with the clock alone (active at the end, events that have ended, who is
    subscribed now): a value is worked out again once its minute is over. Meanwhile, for at
    most another minute, the other requests are shown the one before rather than all working
    it out at once."""
    if version is None:
        version = data_version()
    if version is None:
        return compute()
    key = cache_key(name, period, version, *extra)
    minute = timezone.now().replace(second=0, microsecond=0)
    entry = cache.get(key)
    if entry is not None:
        made, value = entry
        if made >= minute:
            return value
        busy = key + ":busy"
        if made >= minute - timedelta(minutes=1) and not cache.add(busy, 1, BUSY_SECONDS):
            return value  # another request is working it out
        value = compute()
        cache.set(key, (minute, value), CACHE_SECONDS)
        cache.delete(busy)
        return value
    value = compute()
    cache.set(key, (minute, value), CACHE_SECONDS)
    return value


@dataclass
class Links:
    """Where each number leads: only to lists the viewer may open."""

    # Every permission a link depends on: two people who hold the same of these see the same
    # page (the cached page is keyed on them).
    PERMISSIONS = (
        "members.view_members_report",
        "events.view_attendees",
        "library.view_download_report",
        "civicnet.view_feedback_report",
        "newsletter.send_edition",
        "newsletter.change_edition",
        "newsletter.view_edition",
        "newsletter.view_subscriber",
    )

    user: object
    period: Period
    _perms: dict = field(default_factory=dict)

    def held(self) -> str:
        """The permissions among PERMISSIONS the viewer holds, as a key."""
        return "".join("1" if self.may(permission) else "0" for permission in self.PERMISSIONS)

    def may(self, permission: str) -> bool:
        if permission not in self.PERMISSIONS:
            raise ValueError(f"{permission} is not in Links.PERMISSIONS")
        if permission not in self._perms:
            self._perms[permission] = self.user.has_perm(permission)
        return self._perms[permission]

    def members(self, kind: str, **extra) -> str:
        extra = {key: value for key, value in extra.items() if value}
        url = reverse("network_dashboard_members")
        return f"{url}?{self.period.query(kind=kind, **extra)}"

    def members_report(self) -> str:
        return reverse("members_admin:report") if self.may("members.view_members_report") else ""

    def attendees(self, event) -> str:
        if not self.may("events.view_attendees"):
            return ""
        return reverse("events:attendees", args=[event.slug])

    def downloads(self) -> str:
        return (
            reverse("library_downloads_report") if self.may("library.view_download_report") else ""
        )

    def feedback(self) -> str:
        return reverse("page_feedback_report") if self.may("civicnet.view_feedback_report") else ""

    def page(self, page) -> str:
        return reverse("wagtailadmin_pages:edit", args=[page.pk])

    def edition(self, edition) -> str:
        if self.may("newsletter.send_edition"):
            return reverse("newsletter_admin:delivery", args=[edition.pk])
        if self.may("newsletter.change_edition"):
            return reverse("wagtailsnippets_newsletter_edition:edit", args=[edition.pk])
        return ""

    def editions(self) -> str:
        if not self.may("newsletter.view_edition"):
            return ""
        return reverse("wagtailsnippets_newsletter_edition:list") + "?status=sent"

    def recipients(self, edition, show: str) -> str:
        """The addresses behind an edition's figure (for those who may see subscribers)."""
        if not self.may("newsletter.view_subscriber"):
            return ""
        url = reverse("network_dashboard_recipients")
        return f"{url}?{urlencode({'edition': edition.pk, 'show': show})}"

    def subscribers(self, status: str) -> str:
        if not self.may("newsletter.view_subscriber"):
            return ""
        return reverse("wagtailsnippets_newsletter_subscriber:list") + f"?status={status}"


def summary_data(period: Period) -> dict:
    """What the members and revenue figures are made of. Four queries."""
    currencies = payment_currencies()
    flows = membership_flows(
        previous_start=period.previous_start,
        start=period.start,
        end=period.end,
        bucket=period.bucket,
    )
    active = memberships_active_at(
        {"before": period.previous_start, "start": period.start, "end": period.measured_until},
        currencies,
    )
    return {"currencies": currencies, "flows": flows, "active": active}


def network_summary(
    period: Period, links: Links, data: dict | None = None, *, version: int | None = None
) -> dict:
    """The members and revenue figures (the admin home's panel shows these): from the cache,
    or summary_data()'s queries.

    Revenue is in the site's currency; a currency Stripe also charged in has figures of its
    own after those (money in two currencies is never added up)."""
    if data is None:
        data = cached("summary", period, lambda: summary_data(period), version=version)
    currencies, flows, active = data["currencies"], data["flows"], data["active"]
    now, before = flows["current"], flows["previous"]
    churn = _rate(now["lapsed"], active["start"]["active"])
    churn_before = _rate(before["lapsed"], active["before"]["active"])
    members = [
        Figure(
            "Members",
            "Active at the end",
            active["end"]["active"],
            active["start"]["active"],
            url=links.members("active"),
        ),
        Figure("Members", "New", now["new"], before["new"], url=links.members("new")),
        Figure(
            "Members",
            "Back after lapsing",
            now["returned"],
            before["returned"],
            url=links.members("returned"),
        ),
        Figure(
            "Members",
            "Renewed (paid again)",
            now["renewed"],
            before["renewed"],
            url=links.members("recurring_payments"),
        ),
        Figure("Members", "Lapsed", now["lapsed"], before["lapsed"], url=links.members("lapsed")),
        Figure(
            "Members",
            "Churn rate",
            churn,
            churn_before,
            kind="rate",
            url=links.members("lapsed"),
            note="Lapsed in the period over those active at its start.",
        ),
    ]
    revenue = []
    for currency in currencies:
        money = flows["money"].get(currency) or {
            "current": dict.fromkeys(flows["current"], 0),
            "previous": dict.fromkeys(flows["current"], 0),
        }
        mrr = {moment: active[moment]["mrr_by_currency"][currency] for moment in ("start", "end")}
        if currency != CURRENCY and not any(
            [*money["current"].values(), *money["previous"].values(), *mrr.values()]
        ):
            continue  # an old currency with nothing in these periods and no one paying in it
        revenue += _revenue(currency, money["current"], money["previous"], mrr, links)
    return {"members": members, "revenue": revenue, "series": flows["series"]}


def _revenue(currency: str, now: dict, before: dict, mrr: dict, links: Links) -> list[Figure]:
    """The revenue figures in one currency; labelled with it when it is not the site's."""
    of = "" if currency == CURRENCY else f" ({currency.upper()})"
    given = "" if currency == CURRENCY else currency

    def money(label, current, previous, url, note=""):
        return Figure(
            "Revenue", label + of, current, previous, "cents", url, note, currency=currency
        )

    payments = now["payments"]
    return [
        money(
            "Payments",
            now["revenue"],
            before["revenue"],
            links.members("payments", currency=given),
            f"{payments:,} paid invoice{'s' if payments != 1 else ''}.",
        ),
        money(
            "New (first payments)",
            now["first_revenue"],
            before["first_revenue"],
            links.members("first_payments", currency=given),
        ),
        money(
            "Recurring",
            now["recurring_revenue"],
            before["recurring_revenue"],
            links.members("recurring_payments", currency=given),
        ),
        money(
            "Refunds",
            now["refunds"],
            before["refunds"],
            links.members("refunds", currency=given),
            "Money given back (Stripe's refunds), not taken off the payments.",
        ),
        money(
            "MRR at the end",
            mrr["end"],
            mrr["start"],
            links.members("active", paying=1, currency=given),
            "Active memberships at what they last paid per month (a yearly payment over 12)"
            + (f", those who last paid in {currency.upper()}." if given else "."),
        ),
        money(
            "ARR at the end",
            mrr["end"] * 12,
            mrr["start"] * 12,
            links.members("active", paying=1, currency=given),
        ),
    ]


def dashboard_data(period: Period) -> dict:
    """What everything on the dashboard page is made of. A fixed number of queries (fifteen)."""
    window = {"previous_start": period.previous_start, "start": period.start, "end": period.end}
    return {
        "summary": summary_data(period),
        "mix": active_by_plan_and_sector(period.measured_until),
        "cancelled": cancellations_by_reason(start=period.start, end=period.end),
        "attendance": attendance_figures(**window),
        "library": resource_usage(**window),
        "newsletter": edition_figures(**window),
        "stale": list(stale_pages()),
    }


def network_dashboard(period: Period, links: Links, *, version: int | None = None) -> dict:
    """Everything on the dashboard page, with the links this viewer may follow: from the
    cache, or dashboard_data()'s queries."""
    data = cached("page", period, lambda: dashboard_data(period), version=version)
    summary = network_summary(period, links, data["summary"])
    mix, cancelled, attendance = data["mix"], data["cancelled"], data["attendance"]
    library, newsletter, stale = data["library"], data["newsletter"], data["stale"]
    for row in cancelled:
        row["url"] = links.members("cancelled", why=row["key"])
    for row in mix["by_plan"]:
        row["url"] = links.members("active", plan=row["plan_id"] or "none")
    for row in mix["by_sector"]:
        row["url"] = links.members("active", sector=row["sector"] or "none")
    for event in attendance["events"]:
        event.admin_url = links.attendees(event)
    for resource in library["resources"]:
        resource.admin_url = links.page(resource)
    for edition in newsletter["editions"]:
        edition.admin_url = links.edition(edition)
        edition.urls = {show: links.recipients(edition, show) for show in RECIPIENT_LISTS}
    for page in stale:
        page.admin_url = links.page(page)
    a_now, a_before = attendance["current"], attendance["previous"]
    activity = [
        # The tables below are the lists behind these (each event's row leads to its people).
        Figure("Events", "Events held", a_now["events"], a_before["events"], url="#events"),
        Figure(
            "Events", "Registrations", a_now["registered"], a_before["registered"], url="#events"
        ),
        Figure(
            "Events",
            "No-show rate",
            a_now["no_show_rate"],
            a_before["no_show_rate"],
            kind="rate",
            url="#events",
            note="Confirmed places not checked in, at events that have ended.",
        ),
        Figure(
            "Library",
            "Downloads",
            library["current"],
            library["previous"],
            url=links.downloads() or "#library",
            note="Counted by month: a month belongs to the period its first day is in.",
        ),
        Figure(
            "Newsletter",
            "Emails sent",
            newsletter["current"]["sends"],
            newsletter["previous"]["sends"],
            url=links.editions() or "#newsletter",
        ),
        Figure(
            "Newsletter",
            "Copies opened",
            newsletter["current"]["opened"],
            newsletter["previous"]["opened"],
            url=links.editions() or "#newsletter",
            note="Sent copies opened at least once, where counting opens is allowed.",
        ),
        Figure(
            "Newsletter",
            "Copies clicked",
            newsletter["current"]["clicked"],
            newsletter["previous"]["clicked"],
            url=links.editions() or "#newsletter",
        ),
        Figure(
            "Newsletter",
            "Unsubscribes",
            newsletter["current"]["unsubscribes"],
            newsletter["previous"]["unsubscribes"],
            url=links.subscribers("unsubscribed") or "#newsletter",
        ),
        Figure(
            "Newsletter",
            "Subscribed now",
            newsletter["subscribed_now"],
            compare=False,
            url=links.subscribers("subscribed") or "#newsletter",
        ),
    ]
    return {
        **summary,
        "activity": activity,
        "by_plan": mix["by_plan"],
        "by_sector": mix["by_sector"],
        "cancellations": cancelled,
        "events": attendance["events"],
        "resources": library["resources"],
        "editions": newsletter["editions"],
        "stale_pages": stale,
    }


CSV_HEADER = ["section", "item", "measure", "this period", "period before", "change"]


def csv_rows(period: Period, figures: dict):
    """The dashboard as tidy rows: one number per row, figures first, then each table."""
    yield ["Period", period.label, "compared with", period.previous_label, "", ""]
    for figure in [*figures["members"], *figures["revenue"], *figures["activity"]]:
        yield [
            figure.section,
            figure.currency.upper() if figure.kind == "cents" else "",
            figure.label,
            _csv_value(figure.current, figure),
            _csv_value(figure.previous, figure) if figure.compare else "",
            _csv_value(figure.change, figure) if figure.change is not None else "",
        ]
    for row in figures["by_plan"]:
        yield ["Active by plan", row["label"], "memberships", row["total"], "", ""]
    for row in figures["by_sector"]:
        yield ["Active by sector", row["label"], "memberships", row["total"], "", ""]
    for row in figures["cancellations"]:
        yield ["Cancellations", row["label"], "cancellations", row["total"], "", ""]
    for event in figures["events"]:
        item = f"{event.title} ({timezone.localtime(event.starts_at):%Y-%m-%d})"
        yield ["Event", item, "registered", event.registered, "", ""]
        yield ["Event", item, "checked in", event.checked_in, "", ""]
        if event.no_show_rate is not None:
            yield ["Event", item, "no-show rate %", round(event.no_show_rate * 100, 1), "", ""]
    for resource in figures["resources"]:
        yield [
            "Library",
            resource.title,
            "downloads",
            resource.downloads_in_period,
            resource.downloads_before,
            "",
        ]
        yield ["Library", resource.title, "helpful yes", resource.helpful_yes, "", ""]
        yield ["Library", resource.title, "helpful no", resource.helpful_no, "", ""]
    for edition in figures["editions"]:
        item = f"{edition.subject} ({timezone.localtime(edition.started_at):%Y-%m-%d})"
        yield ["Newsletter", item, "sent", edition.sent, "", ""]
        yield ["Newsletter", item, "opened", edition.opened, "", ""]
        yield ["Newsletter", item, "clicked", edition.clicked, "", ""]
        yield ["Newsletter", item, "failed", edition.failed, "", ""]
        yield ["Newsletter", item, "unsubscribed", edition.unsubscribed, "", ""]
    for page in figures["stale_pages"]:
        reviewed = (
            timezone.localdate(page.last_published_at).isoformat() if page.last_published_at else ""
        )
        yield ["Stale content", page.title, "not helpful", page.helpful_no, "", ""]
        yield ["Stale content", page.title, "last published", reviewed, "", ""]


def _csv_value(value, figure: Figure):
    kind = figure.kind
    if value is None:
        return ""
    if kind == "cents":
        return round(money_units(value, figure.currency), 2)
    if kind == "rate":
        return round(value * 100, 1)
    return value
