from django.urls import path

from . import views

app_name = "newsletter"
urlpatterns = [
    path("", views.archive, name="archive"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/sent/", views.subscribe_sent, name="subscribe_sent"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("editions/<int:pk>/", views.web_version, name="web_version"),
    path("editions/<int:pk>/<str:token>/", views.web_version_for, name="web_version_for"),
    path("webhook/bounces/", views.bounce_webhook, name="bounce_webhook"),
]
