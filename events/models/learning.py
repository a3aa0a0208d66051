"""Continuing education: certificates anyone can verify, and each person's calendar feed."""

import secrets
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


def new_token() -> str:
    """128 random bits, URL-safe: the unguessable id in a verification or feed address."""
    return secrets.token_urlsafe(16)


# The kinds of learning a record and a transcript total separately, in this order.
LEARNING_CATEGORIES = {
    "national_meeting": "National Meetings",
    "workshop": "Workshops",
    "webinar": "Webinars",
    "recording": "Recordings watched",
    "reading": "Library readings",
}


class Certificate(models.Model):
    """A certificate of attendance (one event) or a yearly transcript, as issued.

    What it certifies is copied in when it is issued, so the verification page shows what the
    PDF says even after the event is edited. A changed record issues a new certificate and
    revokes the old one; staff can revoke one too."""

    class Kind(models.TextChoices):
        ATTENDANCE = "attendance", "Certificate of attendance"
        TRANSCRIPT = "transcript", "Continuing education transcript"

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates"
    )
    event = models.ForeignKey(
        "events.Event",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificates",
    )
    year = models.PositiveSmallIntegerField()
    holder_name = models.CharField(max_length=300)
    title = models.CharField(max_length=300)
    attended_on = models.DateField(null=True, blank=True)
    hours = models.DecimalField(max_digits=6, decimal_places=2)
    # A transcript's lines: [{"title", "kind", "category", "date", "hours"}], as issued
    # ("category", one of LEARNING_CATEGORIES, is absent from transcripts issued before it).
    entries = models.JSONField(default=list, blank=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        permissions = [("revoke_certificate", "Can revoke certificates and transcripts")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event"],
                condition=Q(revoked_at=None, kind="attendance"),
                name="one_valid_certificate_per_event",
            ),
            models.UniqueConstraint(
                fields=["user", "year"],
                condition=Q(revoked_at=None, kind="transcript"),
                name="one_valid_transcript_per_year",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title} ({self.holder_name})"

    def get_absolute_url(self):
        return reverse("events:certificate_verify", kwargs={"token": self.token})

    @property
    def verification_url(self) -> str:
        return settings.SITE_URL + self.get_absolute_url()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def subtotals(self) -> list[dict]:
        """A transcript's hours per kind of learning (LEARNING_CATEGORIES order)."""
        totals: dict[str, Decimal] = {}
        for entry in self.entries:
            category = entry.get("category")
            try:
                hours = Decimal(entry.get("hours") or "0")
            except InvalidOperation:
                continue
            if category in LEARNING_CATEGORIES:
                totals[category] = totals.get(category, Decimal("0")) + hours
        return [
            {"label": label, "hours": totals[category]}
            for category, label in LEARNING_CATEGORIES.items()
            if category in totals
        ]


class CalendarFeed(models.Model):
    """A person's secret calendar address. A new token replaces the old one, which then
    answers 404; deleting the row turns the feed off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Calendar feed of {self.user}"

    def get_absolute_url(self):
        return reverse("events:personal_calendar", kwargs={"token": self.token})

    @property
    def https_url(self) -> str:
        return settings.SITE_URL + self.get_absolute_url()

    @property
    def webcal_url(self) -> str:
        return "webcal://" + self.https_url.split("://", 1)[1]


class RecordingView(models.Model):
    """A member opened an event's recording through the site: once per person and event."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recording_views"
    )
    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="recording_views"
    )
    watched_at = models.DateTimeField()

    class Meta:
        ordering = ["-watched_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="one_recording_view_per_event")
        ]

    def __str__(self):
        return f"{self.user_id} watched the recording of {self.event_id}"
