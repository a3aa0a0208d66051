from django.urls import path

from . import views

app_name = "newsletter"
urlpatterns = [
    path("", views.archive, name="archive"),
    path("feed/", views.ArchiveFeed(), name="feed"),
    path("feed/atom/", views.ArchiveAtomFeed(), name="feed_atom"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/sent/", views.subscribe_sent, name="subscribe_sent"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("editions/<int:pk>/", views.web_version, name="web_version"),
    path("editions/<int:pk>/<str:token>/", views.web_version_for, name="web_version_for"),
    path("open/<str:token>.gif", views.open_pixel, name="open"),
    path("click/<str:token>/", views.click, name="click"),
    path("webhook/bounces/", views.bounce_webhook, name="bounce_webhook"),
    path(
        "webhook/anymail/<slug:provider>/tracking/",
        views.provider_webhook,
        name="provider_webhook",
    ),
]
