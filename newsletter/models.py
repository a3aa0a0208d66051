"""Newsletter data: who subscribed, who must never be mailed, editions and their deliveries."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import PreviewableMixin

from members.models import Sector

from .blocks import EditionBodyBlock
from .rendering import edition_context


class Topic(models.TextChoices):
    RESEARCH = "research", "Research"
    EVENTS = "events", "Events"
    CHALLENGES = "challenges", "Prize Challenges"
    MEMBER_NEWS = "member_news", "Member news"


TOPIC_FIELDS = {
    Topic.RESEARCH: "wants_research",
    Topic.EVENTS: "wants_events",
    Topic.CHALLENGES: "wants_challenges",
    Topic.MEMBER_NEWS: "wants_member_news",
}


class Subscriber(models.Model):
    """One address on the list. Pending until the confirmation link is used (double opt-in)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        SUBSCRIBED = "subscribed", "Subscribed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    class Source(models.TextChoices):
        FORM = "form", "Sign-up form"
        ACCOUNT = "account", "Account email preferences"
        STAFF = "staff", "Added by staff"

    email = models.EmailField(max_length=254, unique=True, help_text="Stored in lower case.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.FORM)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="newsletter_subscriptions",
        help_text="The account with this address, when there is one.",
    )
    wants_research = models.BooleanField("Research", default=True)
    wants_events = models.BooleanField("Events", default=True)
    wants_challenges = models.BooleanField("Prize Challenges", default=True)
    wants_member_news = models.BooleanField("Member news", default=True)
    allows_tracking = models.BooleanField(
        "Count my opens and clicks",
        default=True,
        help_text="Off: their copies carry plain links and no tracking image.",
    )
    # The confirmation link carries this nonce; clearing it makes the link single-use.
    confirmation_nonce = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # The edition whose unsubscribe link they used (None: another way, or before this was kept).
    unsubscribed_from_edition = models.ForeignKey(
        "Edition", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["status", "id"], name="newsletter_sub_status_id")]
        ordering = ["email"]

    def __str__(self):
        return self.email

    def clean(self):
        self.email = (self.email or "").strip().lower()

    @property
    def topics(self) -> list[str]:
        return [topic for topic, field in TOPIC_FIELDS.items() if getattr(self, field)]

    @property
    def topic_labels(self) -> list[str]:
        return [Topic(topic).label for topic in self.topics]


class Suppression(models.Model):
    """An address no newsletter goes to again: a hard bounce, a complaint, or staff's call."""

    class Reason(models.TextChoices):
        BOUNCE = "bounce", "Hard bounce"
        COMPLAINT = "complaint", "Spam complaint"
        MANUAL = "manual", "Recorded by staff"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribed at the mail provider"

    email = models.EmailField(
        max_length=254, unique=True, help_text="The address to stop mailing (stored in lower case)."
    )
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.MANUAL)
    note = models.CharField(
        max_length=300, blank=True, help_text="Optional: what happened, for the record."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [FieldPanel("email"), FieldPanel("reason"), FieldPanel("note")]

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} ({self.get_reason_display()})"

    def clean(self):
        self.email = (self.email or "").strip().lower()


