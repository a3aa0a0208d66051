from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from core.staff import PermissionMenuItem, staff_tool

from . import admin_views
from .models import Cluster, Plan


class PlanViewSet(SnippetViewSet):
    model = Plan
    icon = "tag"
    menu_label = "Membership plans"
    add_to_admin_menu = True
    menu_order = 500
    list_display = [
        "name",
        "kind",
        "interval",
        "price_label",
        "seats",
        "stripe_price_id",
        "is_active",
    ]


class ClusterViewSet(SnippetViewSet):
    model = Cluster
    icon = "group"
    menu_label = "City Clusters"
    add_to_admin_menu = True
    menu_order = 510
    list_display = ["name", "region", "lead"]
    search_fields = ["name", "region"]


register_snippet(PlanViewSet)
register_snippet(ClusterViewSet)

admin_urls = (
    [
        path(
            "complimentary/",
            staff_tool("members.grant_complimentary")(admin_views.ComplimentaryView.as_view()),
            name="complimentary",
        ),
        path(
            "report/",
            staff_tool("members.view_members_report")(admin_views.ReportView.as_view()),
            name="report",
        ),
        path("report.csv", admin_views.report_csv, name="report_csv"),
    ],
    "members_admin",
)


@hooks.register("register_admin_urls")
def register_members_admin_urls():
    return [path("members/", include(admin_urls))]


@hooks.register("register_admin_menu_item")
def register_report_menu_item():
    return PermissionMenuItem(
        "Members report",
        reverse("members_admin:report"),
        icon_name="table",
        order=520,
        permission="members.view_members_report",
    )


@hooks.register("register_admin_menu_item")
def register_complimentary_menu_item():
    return PermissionMenuItem(
        "Complimentary members",
        reverse("members_admin:complimentary"),
        icon_name="user",
        order=530,
        permission="members.grant_complimentary",
    )
