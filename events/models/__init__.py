"""Events and Prize Challenges: one module each, re-exported here."""

from .challenges import (
    ATTACHMENT_EXTENSIONS,
    ATTACHMENT_MAX_BYTES,
    Challenge,
    Criterion,
    JudgeAssignment,
    Score,
    Submission,
    SubmissionAttachment,
    TeamInvitation,
    submission_upload_to,
)
from .events import (
    JOIN_LINK_LEAD,
    RESERVED_EVENT_SLUGS,
    TIME_ZONE_CHOICES,
    Event,
    EventSession,
    Registration,
    RegistrationEmail,
    Speaker,
    Topic,
)
from .learning import CalendarFeed, Certificate, RecordingView

__all__ = [
    "ATTACHMENT_EXTENSIONS",
    "ATTACHMENT_MAX_BYTES",
    "JOIN_LINK_LEAD",
    "RESERVED_EVENT_SLUGS",
    "TIME_ZONE_CHOICES",
    "CalendarFeed",
    "Certificate",
    "RecordingView",
    "Challenge",
    "Criterion",
    "Event",
    "EventSession",
    "JudgeAssignment",
    "Registration",
    "RegistrationEmail",
    "Score",
    "Speaker",
    "Submission",
    "SubmissionAttachment",
    "TeamInvitation",
    "Topic",
    "submission_upload_to",
]
