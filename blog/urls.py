from django.urls import path

from . import feeds

app_name = "blog"
urlpatterns = [
    path("feed/", feeds.BlogFeed(), name="feed"),
    path("feed/atom/", feeds.BlogAtomFeed(), name="feed_atom"),
    path("category/<slug:slug>/feed/", feeds.CategoryFeed(), name="category_feed"),
    path("category/<slug:slug>/feed/atom/", feeds.CategoryAtomFeed(), name="category_feed_atom"),
]
