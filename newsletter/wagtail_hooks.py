"""Newsletter in the Wagtail admin: editions, subscribers, suppressions, and the send page."""

from django.urls import include, path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, Panel
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from core.staff import staff_tool

from . import admin_views, selectors
from .models import Edition, Subscriber, Suppression


class DeliveryPanel(Panel):
    """Shows delivery status and progress on the edit page, with a link to the send page."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "newsletter/admin/delivery_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            edition = self.instance
            if edition is not None and edition.pk:
                context["edition"] = edition
                context["progress"] = selectors.delivery_progress(edition)
                context["delivery_url"] = reverse("newsletter_admin:delivery", args=[edition.pk])
                context["progress_url"] = reverse("newsletter_admin:progress", args=[edition.pk])
            return context


class SendColumn(Column):
    def get_value(self, instance):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("newsletter_admin:delivery", args=[instance.pk]),
            "Progress" if not instance.is_editable else "Test / send",
        )


class EditionViewSet(SnippetViewSet):
    model = Edition
    icon = "mail"
    menu_label = "Editions"
    list_display = ["subject", "status", "audience", "finished_at", SendColumn("send", label="")]
    list_filter = ["status", "audience"]
    search_fields = ["subject"]
    ordering = ["-created_at"]
    panels = [*Edition.panels, DeliveryPanel(heading="Delivery")]


class SubscriberViewSet(SnippetViewSet):
    model = Subscriber
    icon = "user"
    menu_label = "Subscribers"
    list_display = ["email", "status", "source", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["email"]
    panels = [
        FieldPanel("email"),
        FieldPanel("status", read_only=True),
        FieldPanel("wants_research"),
        FieldPanel("wants_events"),
        FieldPanel("wants_challenges"),
        FieldPanel("wants_member_news"),
    ]


class SuppressionViewSet(SnippetViewSet):
    model = Suppression
    icon = "cross"
    menu_label = "Suppressions"
    list_display = ["email", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]


class NewsletterGroup(SnippetViewSetGroup):
    menu_label = "Newsletter"
    menu_icon = "mail"
    menu_order = 260
    items = (EditionViewSet, SubscriberViewSet, SuppressionViewSet)


register_snippet(NewsletterGroup)


@hooks.register("register_admin_urls")
def register_newsletter_admin_urls():
    urls = [
        path(
            "editions/<int:pk>/send/",
            staff_tool("newsletter.send_edition")(admin_views.DeliveryView.as_view()),
            name="delivery",
        ),
        path("editions/<int:pk>/progress.json", admin_views.progress, name="progress"),
    ]
    return [path("newsletter/", include((urls, "newsletter_admin"), namespace="newsletter_admin"))]