class Edition(PreviewableMixin, models.Model):
    """One issue of the newsletter. Editors write it here, preview it, test it, then send it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        PAUSED = "paused", "Paused"
        SENT = "sent", "Sent"

    class Audience(models.TextChoices):
        ALL = "all", "All subscribers"
        MEMBERS = "members", "Active members only"
        CLUSTER = "cluster", "One City Cluster"
        SECTOR = "sector", "Members of one sector"
        ENGAGED = "engaged", "Subscribers who opened or clicked lately"

    subject = models.CharField(max_length=150, help_text="The email's subject line.")
    preheader = models.CharField(
        max_length=200,
        blank=True,
        help_text="The line mail apps show after the subject in the inbox.",
    )
    body = StreamField(
        EditionBodyBlock(),
        help_text="Intro, featured posts, upcoming events, a City Vitals highlight, a call to action.",
    )
    audience = models.CharField(
        max_length=20,
        choices=Audience.choices,
        default=Audience.ALL,
        help_text="Who receives it. Unsubscribed and suppressed addresses never do. 'Opened or "
        "clicked lately' means within NEWSLETTER_ENGAGED_DAYS (90 by default), and also takes in "
        "those who opted out of counting and those who joined within that time.",
    )
    cluster = models.ForeignKey(
        "members.Cluster",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For the 'One City Cluster' audience: the cluster's people.",
    )
    sector = models.CharField(
        max_length=16,
        choices=Sector.choices,
        blank=True,
        help_text="For the 'Members of one sector' audience: active members in this sector.",
    )
    topic = models.CharField(
        max_length=20,
        choices=Topic.choices,
        blank=True,
        help_text="Optional: only subscribers who chose this topic.",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    scheduled_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    prepared_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What was sent, frozen when sending starts: every recipient and the web version agree.
    rendered_html = models.TextField(blank=True, editable=False)
    rendered_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        FieldPanel("subject"),
        FieldPanel("preheader"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("audience"),
                FieldPanel("cluster"),
                FieldPanel("sector"),
                FieldPanel("topic"),
            ],
            heading="Audience",
        ),
    ]

    class Meta:
        ordering = ["-created_at"]
        permissions = [("send_edition", "Can send editions, test sends included")]

    def __str__(self):
        return self.subject

    def get_absolute_url(self):
        return reverse("newsletter:web_version", kwargs={"pk": self.pk})

    def clean(self):
        if self.audience == self.Audience.CLUSTER and not self.cluster_id:
            raise ValidationError({"cluster": "Choose the City Cluster to send to."})
        if self.audience == self.Audience.SECTOR and not self.sector:
            raise ValidationError({"sector": "Choose the sector to send to."})
        if self.audience == self.Audience.ENGAGED and not settings.NEWSLETTER_TRACKING:
            raise ValidationError(
                {"audience": "Opens and clicks are not counted on this site (NEWSLETTER_TRACKING)."}
            )

    @property
    def is_editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.SCHEDULED}

    @property
    def is_public(self) -> bool:
        """Sent to every subscriber, with no topic filter: anyone may read it on the web."""
        return self.audience == self.Audience.ALL and not self.topic

    # --- Wagtail preview: the email as recipients will see it --------------------------------
    def get_preview_template(self, request, mode_name):
        return "newsletter/email/edition.html"

    def get_preview_context(self, request, mode_name):
        return edition_context(self, unsubscribe_url="#unsubscribe-preview")


class Delivery(models.Model):
    """One edition to one address. The unique key makes a repeated send a no-op."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed"

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(
        Subscriber, null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    email = models.EmailField(max_length=254)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    # Engagement, when the subscriber and the site allow counting it (no address, no agent).
    opens = models.PositiveIntegerField(default=0)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    clicks = models.PositiveIntegerField(default=0)
    first_clicked_at = models.DateTimeField(null=True, blank=True)
    last_engaged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "email"], name="newsletter_delivery_edition_email_unique"
            )
        ]
        indexes = [
            models.Index(fields=["edition", "status", "subscriber"], name="newsletter_dlv_claim"),
            models.Index(fields=["edition", "sent_at"], name="newsletter_dlv_sent_at"),
            models.Index(fields=["subscriber", "last_engaged_at"], name="newsletter_dlv_engaged"),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self):
        return f"{self.edition_id} → {self.email}: {self.status}"


class EditionLink(models.Model):
    """A link in an edition's HTML: each copy points it at a signed redirect of its own."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="links")
    url = models.CharField(max_length=2000)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["edition", "url"], name="newsletter_link_edition_url")
        ]

    def __str__(self):
        return self.url


class LinkClick(models.Model):
    """Who clicked which link of their copy: one row per delivery and link, counted up."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="link_clicks")
    link = models.ForeignKey(EditionLink, on_delete=models.CASCADE, related_name="clicks")
    clicks = models.PositiveIntegerField(default=1)
    first_clicked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "link"], name="newsletter_linkclick_delivery_link"
            )
        ]

    def __str__(self):
        return f"{self.delivery_id} → {self.link_id}: {self.clicks}"


class BatchLease(models.Model):
    """A send batch that has started: its worker renews `heartbeat_at` every few seconds.

    A batch whose heartbeat has gone quiet belongs to a dead worker (its row locks died with
    its database connection), so beat re-enqueues it at once instead of waiting for the
    broker's visibility timeout. The row is deleted when the batch returns.
    """

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="batch_leases")
    low = models.BigIntegerField()
    high = models.BigIntegerField()
    heartbeat_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "low", "high"], name="newsletter_batchlease_range_unique"
            )
        ]
        indexes = [models.Index(fields=["heartbeat_at"], name="newsletter_lease_heartbeat")]

    def __str__(self):
        return f"{self.edition_id} [{self.low}, {self.high}] @ {self.heartbeat_at}"
