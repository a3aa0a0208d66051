from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, HelpPanel
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from core.staff import PermissionMenuItem, staff_tool
from vitals.access import MEMBER_ACCESS_HOOK, MemberAccess

from . import admin_views, services, views_join
from .joining import REVIEW_PERMISSION
from .models import Cluster, MessageReport, Plan, Profile, RetentionEmailText
from .selectors import can_see_member_area


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


class EditOnlyPolicy(ModelPermissionPolicy):
    """One row per retention email exists (a migration makes them): staff edit, never add or
    delete."""

    def user_has_permission(self, user, action):
        return action not in ("add", "delete") and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        actions = [action for action in actions if action not in ("add", "delete")]
        return bool(actions) and super().user_has_any_permission(user, actions)


register_permission_policy(RetentionEmailText, EditOnlyPolicy(RetentionEmailText))


class RetentionEmailTextViewSet(SnippetViewSet):
    model = RetentionEmailText
    icon = "mail"
    menu_label = "Retention emails"
    add_to_admin_menu = True
    menu_order = 515
    list_display = ["__str__", "subject", "updated_at"]


class MessageReportViewSet(SnippetViewSet):
    """Member messages their recipients reported as abuse, for staff to review."""

    model = MessageReport
    icon = "warning"
    menu_label = "Message reports"
    add_to_admin_menu = True
    menu_order = 540
    list_display = ["__str__", "created_at", "reviewed_at"]
    list_filter = {"reviewed_at": ["isnull"]}
    panels = [
        HelpPanel(template="members/admin/message_report_panel.html", heading="The message"),
        FieldPanel("reason", read_only=True),
        FieldPanel("reviewed_at"),
        FieldPanel("staff_note"),
    ]

    def get_queryset(self, request):
        return MessageReport.objects.select_related("message__sender", "message__recipient")


register_snippet(PlanViewSet)
register_snippet(RetentionEmailTextViewSet)
register_snippet(ClusterViewSet)
register_snippet(MessageReportViewSet)

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
        path(
            "join-requests/",
            staff_tool(REVIEW_PERMISSION)(views_join.JoinRequestListView.as_view()),
            name="join_requests",
        ),
        path(
            "join-requests/<int:pk>/",
            staff_tool(REVIEW_PERMISSION)(views_join.JoinRequestReviewView.as_view()),
            name="join_request_review",
        ),
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


@hooks.register("register_admin_menu_item")
def register_join_requests_menu_item():
    return PermissionMenuItem(
        "Join requests",
        reverse("members_admin:join_requests"),
        icon_name="user",
        order=525,
        permission=REVIEW_PERMISSION,
    )


@hooks.register("before_delete_user")
def delete_user_as_account_deletion(request, user):
    """Staff deleting a user in the Wagtail admin: the same as the person deleting it."""
    if request.method != "POST":
        return None
    label = user.get_full_name() or user.email or user.username
    try:
        services.account_delete(user=user, actor=request.user)
    except services.AccountDeletionError as error:
        messages.error(request, str(error))
        return redirect("wagtailusers_users:index")
    messages.success(request, f"Account of {label} deleted; kept records are anonymised.")
    return redirect("wagtailusers_users:index")


@hooks.register("before_bulk_action")
def bulk_delete_users_as_account_deletions(request, action_type, objects, action_class_instance):
    """The users listing's bulk delete: each account deleted as account_delete does it."""
    User = get_user_model()
    if action_type != "delete" or not objects or not isinstance(objects[0], User):
        return None
    deleted = 0
    for user in objects:
        try:
            services.account_delete(user=user, actor=request.user)
        except services.AccountDeletionError as error:
            messages.error(request, f"{user}: {error}")
        else:
            deleted += 1
    messages.success(request, f"{deleted} account(s) deleted; kept records are anonymised.")
    return redirect("wagtailusers_users:index")


@hooks.register(MEMBER_ACCESS_HOOK)
def vitals_member_access(user) -> MemberAccess:
    """City Vitals' member tools (My metro, the brief, the XLSX) ask here who may use them
    and which metro is the person's home: vitals never imports members."""
    if not can_see_member_area(user):
        membership = getattr(user, "membership", None)
        return MemberAccess(lapsed=membership is not None)
    home = Profile.objects.filter(user=user).values_list("home_metro_id", flat=True).first()
    return MemberAccess(allowed=True, home_metro_id=home)
