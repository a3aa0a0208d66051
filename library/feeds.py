"""An RSS feed of new library resources: teasers only, never members-only text."""

from datetime import datetime, time

from django.contrib.syndication.views import Feed
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from .models import ResourcePage

FEED_ITEMS = 20


class LibraryFeed(Feed):
    title = "civicnet resource library"
    link = "/library/"
    description = "New reports, toolkits and case studies for civicnet members."

    def items(self):
        return (
            ResourcePage.objects.live()
            .public()
            .prefetch_related("topics")
            .order_by("-date", "-pk")[:FEED_ITEMS]
        )

    def item_title(self, item):
        return f"{item.title} ({item.type_label})"

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.get_url()

    def item_pubdate(self, item):
        return timezone.make_aware(datetime.combine(item.date, time(9)))

    def item_categories(self, item):
        return [topic.name for topic in item.topic_list]


class LibraryAtomFeed(LibraryFeed):
    feed_type = Atom1Feed
    subtitle = LibraryFeed.description
