"""Events: National Meetings, webinars and workshops, their registrations and emails.

Events are plain Django models edited in the Wagtail admin as snippets, and served by
Django views: that keeps /events/<slug>/register/, /events/<slug>.ics and
/events/calendar.ics as ordinary URL patterns instead of routes inside the page tree.
Times are stored in UTC and shown in the event's own time zone.
"""

import uuid
import zoneinfo
from datetime import UTC, timedelta
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import RichTextField
from wagtail.models import Orderable
from wagtail.search import index

from core.pages import SUMMARY_BOOST, TITLE_BOOST

from ..admin_forms import EventAdminForm
from ..reminders import ReminderOffset
from .tickets import GUESTS_MAX

TIME_ZONE_CHOICES = [
    (name, name.replace("_", " "))
    for name in (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
        "UTC",
    )
]
JOIN_LINK_LEAD = timedelta(hours=1)
# Past this length an event's hours are not its duration (nights, breaks): staff set them.
LONGEST_EVENT_COUNTED_BY_LENGTH = timedelta(hours=12)
RESERVED_EVENT_SLUGS = {"past", "calendar", "series"}
# How long a waitlisted person has to take a place offered to them, unless staff say otherwise.
DEFAULT_WAITLIST_OFFER_HOURS = 24


REMINDER_LEADS = {
    ReminderOffset.WEEK: timedelta(days=7),
    ReminderOffset.THREE_DAYS: timedelta(days=3),
    ReminderOffset.DAY: timedelta(hours=24),
    ReminderOffset.TWO_HOURS: timedelta(hours=2),
    ReminderOffset.HOUR: timedelta(hours=1),
}
# What an event sends when staff have not chosen (today's 24-hour and 1-hour reminders for
# webinars and workshops; a week's notice for a National Meeting people travel to).
DEFAULT_REMINDERS = {
    "national_meeting": [ReminderOffset.WEEK, ReminderOffset.DAY],
    "webinar": [ReminderOffset.DAY, ReminderOffset.HOUR],
    "workshop": [ReminderOffset.DAY, ReminderOffset.HOUR],
}


