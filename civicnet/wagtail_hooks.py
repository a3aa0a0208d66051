from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import path, reverse
from wagtail import hooks
from wagtail.models import Page
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from core.staff import PermissionMenuItem, staff_tool

from . import dashboard_views
from .contact import ContactMessage
from .dashboard import PERMISSION as DASHBOARD_PERMISSION


@staff_tool("civicnet.view_feedback_report")
def feedback_report(request):
    """Staff see how helpful readers found each page."""
    pages = (
        Page.objects.annotate(
            yes=Count("feedback", filter=Q(feedback__helpful=True)),
            no=Count("feedback", filter=Q(feedback__helpful=False)),
        )
        .filter(Q(yes__gt=0) | Q(no__gt=0))
        .order_by("-no", "-yes", "title")
    )
    return render(request, "civicnet/admin/feedback_report.html", {"pages": pages})


@hooks.register("register_admin_urls")
def register_feedback_report_url():
    return [path("reports/page-feedback/", feedback_report, name="page_feedback_report")]


@hooks.register("register_reports_menu_item")
def register_feedback_report_menu_item():
    return PermissionMenuItem(
        "Page feedback",
        reverse("page_feedback_report"),
        icon_name="help",
        order=700,
        permission="civicnet.view_feedback_report",
    )


@hooks.register("register_admin_urls")
def register_network_dashboard_urls():
    dashboard = staff_tool(DASHBOARD_PERMISSION)
    return [
        path(
            "reports/network/",
            dashboard(dashboard_views.NetworkDashboardView.as_view()),
            name="network_dashboard",
        ),
        path(
            "reports/network.csv",
            dashboard(dashboard_views.dashboard_csv),
            name="network_dashboard_csv",
        ),
        path(
            "reports/network/members/",
            dashboard(dashboard_views.MembershipListView.as_view()),
            name="network_dashboard_members",
        ),
        path(
            "reports/network/newsletter/",
            dashboard(dashboard_views.EditionRecipientsView.as_view()),
            name="network_dashboard_recipients",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_network_dashboard_menu_item():
    return PermissionMenuItem(
        "Network dashboard",
        reverse("network_dashboard"),
        icon_name="view",
        order=690,
        permission=DASHBOARD_PERMISSION,
    )


hooks.register("construct_homepage_panels", dashboard_views.add_network_summary_panel)


class ContactMessageViewSet(SnippetViewSet):
    model = ContactMessage
    icon = "mail"
    menu_label = "Contact messages"
    add_to_admin_menu = True
    menu_order = 540
    list_display = ["name", "email", "topic", "created_at"]
    list_filter = ["topic"]
    search_fields = ["name", "email", "message"]
    search_backend_name = None  # not in the search index: the database searches it
    inspect_view_enabled = True


register_snippet(ContactMessageViewSet)
