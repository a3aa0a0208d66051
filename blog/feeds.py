"""RSS 2.0 and Atom 1.0 feeds of the blog, whole or per category (Django's syndication)."""

from datetime import datetime, time

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from .models import BlogCategory, BlogPage

FEED_ITEMS = 20


class BlogFeed(Feed):
    feed_type = Rss201rev2Feed
    title = "civicnet blog"
    link = "/blog/"
    description = "Ideas, data stories and changemaker interviews from the civicnet network."
    author_name = "civicnet"

    def posts(self):
        return (
            BlogPage.objects.live()
            .public()
            .prefetch_related("authors", "categories")
            .order_by("-date", "-pk")
        )

    def items(self):
        return self.posts()[:FEED_ITEMS]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.standfirst

    def item_link(self, item):
        return item.get_url()

    def item_guid(self, item):
        return item.get_full_url()

    item_guid_is_permalink = True

    def item_pubdate(self, item):
        return timezone.make_aware(datetime.combine(item.date, time(9)))

    def item_updateddate(self, item):
        return item.last_published_at

    def item_author_name(self, item):
        return item.byline or "civicnet"

    def item_categories(self, item):
        return [category.name for category in item.category_list]


class BlogAtomFeed(BlogFeed):
    feed_type = Atom1Feed
    subtitle = BlogFeed.description


class CategoryFeed(BlogFeed):
    def get_object(self, request, slug):
        return get_object_or_404(BlogCategory, slug=slug)

    def title(self, category):
        return f"civicnet blog: {category.name}"

    def link(self, category):
        return category.get_absolute_url()

    def description(self, category):
        return category.description or f"Posts filed under {category.name}."

    def items(self, category):
        return self.posts().filter(categories=category)[:FEED_ITEMS]


class CategoryAtomFeed(CategoryFeed):
    feed_type = Atom1Feed

    def subtitle(self, category):
        return self.description(category)
