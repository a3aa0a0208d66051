"""The network dashboard in the Wagtail admin: Reports → Network dashboard, its CSV, the lists
behind its membership figures, and the admin home's panel."""

import hashlib
import re
from urllib.parse import urlencode

from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.generic import TemplateView
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.context_processors import rendered_csrf_tokens
from core.csv import csv_response
from core.page_cache import kept_without_csrf_tokens, with_csrf_token
from core.params import id_param
from members.models import Sector
from members.selectors import (
    PAYMENT_KINDS,
    membership_changes,
    memberships_active_at_list,
    payments,
)
from newsletter.models import Edition
from newsletter.selectors import RECIPIENT_LISTS, edition_recipients

from .dashboard import (
    CSV_HEADER,
    PERIOD_DAYS,
    PERMISSION,
    Links,
    Period,
    PeriodForm,
    cached,
    csv_rows,
    network_dashboard,
    network_summary,
    request_data_version,
)
from .dashboard_charts import dashboard_charts

MEMBER_LIST_KINDS = {
    "active": "Active memberships at the end of the period",
    "new": "New memberships",
    "returned": "Members back after lapsing",
    "lapsed": "Lapsed memberships",
    "cancelled": "Cancellations through Stripe",
    "payments": "Payments",
    "first_payments": "First payments",
    "recurring_payments": "Recurring payments (renewals)",
    "refunds": "Refunds",
}
ROWS_PER_PAGE = 100


class PeriodMixin:
    """Reads the period from the query string; a bad one is answered with a 400 and the
    form's message."""

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def dispatch(self, request, *args, **kwargs):
        self.form = PeriodForm(request.GET or None)
        if request.GET and not self.form.is_valid():
            self.period = Period.last(30)
            return self.render_to_response(self.get_context_data(), status=400)
        self.period = self.form.period() if request.GET else Period.last(30)
        return super().dispatch(request, *args, **kwargs)


# Wagtail's config script holds the request's CSRF token (handed out by get_token(), not
# through a template's csrf_token).
_WAGTAIL_CSRF_TOKEN = re.compile(r'"CSRF_TOKEN": "(\w+)"')


