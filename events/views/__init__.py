"""Events views, one module per audience: public pages, registration, challenge entries and
teams, judging, staff tools. events.urls names each view by its module."""

from .judging import judging_index, judging_score
from .learning import (
    calendar_feed_manage,
    certificate_download,
    certificate_revoke_form,
    certificate_verify,
    event_join,
    learning_record,
    personal_calendar_feed,
    transcript_download,
)
from .public import (
    calendar_ics,
    challenge_detail,
    challenge_index,
    event_detail,
    event_ics,
    event_index,
    event_past,
)
from .registration import event_cancel, event_register, offer_accept, waitlist_leave
from .series import series_detail, series_occurrences, series_register_all
from .staff import challenge_results, event_attendees, event_attendees_csv
from .submissions import (
    attachment_delete,
    attachment_download,
    challenge_submit,
    team_invitation,
    team_invitation_withdraw,
    team_member_remove,
)

__all__ = [
    "calendar_feed_manage",
    "certificate_download",
    "certificate_revoke_form",
    "certificate_verify",
    "event_join",
    "learning_record",
    "personal_calendar_feed",
    "transcript_download",
    "attachment_delete",
    "attachment_download",
    "calendar_ics",
    "challenge_detail",
    "challenge_index",
    "challenge_results",
    "challenge_submit",
    "event_attendees",
    "event_attendees_csv",
    "event_cancel",
    "event_detail",
    "event_ics",
    "event_index",
    "event_past",
    "event_register",
    "offer_accept",
    "series_detail",
    "series_occurrences",
    "series_register_all",
    "waitlist_leave",
    "judging_index",
    "judging_score",
    "team_invitation",
    "team_invitation_withdraw",
    "team_member_remove",
]
