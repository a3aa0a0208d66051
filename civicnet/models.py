from django.conf import settings
from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from blog.selectors import latest_posts
from core.blocks import BodyBlock, ToolBlock
from core.page_cache import cached_fragment
from core.pages import SUMMARY_BOOST, OneQueryViewRestrictionsMixin, page_search_fields
from events.selectors import upcoming_public_events

from .contact import contact_page_serve
from .selectors import home_counters


class HomePage(OneQueryViewRestrictionsMixin, Page):
    """The front door: the network's promise, its tools, live counters, what's next."""

    hero_heading = models.CharField(
        max_length=120, help_text="The promise, in one line, e.g. 'We build cross-sector teams'."
    )
    hero_intro = models.TextField(help_text="Two or three sentences on what the network does.")
    tools_heading = models.CharField(max_length=120, default="Tools to get in the game")
    tools = StreamField(
        [("tool", ToolBlock())], blank=True, help_text="The network's tools, in display order."
    )
    why_heading = models.CharField(max_length=120, default="Why join?")
    why_body = models.TextField(blank=True, help_text="Why a changemaker should become a member.")
    join_text = models.CharField(
        max_length=200,
        default="Join the network of changemakers who don't wait for others.",
        help_text="Shown beside the 'Become a member' button.",
    )
    subscribe_text = models.CharField(
        max_length=200,
        default="Smart ideas and city data, once a month, in your inbox.",
        help_text="Shown beside the newsletter sign-up.",
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("hero_heading"), FieldPanel("hero_intro")], "Promise"),
        MultiFieldPanel([FieldPanel("tools_heading"), FieldPanel("tools")], "Tools"),
        MultiFieldPanel([FieldPanel("why_heading"), FieldPanel("why_body")], "Why join"),
        MultiFieldPanel([FieldPanel("join_text"), FieldPanel("subscribe_text")], "Calls to act"),
    ]
    search_fields = page_search_fields(index.SearchField("hero_intro", boost=SUMMARY_BOOST))
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["civicnet.StandardPage", "blog.BlogIndexPage", "library.LibraryIndexPage"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["counters"] = home_counters()
        context["upcoming_events"] = upcoming_public_events(limit=3)
        # Kept until content changes (publishing a post, a view restriction: core.apps): the
        # three queries behind them are most of a render.
        context["latest_posts"] = cached_fragment(
            "home:latest-posts", lambda: latest_posts(limit=3)
        )
        return context


class StandardPage(OneQueryViewRestrictionsMixin, Page):
    """A general content page: About, member benefits, policies and the like."""

    intro = models.TextField(blank=True, help_text="A standfirst shown in larger type.")
    body = StreamField(BodyBlock(), blank=True)
    show_feedback = models.BooleanField(
        default=True, help_text="Ask readers 'Was this page helpful?' at the bottom."
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    promote_panels = Page.promote_panels + [FieldPanel("show_feedback")]
    search_fields = page_search_fields(
        index.SearchField("intro", boost=SUMMARY_BOOST), index.SearchField("body")
    )


class PageFeedback(models.Model):
    """One visitor's answer to 'Was this page helpful?' on one page."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="feedback")
    # "user:<pk>" for a signed-in person, "anon:<random id>" from a signed cookie otherwise.
    visitor_key = models.CharField(max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "visitor_key"], name="one_vote_per_visitor")
        ]
        permissions = [("view_feedback_report", "Can see the page feedback report")]

    def __str__(self):
        return f"{'yes' if self.helpful else 'no'} on page {self.page_id}"


class ContactPage(OneQueryViewRestrictionsMixin, Page):
    """The contact form at /contact/: editors write the words around it; messages are kept
    (Admin → Contact messages) and emailed to staff who may read them."""

    intro = models.TextField(
        blank=True, help_text="Shown above the form: who reads messages and how soon they reply."
    )
    thank_you = models.TextField(
        default="Thank you. Your message is with our team; we reply within two working days.",
        help_text="Shown once a message is sent.",
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("thank_you")]
    parent_page_types = ["civicnet.HomePage"]
    subpage_types: list[str] = []
    max_count = 1

    def serve(self, request, *args, **kwargs):
        return contact_page_serve(self, request)


class NetworkDashboard(models.Model):
    """No table: it holds the permission to see the staff dashboard of the whole network."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_network_dashboard", "Can see the network dashboard and download its figures")
        ]

    def __str__(self):
        return "Network dashboard"
