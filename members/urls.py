from django.urls import path

from . import views, views_clusters, views_contact, views_join

app_name = "members"
urlpatterns = [
    path("account/", views.dashboard, name="dashboard"),
    path("account/profile/", views.profile_edit, name="profile_edit"),
    path("account/welcome/", views.welcome, name="welcome"),
    path("account/seats/", views.seats, name="seats"),
    path("account/export.json", views.account_export, name="account_export"),
    path("account/delete/", views.account_delete, name="account_delete"),
    path("membership/", views.membership_page, name="membership"),
    path("membership/join/", views_join.join_request, name="join_request"),
    path("membership/join/sent/", views_join.join_request_sent, name="join_request_sent"),
    path("membership/checkout/<slug:plan>/", views.checkout, name="checkout"),
    path("membership/welcome/", views.checkout_success, name="checkout_success"),
    path("membership/cancelled/", views.checkout_cancelled, name="checkout_cancelled"),
    path("membership/billing/", views.billing_portal, name="billing_portal"),
    path("membership/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("network/", views.network, name="network"),
    path(
        "network/messages/report/<str:token>/",
        views_contact.message_report,
        name="message_report",
    ),
    path("network/<str:username>/", views.profile, name="profile"),
    path("network/<str:username>/message/", views_contact.member_message, name="member_message"),
    path("clusters/", views.clusters, name="clusters"),
    path("clusters/<slug:slug>/", views_clusters.cluster, name="cluster"),
    path(
        "clusters/<slug:slug>/updates/", views_clusters.cluster_update_post, name="cluster_update"
    ),
    path("clusters/<slug:slug>/invite/", views_clusters.cluster_invite, name="cluster_invite"),
    path(
        "clusters/<slug:slug>/accept/<str:token>/",
        views_clusters.cluster_accept,
        name="cluster_accept",
    ),
    path("clusters/<slug:slug>/join/", views.cluster_join, name="cluster_join"),
    path("clusters/<slug:slug>/leave/", views.cluster_leave, name="cluster_leave"),
]
