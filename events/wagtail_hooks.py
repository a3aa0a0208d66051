"""Staff edit events, speakers, topics and challenges in the Wagtail admin (as snippets)."""

from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from core.signals import public_pages_changed

from .models import Challenge, Event, EventSeries, JudgeAssignment, Speaker, Submission, Topic
from .services.calendar_sync import event_calendar_sync
from .services.registrations import PUBLIC_EVENT_PATHS, waitlist_offer_places


class AttendeesColumn(Column):
    def get_value(self, instance):
        return format_html(
            '<a href="{}">Attendees</a>', reverse("events:attendees", args=[instance.slug])
        )


class ResultsColumn(Column):
    def get_value(self, instance):
        return format_html(
            '<a href="{}">Ranked results</a>',
            reverse("events:challenge_results", args=[instance.slug]),
        )


class EventViewSet(SnippetViewSet):
    model = Event
    icon = "date"
    menu_label = "Events"
    list_display = [
        "title",
        "kind",
        "starts_at",
        "capacity",
        AttendeesColumn("attendees", label=""),
    ]
    list_filter = ["kind", "is_published"]
    search_fields = ["title", "summary"]
    ordering = ["-starts_at"]


class SeriesDatesColumn(Column):
    def get_value(self, instance):
        return format_html(
            '<a href="{}">Preview and create dates</a>',
            reverse("events:series_occurrences", args=[instance.slug]),
        )


class EventSeriesViewSet(SnippetViewSet):
    """Staff set a series' rule here, then preview and create its dates (each an event)."""

    model = EventSeries
    icon = "calendar-alt"
    menu_label = "Series"
    list_display = ["title", "kind", "frequency", SeriesDatesColumn("dates", label="")]
    search_fields = ["title"]


class SpeakerViewSet(SnippetViewSet):
    model = Speaker
    icon = "user"
    list_display = ["name", "role"]


class TopicViewSet(SnippetViewSet):
    model = Topic
    icon = "tag"


class ChallengeViewSet(SnippetViewSet):
    model = Challenge
    icon = "pick"
    menu_label = "Prize Challenges"
    list_display = ["title", "opens_at", "closes_at", ResultsColumn("results", label="")]


class SubmissionViewSet(SnippetViewSet):
    """Staff read entries and mark winners and finalists for the showcase."""

    model = Submission
    icon = "doc-full"
    list_display = ["title", "challenge", "city", "status", "award"]
    list_filter = ["challenge", "status", "award"]
    add_to_admin_menu = False


class JudgeAssignmentViewSet(SnippetViewSet):
    """Staff assign judges to submitted entries."""

    model = JudgeAssignment
    icon = "group"
    menu_label = "Judge assignments"
    list_display = ["submission", "judge", "conflict_of_interest", "completed_at"]
    list_filter = ["submission__challenge", "conflict_of_interest"]


class EventsGroup(SnippetViewSetGroup):
    menu_label = "Events"
    menu_icon = "date"
    menu_order = 250
    items = (
        EventViewSet,
        EventSeriesViewSet,
        SpeakerViewSet,
        TopicViewSet,
        ChallengeViewSet,
        SubmissionViewSet,
        JudgeAssignmentViewSet,
    )


register_snippet(EventsGroup)


EVENTS_MODELS = (Event, EventSeries, Speaker, Topic, Challenge, Submission)


def _after_change(request, instance):
    if isinstance(instance, Event):
        # After the edit commits: bump SEQUENCE and tell registrants when the time moved;
        # when staff raised the capacity, the next people on the waitlist are offered places.
        transaction.on_commit(lambda: event_calendar_sync(event=instance))
        transaction.on_commit(lambda: waitlist_offer_places(event=instance))
    if isinstance(instance, EVENTS_MODELS):
        _public_pages_changed()  # anonymous copies of listings and detail pages are now stale


def _after_delete(request, instances):
    if any(isinstance(instance, EVENTS_MODELS) for instance in instances):
        _public_pages_changed()


def _public_pages_changed():
    public_pages_changed.send(sender=Event, paths=PUBLIC_EVENT_PATHS)


hooks.register("after_create_snippet", _after_change)
hooks.register("after_edit_snippet", _after_change)
hooks.register("after_delete_snippet", _after_delete)


@hooks.register("register_account_section")
def account_section():
    """The person's registrations and submissions on /account/ (members shows it)."""
    return "events/account_section.html"


@hooks.register("register_cluster_section")
def cluster_section():
    """A City Cluster's upcoming events on its page (members shows it)."""
    return "events/cluster_section.html"
