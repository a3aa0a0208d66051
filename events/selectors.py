"""Reads other apps ask of `events`."""


def upcoming_public_events(*, limit: int) -> list:
    """The next events open to the public, soonest first. Events arrive with issue 7."""
    return []


def national_meeting_attendee_count() -> int:
    """Checked-in National Meeting attendees. Registration arrives with issue 7."""
    return 0
