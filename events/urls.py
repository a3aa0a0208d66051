from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("events/", views.event_index, name="index"),
    path("events/past/", views.event_past, name="past"),
    path("events/calendar.ics", views.calendar_ics, name="calendar"),
    path("events/<slug:slug>.ics", views.event_ics, name="ics"),
    path("events/<slug:slug>/", views.event_detail, name="detail"),
    path("events/<slug:slug>/register/", views.event_register, name="register"),
    path("events/<slug:slug>/cancel/", views.event_cancel, name="cancel"),
    path("events/<slug:slug>/attendees/", views.event_attendees, name="attendees"),
    path("events/<slug:slug>/attendees.csv", views.event_attendees_csv, name="attendees_csv"),
    path("challenges/", views.challenge_index, name="challenges"),
    path("challenges/judging/", views.judging_index, name="judging"),
    path("challenges/judging/<int:pk>/", views.judging_score, name="judge_score"),
    path("challenges/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("challenges/<slug:slug>/", views.challenge_detail, name="challenge_detail"),
    path("challenges/<slug:slug>/submit/", views.challenge_submit, name="challenge_submit"),
    path(
        "challenges/<slug:slug>/submit/attachments/<int:pk>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
    path(
        "challenges/<slug:slug>/invitations/<slug:key>/",
        views.team_invitation,
        name="team_invitation",
    ),
    path(
        "challenges/<slug:slug>/submit/invitations/<int:pk>/withdraw/",
        views.team_invitation_withdraw,
        name="team_invitation_withdraw",
    ),
    path(
        "challenges/<slug:slug>/submit/team/<int:user_id>/remove/",
        views.team_member_remove,
        name="team_member_remove",
    ),
    path("challenges/<slug:slug>/results/", views.challenge_results, name="challenge_results"),
]
