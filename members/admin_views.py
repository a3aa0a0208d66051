"""Staff tools inside the Wagtail admin: complimentary memberships and the members report."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.csv import csv_response
from core.staff import staff_tool

from . import services
from .forms import ComplimentaryGrantForm, ComplimentaryRevokeForm
from .models import Membership
from .selectors import members_report, members_report_rows, recent_membership_changes


class ComplimentaryView(WagtailAdminTemplateMixin, TemplateView):
    """Grant or revoke a complimentary membership, with the reason kept in the history."""

    page_title = "Complimentary memberships"
    header_icon = "user"
    template_name = "members/admin/complimentary.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("grant_form", ComplimentaryGrantForm(prefix="grant"))
        context.setdefault("revoke_form", ComplimentaryRevokeForm(prefix="revoke"))
        context["complimentary"] = (
            Membership.objects.filter(is_complimentary=True)
            .select_related("user")
            .order_by("user__email")
        )
        return context

    def post(self, request):
        if "grant-person" in request.POST:
            form = ComplimentaryGrantForm(request.POST, prefix="grant")
            if form.is_valid():
                until = form.cleaned_data["until"]
                services.membership_grant_complimentary(
                    user=form.cleaned_data["person"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    until=timezone.make_aware(
                        timezone.datetime.combine(until, timezone.datetime.max.time())
                    )
                    if until
                    else None,
                )
                messages.success(request, f"{form.cleaned_data['person'].email} is now a member.")
                return redirect("members_admin:complimentary")
            return self.render_to_response(self.get_context_data(grant_form=form))
        form = ComplimentaryRevokeForm(request.POST, prefix="revoke")
        if form.is_valid():
            try:
                services.membership_revoke_complimentary(
                    user=form.cleaned_data["person"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_error("person", error)
            else:
                messages.success(request, "Complimentary membership revoked.")
                return redirect("members_admin:complimentary")
        return self.render_to_response(self.get_context_data(revoke_form=form))


class ReportView(WagtailAdminTemplateMixin, TemplateView):
    page_title = "Members report"
    header_icon = "table"
    template_name = "members/admin/report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["report"] = members_report()
        context["recent_changes"] = recent_membership_changes()
        context["csv_url"] = reverse("members_admin:report_csv")
        return context


@staff_tool("members.view_members_report")
def report_csv(request):
    header = [
        "email",
        "name",
        "status",
        "active now",
        "plan",
        "complimentary",
        "period end",
        "joined",
        "ended",
        "sector",
        "city",
        "organisation",
    ]
    return csv_response("civicnet-members.csv", header, _report_rows())


def _local_date(moment) -> str:
    """The day in the site's time zone, as staff read it (UTC's is a day ahead each evening)."""
    return timezone.localdate(moment).isoformat() if moment else ""


def _report_rows():
    for membership in members_report_rows().iterator(chunk_size=500):
        profile = getattr(membership.user, "profile", None)
        yield [
            membership.user.email,
            membership.user.get_full_name(),
            membership.status,
            membership.is_active(),
            membership.plan.name if membership.plan else "",
            membership.is_complimentary,
            _local_date(membership.current_period_end),
            _local_date(membership.started_at),
            _local_date(membership.ended_at),
            profile.get_sector_display() if profile else "",
            profile.home_city if profile else "",
            profile.organisation if profile else "",
        ]
