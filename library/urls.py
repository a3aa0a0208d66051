from django.urls import path

from . import feeds

app_name = "library"
urlpatterns = [
    path("feed/", feeds.LibraryFeed(), name="feed"),
    path("feed/atom/", feeds.LibraryAtomFeed(), name="feed_atom"),
]