class NetworkDashboardView(PeriodMixin, WagtailAdminTemplateMixin, TemplateView):
    """The whole page is kept for the person, under the data version (which their admin menu
    moves too, civicnet/dashboard_sidebar.py) and for at most the minute its figures are kept
    (dashboard.cached): drawing Wagtail's admin around the kept figures cost more than the rest
    of a request."""

    page_title = "Network dashboard"
    header_icon = "view"
    template_name = "civicnet/admin/dashboard.html"

    def dispatch(self, request, *args, **kwargs):
        self.version = request_data_version(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        # A message is shown once, on the page drawn for that request alone.
        if self.version is None or len(get_messages(request)):
            return super().get(request, *args, **kwargs)
        drawn = None

        def draw():
            nonlocal drawn
            drawn = super(NetworkDashboardView, self).get(request, *args, **kwargs).render()
            tokens = [
                *rendered_csrf_tokens(request),
                *_WAGTAIL_CSRF_TOKEN.findall(drawn.content.decode()),
            ]
            return kept_without_csrf_tokens(drawn.content, tokens)

        kept = cached(
            "whole-page", self.period, draw, request.user.pk, self._shown(), version=self.version
        )
        if drawn is not None:
            return drawn
        if kept is None:  # not to be kept: it shows a token it did not say it had
            return super().get(request, *args, **kwargs)
        return HttpResponse(with_csrf_token(request, kept))

    def _shown(self) -> str:
        """What of the request the page shows but the period: the dates as typed, and whether
        the sidebar is folded (Wagtail's cookie)."""
        shown = [self.form.data.get(name, "") for name in ("days", "from", "to")]
        shown.append(self.request.COOKIES.get("wagtail_sidebar_collapsed", "0") != "0")
        return hashlib.sha256(repr(shown).encode()).hexdigest()[:24]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        period = self.period
        version = self.version
        context.update(
            form=self.form,
            period=period,
            period_choices=PERIOD_DAYS,
        )
        if not self.form.errors:
            links = Links(self.request.user, period)
            # Worked out only when the drawn page is not in the cache (or a test looks).
            figures = SimpleLazyObject(lambda: network_dashboard(period, links, version=version))
            context["figures"] = figures
            context["body"] = cached(
                "html",
                period,
                lambda: self._body(period, figures, links),
                period.query(),
                links.held(),
                version=version,
            )
        return context

    @staticmethod
    def _body(period, figures, links) -> str:
        """The figures, charts and tables, drawn without the request: the same for everyone
        who holds the same of Links.PERMISSIONS (the cache key holds which). A SafeString,
        which stays one through the cache's pickling."""
        context = {
            "period": period,
            "figures": figures,
            "charts": dashboard_charts(period, figures),
            "links": links,
            "csv_url": f"{reverse('network_dashboard_csv')}?{period.query()}",
        }
        return render_to_string("civicnet/admin/dashboard_body.html", context)


def dashboard_csv(request):
    form = PeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        message = " ".join(str(error) for errors in form.errors.values() for error in errors)
        return TemplateResponse(
            request, "civicnet/admin/dashboard_bad_period.html", {"message": message}, status=400
        )
    period = form.period() if request.GET else Period.last(30)
    figures = network_dashboard(period, Links(request.user, period))
    name = f"civicnet-network-{period.first_day}-to-{period.last_day}.csv"
    return csv_response(name, CSV_HEADER, csv_rows(period, figures), stream=False)


class MembershipListView(PeriodMixin, WagtailAdminTemplateMixin, TemplateView):
    """The memberships or payments behind one of the dashboard's membership figures."""

    header_icon = "user"
    template_name = "civicnet/admin/dashboard_members.html"

    def get_page_title(self):
        return MEMBER_LIST_KINDS.get(self.request.GET.get("kind", ""), "Memberships")

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("network_dashboard"), "label": "Network dashboard"},
            {"url": "", "label": self.get_page_title()},
        ]

    @property
    def currency(self) -> str:
        """?currency=eur: the payments (or paying members) in one currency; any other value,
        every currency."""
        currency = self.request.GET.get("currency", "").lower()
        return currency if re.fullmatch(r"[a-z]{3}", currency) else ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        kind = self.request.GET.get("kind", "")
        if kind not in MEMBER_LIST_KINDS:
            kind = "active"
        period = self.period
        if kind == "active":
            rows = self._active(period)
        elif kind in PAYMENT_KINDS:
            rows = (
                payments(kind, self.currency)
                .filter(created_at__gte=period.start, created_at__lt=period.end)
                .select_related("membership__user", "membership__plan")
                .order_by("-created_at", "-pk")
            )
        else:
            rows = (
                membership_changes(kind, why=self.request.GET.get("why", ""))
                .filter(created_at__gte=period.start, created_at__lt=period.end)
                .select_related("membership__user", "membership__plan", "actor")
                .order_by("-created_at", "-pk")
            )
        page = Paginator(rows, ROWS_PER_PAGE).get_page(self.request.GET.get("p"))
        context.update(
            kind=kind,
            currency=self.currency.upper(),
            is_money=kind in PAYMENT_KINDS,
            period=period,
            page=page,
            form=self.form,
            dashboard_url=f"{reverse('network_dashboard')}?{period.query()}",
            page_query=period.query(
                **{
                    key: value
                    for key, value in self.request.GET.items()
                    if key in ("kind", "plan", "sector", "paying", "why", "currency")
                }
            ),
        )
        return context

    def _active(self, period):
        paying = self.request.GET.get("paying") == "1"
        rows = memberships_active_at_list(
            period.measured_until, last_paid_in=self.currency if paying else ""
        ).order_by("user__last_name", "user__email")
        plan = self.request.GET.get("plan", "")
        if plan == "none":
            rows = rows.filter(plan__isnull=True)
        elif plan.isdigit() and len(plan) < 10:
            rows = rows.filter(plan_id=int(plan))
        sector = self.request.GET.get("sector", "")
        if sector == "none":
            rows = rows.filter(Q(user__profile__isnull=True) | Q(user__profile__sector=""))
        elif sector in Sector.values:
            rows = rows.filter(user__profile__sector=sector)
        if paying:
            rows = rows.filter(is_complimentary=False, plan__isnull=False)
        return rows


class EditionRecipientsView(WagtailAdminTemplateMixin, TemplateView):
    """The addresses behind one of an edition's figures: sent to, opened, clicked,
    unsubscribed after it."""

    header_icon = "mail"
    template_name = "civicnet/admin/dashboard_recipients.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("newsletter.view_subscriber"):
            raise PermissionDenied
        self.edition = get_object_or_404(
            Edition, pk=id_param(request.GET.get("edition"), name="edition")
        )
        self.show = request.GET.get("show", "")
        if self.show not in RECIPIENT_LISTS:
            self.show = "sent"
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return f"{RECIPIENT_LISTS[self.show]}: {self.edition.subject}"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("network_dashboard"), "label": "Network dashboard"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = edition_recipients(self.edition, self.show)
        page = Paginator(rows, ROWS_PER_PAGE).get_page(self.request.GET.get("p"))
        context.update(
            edition=self.edition,
            show=self.show,
            page=page,
            page_query=urlencode({"edition": self.edition.pk, "show": self.show}),
            dashboard_url=reverse("network_dashboard"),
        )
        return context


class NetworkSummaryPanel(Component):
    """The admin home's panel: the last 30 days of members and revenue, with a link to the
    whole dashboard. Shown to those who may see the dashboard."""

    name = "network_summary"
    order = 50
    template_name = "civicnet/admin/dashboard_panel.html"

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context=None):
        period = Period.last(30)
        summary = network_summary(
            period, Links(self.request.user, period), version=request_data_version(self.request)
        )
        members, revenue = summary["members"], summary["revenue"]
        return {
            "period": period,
            # Active, new, lapsed, churn; payments and MRR in each currency.
            "figures": [
                *members[:2],
                *members[4:6],
                *(f for f in revenue if f.label.startswith(("Payments", "MRR"))),
            ],
            "dashboard_url": reverse("network_dashboard"),
        }


def add_network_summary_panel(request, panels):
    if request.user.has_perm(PERMISSION):
        panels.append(NetworkSummaryPanel(request))