class Topic(models.Model):
    """A subject events are filed under, e.g. 'Housing' or 'Mobility'; used by the filters."""

    name = models.CharField(max_length=80, unique=True, help_text="Shown in filters and on events.")
    slug = models.SlugField(max_length=80, unique=True, help_text="Used in filter links.")

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Speaker(index.Indexed, models.Model):
    """A person who speaks at events or leads a session."""

    name = models.CharField(max_length=120, help_text="Full name as it should appear.")
    role = models.CharField(
        max_length=160, blank=True, help_text="Title and organisation, e.g. 'Mayor of Akron'."
    )
    bio = models.TextField(blank=True, help_text="Two or three sentences.")

    panels = [FieldPanel("name"), FieldPanel("role"), FieldPanel("bio")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Event(index.Indexed, ClusterableModel):
    """A National Meeting, webinar or workshop that people register for."""

    class Kind(models.TextChoices):
        NATIONAL_MEETING = "national_meeting", "National Meeting"
        WEBINAR = "webinar", "Webinar"
        WORKSHOP = "workshop", "Workshop"

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.WEBINAR)
    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=120, unique=True, help_text="The address: /events/<slug>/. Keep it stable."
    )
    summary = models.CharField(
        max_length=300, help_text="One or two sentences for listings and the home page."
    )
    body = RichTextField(blank=True, help_text="What the event covers and who it is for.")
    starts_at = models.DateTimeField(help_text="Start, in the event's time zone below.")
    ends_at = models.DateTimeField(help_text="End, in the event's time zone below.")
    time_zone = models.CharField(
        max_length=40,
        choices=TIME_ZONE_CHOICES,
        default="America/New_York",
        help_text="Times are shown to everyone in this zone.",
    )
    is_online = models.BooleanField(default=False, help_text="Held online (webinars always are).")
    venue_name = models.CharField(
        max_length=160, blank=True, help_text="e.g. 'Cleveland Public Library'."
    )
    venue_address = models.CharField(max_length=300, blank=True, help_text="Street, city, state.")
    join_url = models.URLField(
        blank=True,
        help_text="Online meeting link. Shown only to registrants, from one hour before the start.",
    )
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Places available; leave empty for no limit."
    )
    registration_opens_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: registration is open as soon as published."
    )
    registration_closes_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: registration closes when the event starts."
    )
    price = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        help_text=(
            "Ticket price in USD for non-members; active members always register free. "
            "Used only while the event has no ticket types (below)."
        ),
    )
    max_guests = models.PositiveSmallIntegerField(
        "Guests per registrant",
        default=0,
        validators=[MaxValueValidator(GUESTS_MAX)],
        help_text=(
            "How many guests one registrant may bring (0: none). Guests take places from the "
            "capacity and from their ticket's quota, and pay the registrant's ticket price."
        ),
    )
    speakers = ParentalManyToManyField(Speaker, blank=True, related_name="events")
    topics = ParentalManyToManyField(Topic, blank=True, related_name="events")
    recording_url = models.URLField(
        blank=True, help_text="Library page with the recording (members only), once available."
    )
    send_reminders = models.BooleanField(
        default=True, help_text="Untick to send no reminders at all for this event."
    )
    # A list of ReminderOffset values (JSON, so the SQLite demo database takes it too).
    reminder_offsets = models.JSONField(
        null=True,
        blank=True,
        help_text="Reminders to registrants. Empty: the default for the kind of event.",
    )
    send_followup = models.BooleanField(
        "Send a post-event email",
        default=True,
        help_text=(
            "After the event ends, email registrants the recording and feedback links "
            "(when either is set)."
        ),
    )
    feedback_url = models.URLField(
        blank=True, help_text="A feedback form for attendees, linked in the post-event email."
    )
    learning_hours = models.DecimalField(
        "Continuing education hours",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=(
            "Hours an attendee earns, shown on their learning record and certificate. "
            "Empty: the event's length for events of up to 12 hours, else none."
        ),
    )
    recording_hours = models.DecimalField(
        "Recording hours",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=(
            "Hours a member earns for watching the recording through the site. "
            "Empty: the same hours as attending."
        ),
    )
    waitlist_offer_hours = models.PositiveSmallIntegerField(
        "Hours to accept a waitlist offer",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=(
            "When a place frees up, the first person on the waitlist is offered it by email "
            "and has this long to accept before it goes to the next. Empty: 24 hours."
        ),
    )
    is_published = models.BooleanField(default=True, help_text="Unpublished events are hidden.")
    # An occurrence of a series: series_date is the rule's date it was made for (kept when
    # staff move the occurrence), so making the occurrences again never duplicates one.
    series = models.ForeignKey(
        "events.EventSeries",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="occurrences",
        help_text="The series this event is one occurrence of, if any.",
    )
    series_date = models.DateField(null=True, blank=True, editable=False)
    cluster = models.ForeignKey(
        "members.Cluster",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The City Cluster holding it, if any: it is listed on the cluster's page.",
    )
    # Calendar bookkeeping: the UID never changes, SEQUENCE goes up on every change to what a
    # calendar shows, and the announced times tell whether registrants must hear of a change.
    uid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    calendar_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    announced_starts_at = models.DateTimeField(null=True, blank=True, editable=False)
    announced_ends_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    base_form_class = EventAdminForm
    panels = [
        TabbedInterface(
            [
                ObjectList(
                    [
                        FieldPanel("kind"),
                        FieldPanel("title"),
                        FieldPanel("slug"),
                        FieldPanel("summary"),
                        FieldPanel("body"),
                        FieldPanel("topics"),
                        FieldPanel("speakers"),
                        FieldPanel("cluster"),
                        FieldPanel("series"),
                        FieldPanel("is_published"),
                    ],
                    heading="Content",
                ),
                ObjectList(
                    [
                        MultiFieldPanel(
                            [
                                FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
                                FieldPanel("time_zone"),
                            ],
                            heading="When",
                        ),
                        MultiFieldPanel(
                            [
                                FieldPanel("is_online"),
                                FieldPanel("join_url"),
                                FieldPanel("venue_name"),
                                FieldPanel("venue_address"),
                            ],
                            heading="Where",
                        ),
                        InlinePanel(
                            "sessions", heading="Agenda (National Meetings)", label="Session"
                        ),
                    ],
                    heading="Schedule",
                ),
                ObjectList(
                    [
                        FieldPanel("capacity"),
                        FieldRowPanel(
                            [
                                FieldPanel("registration_opens_at"),
                                FieldPanel("registration_closes_at"),
                            ]
                        ),
                        FieldPanel("price"),
                        FieldPanel("max_guests"),
                        FieldPanel("waitlist_offer_hours"),
                        FieldPanel("learning_hours"),
                        FieldPanel("recording_hours"),
                        InlinePanel(
                            "ticket_types",
                            heading="Ticket types",
                            label="Ticket type",
                            help_text=(
                                "None: one ticket, free for members, at the price above for "
                                "everyone else."
                            ),
                        ),
                        InlinePanel(
                            "questions", heading="Registration questions", label="Question"
                        ),
                    ],
                    heading="Registration",
                ),
                ObjectList(
                    [
                        FieldPanel("send_reminders"),
                        FieldPanel("reminder_offsets"),
                        FieldPanel("send_followup"),
                        FieldPanel("recording_url"),
                        FieldPanel("feedback_url"),
                    ],
                    heading="Emails",
                ),
            ]
        )
    ]
    search_fields = [
        index.SearchField("title", boost=TITLE_BOOST),
        index.SearchField("summary", boost=SUMMARY_BOOST),
        index.SearchField("body"),
        index.AutocompleteField("title"),
        index.FilterField("is_published"),
        index.FilterField("starts_at"),
    ]

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["is_published", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="event_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["series", "series_date"],
                condition=Q(series__isnull=False, series_date__isnull=False),
                name="one_occurrence_per_series_date",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.slug in RESERVED_EVENT_SLUGS:
            raise ValidationError({"slug": f"'{self.slug}' is used by the site; pick another."})
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": "The end must come after the start."})

    def get_absolute_url(self):
        return reverse("events:detail", kwargs={"slug": self.slug})

    # Shape the home page cards expect.
    @property
    def url(self):
        return self.get_absolute_url()

    @property
    def kind_label(self):
        return self.get_kind_display()

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def local_starts_at(self):
        return timezone.localtime(self.starts_at, self.zone)

    @property
    def local_ends_at(self):
        return timezone.localtime(self.ends_at, self.zone)

    @property
    def when_label(self) -> str:
        start, end = self.local_starts_at, self.local_ends_at
        day = f"{start:%a %-d %b %Y}"
        if start.date() != end.date():
            return f"{start:%-d %b} – {end:%-d %b %Y}"
        return f"{day}, {start:%-I:%M %p} – {end:%-I:%M %p %Z}"

    @property
    def location_label(self) -> str:
        if self.is_online:
            return "Online"
        return ", ".join(part for part in (self.venue_name, self.venue_address) if part)

    @property
    def google_calendar_url(self) -> str:
        fmt = "%Y%m%dT%H%M%SZ"
        query = urlencode(
            {
                "action": "TEMPLATE",
                "text": self.title,
                "dates": f"{self.starts_at.astimezone(UTC):{fmt}}/{self.ends_at.astimezone(UTC):{fmt}}",
                "details": f"{self.summary}\n\n{settings.SITE_URL}{self.get_absolute_url()}",
                "location": self.location_label,
                "ctz": self.time_zone,
            }
        )
        return f"https://calendar.google.com/calendar/render?{query}"

    @property
    def outlook_calendar_url(self) -> str:
        query = urlencode(
            {
                "path": "/calendar/action/compose",
                "rru": "addevent",
                "subject": self.title,
                "startdt": self.starts_at.astimezone(UTC).isoformat(),
                "enddt": self.ends_at.astimezone(UTC).isoformat(),
                "body": f"{self.summary}\n\n{settings.SITE_URL}{self.get_absolute_url()}",
                "location": self.location_label,
            }
        )
        return f"https://outlook.live.com/calendar/0/deeplink/compose?{query}"

    def is_free_for(self, *, is_member: bool) -> bool:
        """Whether the implicit ticket of an event without ticket types costs nothing."""
        return is_member or self.price <= 0

    def ticket_price(self, ticket_type, *, is_member: bool) -> Decimal:
        """What one place costs this person: the chosen type's price, or without ticket
        types, the event's price for non-members and nothing for members."""
        if ticket_type is not None:
            return ticket_type.price_for(is_member=is_member)
        return Decimal("0") if self.is_free_for(is_member=is_member) else self.price

    def registration_state(self, now=None) -> str:
        """'not_yet', 'open' or 'closed', from the registration window."""
        now = now or timezone.now()
        if self.registration_opens_at and now < self.registration_opens_at:
            return "not_yet"
        closes = self.registration_closes_at or self.starts_at
        return "open" if now < closes else "closed"

    def join_link_visible(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(self.join_url) and self.starts_at - JOIN_LINK_LEAD <= now <= self.ends_at

    def is_past(self, now=None) -> bool:
        return self.ends_at < (now or timezone.now())

    @property
    def reminders(self) -> list[str]:
        """The reminder offsets this event sends: what staff chose, else its kind's default."""
        if not self.send_reminders:
            return []
        if self.reminder_offsets is None:
            return list(DEFAULT_REMINDERS.get(self.kind, []))
        return list(self.reminder_offsets)

    @property
    def offer_hours(self) -> int:
        """Hours a waitlisted person has to accept a place offered: staff's, else the default."""
        return self.waitlist_offer_hours or DEFAULT_WAITLIST_OFFER_HOURS

    @property
    def recording_credit_hours(self) -> Decimal:
        """Hours for watching the recording: what staff set, else those for attending."""
        if self.recording_hours is not None:
            return self.recording_hours
        return self.credit_hours

    @property
    def safe_recording_url(self) -> str:
        """The recording address if it is one to send people to: http(s), or a path on this
        site; anything else (javascript:, //elsewhere) is none."""
        url = self.recording_url.strip()
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            return url
        on_this_site = url.startswith("/") and not url.startswith(("//", "/\\"))
        if not parts.scheme and not parts.netloc and on_this_site:
            return url
        return ""

    @property
    def credit_hours(self) -> Decimal:
        """Continuing education hours for attending: what staff set, or the length of a
        same-day event to the quarter hour."""
        if self.learning_hours is not None:
            return self.learning_hours
        length = self.ends_at - self.starts_at
        if length > LONGEST_EVENT_COUNTED_BY_LENGTH:
            return Decimal("0")
        return Decimal(round(length / timedelta(minutes=15))) / 4


class EventSession(Orderable):
    """One slot on a National Meeting's agenda."""

    event = ParentalKey(Event, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField(help_text="In the event's time zone.")
    ends_at = models.DateTimeField(help_text="In the event's time zone.")
    room = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    speaker = models.ForeignKey(
        Speaker, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )

    panels = [
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldPanel("room"),
        FieldPanel("speaker"),
        FieldPanel("description"),
    ]

    class Meta(Orderable.Meta):
        pass

    @property
    def local_starts_at(self):
        return timezone.localtime(self.starts_at, self.event.zone)

    @property
    def local_ends_at(self):
        return timezone.localtime(self.ends_at, self.event.zone)


class Registration(models.Model):
    """One person's place (or place in the queue) at an event."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        WAITLISTED = "waitlisted", "On the waitlist"
        # Offered a freed place from the waitlist: the place is held until offer_expires_at.
        OFFERED = "offered", "Offered a place"
        PENDING_PAYMENT = "pending_payment", "Awaiting payment"
        CANCELLED = "cancelled", "Cancelled"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_registrations"
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    amount_paid = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    # Ticket types and guests: the type chosen (none for an event without types), the guests
    # (each takes a place and pays the same price), and what the whole party owes.
    ticket_type = models.ForeignKey(
        "events.TicketType",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registrations",
    )
    ticket_name = models.CharField(max_length=80, blank=True)  # kept if the type is deleted
    guests = models.PositiveSmallIntegerField(default=0)
    guest_names = models.JSONField(default=list, blank=True)
    amount_due = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    # Answers to the event's registration questions: {"<question id>": "answer"}.
    answers = models.JSONField(default=dict, blank=True)
    stripe_checkout_session_id = models.CharField(max_length=255, blank=True)
    stripe_checkout_url = models.URLField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # First click on the site's join link (the online attendance a check-in stands for).
    joined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        permissions = [
            ("view_attendees", "Can see an event's attendee list"),
            ("check_in_attendees", "Can check attendees in"),
            ("export_attendees", "Can download an event's attendee CSV"),
        ]
        constraints = [
            # No double registration: one live registration per person and event.
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=~Q(status="cancelled"),
                name="one_live_registration_per_person",
            )
        ]
        indexes = [
            models.Index(fields=["event", "status", "created_at"]),
            models.Index(
                fields=["offer_expires_at"],
                condition=Q(status="offered"),
                name="open_waitlist_offers",
            ),
        ]

    def __str__(self):
        return f"{self.user} at {self.event} ({self.get_status_display()})"

    @property
    def is_live(self) -> bool:
        return self.status != self.Status.CANCELLED

    @property
    def places(self) -> int:
        """Places this registration takes: the registrant and their guests."""
        return 1 + self.guests

    @property
    def ticket_label(self) -> str:
        """The ticket's current name, or the one it had if staff since deleted the type."""
        return self.ticket_type.name if self.ticket_type else self.ticket_name

    def answer_to(self, question) -> str:
        return self.answers.get(str(question.pk), "")

    @property
    def attended(self) -> bool:
        """Checked in on the day, or joined online through the site's join link."""
        return self.status == self.Status.CONFIRMED and bool(self.checked_in_at or self.joined_at)


class RegistrationEmail(models.Model):
    """One email owed to one registration. The unique (registration, kind) pair and the
    sent_at column make every send exactly-once, however often the task runs."""

    class Kind(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmation"
        WAITLISTED = "waitlisted", "Waitlist place"
        PROMOTED = "promoted", "Promoted from the waitlist"
        OFFER = "offer", "Waitlist offer: a place to accept"
        OFFER_EXPIRED = "offer_expired", "Waitlist offer lapsed"
        PENDING_PAYMENT = "pending_payment", "Payment pending"
        CANCELLED = "cancelled", "Cancellation"
        WEEK_BEFORE = "7d", "Reminder 7 days before"
        THREE_DAYS_BEFORE = "3d", "Reminder 3 days before"
        DAY_BEFORE = "24h", "Reminder 24 hours before"
        TWO_HOURS_BEFORE = "2h", "Reminder 2 hours before"
        HOUR_BEFORE = "1h", "Reminder 1 hour before"
        FOLLOWUP = "followup", "After the event: recording and feedback"

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="emails")
    # One of Kind, or "update-<sequence>" for a change of time.
    kind = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    skipped = models.BooleanField(
        default=False, help_text="Settled without sending (no longer relevant)."
    )
    # A failed send waits for next_attempt_at; failed_at settles it for good (the address was
    # refused, or every attempt failed), so one bad address never holds up the others.
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registration", "kind"], name="one_email_per_kind")
        ]
        indexes = [
            models.Index(fields=["sent_at"], condition=Q(sent_at=None), name="unsent_emails")
        ]

    def __str__(self):
        return f"{self.kind} for registration {self.registration_id}"
