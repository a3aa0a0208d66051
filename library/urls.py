from django.urls import path

from . import feeds, views

app_name = "library"
urlpatterns = [
    path("feed/", feeds.LibraryFeed(), name="feed"),
    path("feed/atom/", feeds.LibraryAtomFeed(), name="feed_atom"),
    path("<slug:slug>/done/", views.reading_done, name="reading_done"),
]
