from django.urls import path

from .views import judging, learning, public, registration, series, staff, submissions

app_name = "events"
urlpatterns = [
    path("events/", public.event_index, name="index"),
    path("events/past/", public.event_past, name="past"),
    path("events/calendar.ics", public.calendar_ics, name="calendar"),
    path(
        "events/calendar/<slug:token>.ics",
        learning.personal_calendar_feed,
        name="personal_calendar",
    ),
    path("events/series/<slug:slug>/", series.series_detail, name="series"),
    path(
        "events/series/<slug:slug>/register/",
        series.series_register_all,
        name="series_register",
    ),
    path(
        "events/series/<slug:slug>/occurrences/",
        series.series_occurrences,
        name="series_occurrences",
    ),
    path("events/<slug:slug>.ics", public.event_ics, name="ics"),
    path("events/<slug:slug>/", public.event_detail, name="detail"),
    path("events/<slug:slug>/register/", registration.event_register, name="register"),
    path("events/<slug:slug>/cancel/", registration.event_cancel, name="cancel"),
    path(
        "events/<slug:slug>/offer/<str:token>/",
        registration.offer_accept,
        name="offer_accept",
    ),
    path(
        "events/<slug:slug>/waitlist/leave/",
        registration.waitlist_leave,
        name="waitlist_leave",
    ),
    path("events/<slug:slug>/join/", learning.event_join, name="join"),
    path("events/<slug:slug>/recording/", learning.event_recording, name="recording"),
    path("events/<slug:slug>/attendees/", staff.event_attendees, name="attendees"),
    path("events/<slug:slug>/attendees.csv", staff.event_attendees_csv, name="attendees_csv"),
    path("account/learning/", learning.learning_record, name="learning"),
    path(
        "account/learning/certificates/<slug:slug>.pdf",
        learning.certificate_download,
        name="certificate",
    ),
    path(
        "account/learning/transcripts/<int:year>.pdf",
        learning.transcript_download,
        name="transcript",
    ),
    path("account/learning/calendar/", learning.calendar_feed_manage, name="calendar_feed"),
    path("verify/<slug:token>/", learning.certificate_verify, name="certificate_verify"),
    path(
        "verify/<slug:token>/revoke/",
        learning.certificate_revoke_form,
        name="certificate_revoke",
    ),
    path("challenges/", public.challenge_index, name="challenges"),
    path("challenges/judging/", judging.judging_index, name="judging"),
    path("challenges/judging/<int:pk>/", judging.judging_score, name="judge_score"),
    path("challenges/attachments/<int:pk>/", submissions.attachment_download, name="attachment"),
    path("challenges/<slug:slug>/", public.challenge_detail, name="challenge_detail"),
    path("challenges/<slug:slug>/submit/", submissions.challenge_submit, name="challenge_submit"),
    path(
        "challenges/<slug:slug>/submit/attachments/<int:pk>/delete/",
        submissions.attachment_delete,
        name="attachment_delete",
    ),
    path(
        "challenges/<slug:slug>/invitations/<slug:key>/",
        submissions.team_invitation,
        name="team_invitation",
    ),
    path(
        "challenges/<slug:slug>/submit/invitations/<int:pk>/withdraw/",
        submissions.team_invitation_withdraw,
        name="team_invitation_withdraw",
    ),
    path(
        "challenges/<slug:slug>/submit/team/<int:user_id>/remove/",
        submissions.team_member_remove,
        name="team_member_remove",
    ),
    path("challenges/<slug:slug>/results/", staff.challenge_results, name="challenge_results"),
]
