from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PreviewableMixin

from core.emails import email_context

from . import email_copy
from .email_copy import validate_placeholders

PHOTO_MAX_BYTES = 3 * 1024 * 1024
PHOTO_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]


class Sector(models.TextChoices):
    PUBLIC = "public", "Public sector"
    PRIVATE = "private", "Private sector"
    NONPROFIT = "nonprofit", "Nonprofit"
    ACADEMIC = "academic", "Academic"
    CIVIC = "civic", "Civic / community"
    MEDIA = "media", "Media"
    PHILANTHROPY = "philanthropy", "Philanthropy"
    OTHER = "other", "Other"


def grace_period() -> timedelta:
    return timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)


UNNAMED_MEMBER = "A civicnet member"  # shown for a person who has not given a name


class Profile(models.Model):
    """What a person tells the network about themselves."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    home_city = models.CharField(
        max_length=120, blank=True, help_text="The city the person works for, e.g. 'Cleveland, OH'."
    )
    home_metro = models.ForeignKey(
        "vitals.Metro",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The City Vitals metro the person works in.",
    )
    title = models.CharField(
        max_length=120, blank=True, help_text="Job title, e.g. 'Chief of staff'."
    )
    organisation = models.CharField(max_length=160, blank=True)
    sector = models.CharField(max_length=16, choices=Sector.choices, blank=True)
    bio = models.TextField(
        max_length=800, blank=True, help_text="A few sentences, 800 characters at most."
    )
    photo = models.ImageField(
        upload_to="profiles/",
        blank=True,
        validators=[FileExtensionValidator(PHOTO_EXTENSIONS)],
        help_text="JPEG, PNG or WebP, 3 MB at most; resized to 400 pixels square.",
    )
    website_url = models.URLField(blank=True, help_text="Your or your organisation's website.")
    social_url = models.URLField(blank=True, help_text="LinkedIn, Mastodon, Bluesky or similar.")
    directory_opt_in = models.BooleanField(
        default=False,
        help_text="List me in the National Network directory (seen only by members).",
    )
    # What a listed person shows other members besides their name, field by field. Nothing
    # shows unless directory_opt_in is on; see directory_card() and DIRECTORY_FIELDS.
    show_organisation = models.BooleanField("Organisation", default=True)
    show_title = models.BooleanField("Job title", default=True)
    show_city = models.BooleanField("Metro or city", default=True)
    show_sector = models.BooleanField("Sector", default=True)
    show_bio = models.BooleanField("Bio", default=True)
    show_photo = models.BooleanField("Photo", default=True)
    show_links = models.BooleanField("Website and social links", default=True)
    accepts_messages = models.BooleanField(
        "Let members write to me",
        default=True,
        help_text="Members can send you a message from your directory profile. Your address "
        "is never shown to them; you see theirs when you reply.",
    )
    # When the person went through (or skipped) the welcome step after signing up: it is
    # offered once.
    welcomed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["directory_opt_in", "sector"])]

    def __str__(self):
        return f"Profile of {self.user}"

    def get_absolute_url(self) -> str:
        return reverse("members:profile", args=[self.user.username])

    @property
    def display_name(self) -> str:
        # Never the username: it is generated from the address, not a name the person chose.
        return self.user.get_full_name() or UNNAMED_MEMBER

    @property
    def place(self) -> str:
        return self.home_metro.name if self.home_metro_id else self.home_city

    def shows(self, field: str) -> bool:
        """Does this person show `field` (a DIRECTORY_FIELDS key) to other members?"""
        return getattr(self, f"show_{field}")

    def hidden_fields(self) -> list[str]:
        """Labels of the fields this person keeps from other members, for their own pages."""
        return [label for field, label in DIRECTORY_FIELDS.items() if not self.shows(field)]

    def directory_card(self, *, everything: bool = False) -> "DirectoryCard":
        """What other members see of this person: only the fields they chose to show.

        Every page that shows a person to others (directory, profile, cluster roster) renders
        this card, never the profile itself. everything=True is for the person's own pages.
        """
        user = self.user

        def shown(field: str, value):
            return value if everything or self.shows(field) else type(value)()

        return DirectoryCard(
            username=user.username,
            name=self.display_name,
            initials=f"{user.first_name[:1]}{user.last_name[:1]}".upper() or "·",
            photo_url=shown("photo", self.photo.url if self.photo else ""),
            title=shown("title", self.title),
            organisation=shown("organisation", self.organisation),
            sector=shown("sector", self.get_sector_display() if self.sector else ""),
            place=shown("city", self.place),
            bio=shown("bio", self.bio),
            website_url=shown("links", self.website_url),
            social_url=shown("links", self.social_url),
        )


# The fields a listed person may show or hide, each with a `show_<key>` flag on Profile.
DIRECTORY_FIELDS = {
    "organisation": "Organisation",
    "title": "Job title",
    "city": "Metro or city",
    "sector": "Sector",
    "bio": "Bio",
    "photo": "Photo",
    "links": "Website and social links",
}


@dataclass(frozen=True)
class DirectoryCard:
    """One person as the directory shows them (built by Profile.directory_card)."""

    username: str
    name: str
    initials: str
    photo_url: str
    title: str
    organisation: str
    sector: str
    place: str
    bio: str
    website_url: str
    social_url: str


class Plan(models.Model):
    """A membership plan members can buy; staff edit them as snippets."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        ORGANISATION = "organisation", "Organisation"

    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"
        YEAR = "year", "Yearly"

    name = models.CharField(
        max_length=80, help_text="Shown on the membership page, e.g. 'Individual'."
    )
    slug = models.SlugField(unique=True, help_text="Used in the checkout address.")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.INDIVIDUAL)
    interval = models.CharField(max_length=8, choices=Interval.choices, default=Interval.YEAR)
    price_cents = models.PositiveIntegerField(help_text="Price per interval in US cents.")
    seats = models.PositiveSmallIntegerField(
        default=1, help_text="How many named people the membership covers, its admin included."
    )
    stripe_price_id = models.CharField(
        max_length=80, blank=True, help_text="The Stripe Price id (price_...) this plan bills."
    )
    trial_days = models.PositiveSmallIntegerField(
        default=0,
        help_text="Free days before the first charge when joining through Stripe; 0 for none.",
    )
    description = models.TextField(blank=True, help_text="One or two sentences under the price.")
    is_active = models.BooleanField(default=True, help_text="Offered on the membership page.")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "price_cents"]

    def __str__(self):
        return f"{self.name} ({self.get_interval_display().lower()})"

    @property
    def price_label(self) -> str:
        dollars = self.price_cents / 100
        amount = f"${dollars:,.0f}" if self.price_cents % 100 == 0 else f"${dollars:,.2f}"
        return f"{amount} a {self.interval}"


def membership_active_q(prefix: str = "", now=None) -> models.Q:
    """ "The membership is active", as conditions on the membership reached by `prefix`
    (e.g. "user__membership__"): a join where a filter on `active()` would be a subquery."""
    now = now or timezone.now()
    status = Membership.Status
    return models.Q(**{f"{prefix}status__in": [status.ACTIVE, status.CANCELED]}) & (
        models.Q(**{f"{prefix}current_period_end__isnull": True})
        | models.Q(**{f"{prefix}current_period_end__gt": now})
    ) | models.Q(
        **{f"{prefix}status": status.PAST_DUE, f"{prefix}past_due_since__gt": now - grace_period()}
    )


class MembershipQuerySet(models.QuerySet):
    def active(self, now=None):
        return self.filter(membership_active_q(now=now))


class Membership(models.Model):
    """A person's paid (or complimentary) membership and its current state."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due (grace period)"
        CANCELED = "canceled", "Canceled (active until period end)"
        EXPIRED = "expired", "Expired"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.EXPIRED)
    current_period_end = models.DateTimeField(null=True, blank=True)
    is_complimentary = models.BooleanField(default=False)
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT)
    stripe_customer_id = models.CharField(max_length=80, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=80, blank=True, db_index=True)
    past_due_since = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The period end a renewal reminder was sent for: one reminder per period, however often
    # the task runs.
    renewal_reminder_sent_for = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["status", "current_period_end"])]
        permissions = [
            ("view_members_report", "Can see the members report and download its CSV"),
            ("grant_complimentary", "Can grant and revoke complimentary memberships"),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_status_display()})"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        if self.status == self.Status.EXPIRED:
            return False
        if self.status == self.Status.PAST_DUE:
            return self.past_due_since is not None and self.past_due_since + grace_period() > now
        return self.current_period_end is None or self.current_period_end > now

    @property
    def access_until(self):
        if self.status == self.Status.PAST_DUE and self.past_due_since:
            return self.past_due_since + grace_period()
        return self.current_period_end


class Seat(models.Model):
    """A named person covered by an organisation membership, added by its admin."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="seats")
    email = models.EmailField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "membership", models.functions.Lower("email"), name="members_seat_unique_email"
            )
        ]
        ordering = ["added_at"]

    def __str__(self):
        return self.email


class MembershipEvent(models.Model):
    """The audit history: every change of a membership, who or what made it and why."""

    class Source(models.TextChoices):
        STRIPE = "stripe", "Stripe"
        STAFF = "staff", "Staff"
        SYSTEM = "system", "Scheduled task"

    # Stripe's subscription.cancellation_details: why it ended, and what the member said.
    class CancellationReason(models.TextChoices):
        REQUESTED = "cancellation_requested", "The member cancelled"
        PAYMENT_FAILED = "payment_failed", "Payment failed"
        PAYMENT_DISPUTED = "payment_disputed", "Payment disputed"

    class CancellationFeedback(models.TextChoices):
        TOO_EXPENSIVE = "too_expensive", "Too expensive"
        MISSING_FEATURES = "missing_features", "Missing features"
        SWITCHED_SERVICE = "switched_service", "Switched to another service"
        UNUSED = "unused", "Not using it enough"
        CUSTOMER_SERVICE = "customer_service", "Customer service"
        TOO_COMPLEX = "too_complex", "Too complex"
        LOW_QUALITY = "low_quality", "Quality was lower than expected"
        OTHER = "other", "Other reason"

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="history")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stripe_event_id = models.CharField(max_length=80, blank=True)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    current_period_end = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    # Set on the change that cancelled a Stripe subscription (to "canceled" or "expired").
    cancellation_reason = models.CharField(
        max_length=32, choices=CancellationReason.choices, blank=True
    )
    cancellation_feedback = models.CharField(
        max_length=32, choices=CancellationFeedback.choices, blank=True
    )
    cancellation_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.membership.user}: {self.from_status or '-'} → {self.to_status}"


class StripeEvent(models.Model):
    """Each Stripe webhook event processed, recorded in the transaction of its change."""

    event_id = models.CharField(max_length=80, unique=True)
    type = models.CharField(max_length=80)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.event_id} ({self.type})"


class Cluster(models.Model):
    """A City Cluster: members of one metro or region organising locally."""

    name = models.CharField(max_length=120, help_text="e.g. 'Greater Cleveland'.")
    slug = models.SlugField(unique=True)
    region = models.CharField(
        max_length=120, help_text="The metro or region it covers, e.g. 'Cleveland, OH'."
    )
    metro = models.ForeignKey(
        "vitals.Metro",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The City Vitals metro it covers, if it is one metro.",
    )
    description = models.TextField(help_text="What the cluster works on and how it meets.")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_clusters",
        help_text="The member who convenes the cluster.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ClusterMembership", related_name="clusters", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("members:cluster", args=[self.slug])


class ClusterMembership(models.Model):
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cluster_memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "user"], name="members_cluster_once")
        ]

    def __str__(self):
        return f"{self.user} in {self.cluster}"


class JoinRequest(models.Model):
    """Someone asked to join without paying online; staff approve it into a membership."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for staff"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    name = models.CharField(max_length=150)
    email = models.EmailField()
    organisation = models.CharField(max_length=160, blank=True)
    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="join_requests"
    )
    message = models.TextField(max_length=2000, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="join_requests",
        help_text="The account that asked, when the person was signed in.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Set once both emails (staff, and the person's confirmation) went out: a task that runs
    # twice sends nothing twice.
    emails_sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_note = models.TextField(blank=True, help_text="Why it was approved or declined.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("review_joinrequest", "Can approve or decline join requests")]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class RetentionEmail(models.Model):
    """One retention email sent (a renewal reminder, the lapse note, the win-back, a failed
    payment): each kind goes once per membership period, however often the daily task runs.
    `period_end` is the period's key: its end, the lapse date, or the start of the grace
    period for the payment emails."""

    class Kind(models.TextChoices):
        RENEWS_IN_30_DAYS = "renew_30", "Renewal reminder, 30 days before"
        RENEWS_IN_7_DAYS = "renew_7", "Renewal reminder, 7 days before"
        ENDS_IN_3_DAYS = "renew_3", "Monthly plan ending, 3 days before"
        LAPSED = "lapsed", "Membership lapsed"
        WIN_BACK = "win_back", "Win-back, 30 days after lapsing"
        PAYMENT_FAILED = "pay_failed", "Payment failed, at once"
        PAYMENT_LAST_CALL = "pay_last_call", "Payment failed, before the grace period ends"

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="retention_emails"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    period_end = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "kind", "period_end"], name="one_retention_email_per_period"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.membership_id} ({self.period_end:%Y-%m-%d})"


class RetentionEmailText(PreviewableMixin, models.Model):
    """The subject and words of one retention email, which staff edit (a snippet). Each kind
    has one; the defaults are in members.email_copy."""

    kind = models.CharField(
        max_length=16, choices=RetentionEmail.Kind.choices, unique=True, editable=False
    )
    subject = models.CharField(
        max_length=150, validators=[validate_placeholders], help_text=email_copy.HELP
    )
    body = models.TextField(
        validators=[validate_placeholders],
        help_text="Plain text; a blank line starts a new paragraph and addresses become links. "
        + email_copy.HELP,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = "retention email"

    def __str__(self):
        return self.get_kind_display()

    # Previewed as the email a member would get, with a made-up member's details.
    SAMPLE = {
        "first_name": "Ana",
        "plan": "Individual",
        "ends_on": "3 March 2027",
        "renews_or_ends": "renews on 3 March 2027 at $120 a year",
        "portal_url": "https://civicnet.example/membership/billing/",
        "account_url": "https://civicnet.example/account/",
        "join_url": "https://civicnet.example/membership/",
    }

    def get_preview_template(self, request, mode_name):
        return "members/email/retention.html"

    def get_preview_context(self, request, mode_name):
        try:
            body = email_copy.fill(self.body, self.SAMPLE)
        except (KeyError, ValueError, IndexError):
            body = self.body  # the form shows what is wrong with it
        return email_context({"body": body, "subject": self.subject})


# Currencies Stripe counts in whole units, not hundredths (its "zero-decimal" list).
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)


def money_units(amount: float, currency: str) -> float:
    """An amount in Stripe's smallest unit of the currency, in the currency's own units."""
    return amount if currency.lower() in ZERO_DECIMAL_CURRENCIES else amount / 100


def money_display(amount: float, currency: str, *, decimals: int = 2) -> str:
    """ "1,234.50 USD" (never a bare "$": amounts in several currencies sit side by side)."""
    places = 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else decimals
    return f"{money_units(amount, currency):,.{places}f} {currency.upper()}"


class Payment(models.Model):
    """Money Stripe reported for a membership: a paid invoice, or a refund (the amount taken
    back, positive). The dashboard's revenue is the sum of these, never a plan's price."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="payments")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The invoice (in_…) of a payment, the refund (re_…) of a refund: each is recorded once.
    # A charge's refunded total that no refund event has itemised yet is "<charge id>:refunded".
    stripe_id = models.CharField(max_length=80, unique=True)
    # A refund's charge (ch_…): charge.refunded and refund.created meet on it.
    stripe_charge_id = models.CharField(max_length=80, blank=True, db_index=True)
    # In the currency's smallest unit, as Stripe counts it (cents; whole yen for JPY).
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    first = models.BooleanField(
        default=False, help_text="The membership's first payment (new revenue, not recurring)."
    )
    months = models.PositiveSmallIntegerField(
        default=1, help_text="The months a payment pays for (12 for a yearly plan): for MRR."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    stripe_event_id = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["membership", "kind", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount_display}"

    @property
    def amount_display(self) -> str:
        sign = "−" if self.kind == self.Kind.REFUND else ""
        return f"{sign}{money_display(self.amount_cents, self.currency)}"


class MemberMessage(models.Model):
    """A message one member sent another through their directory profile. The email goes
    to the recipient with the sender's address as Reply-To; this row is the log (and what
    staff read when the recipient reports it)."""

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="messages_sent",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="messages_received",
    )
    subject = models.CharField(max_length=120)
    body = models.TextField(max_length=3000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Set when the email went out: the task that sends it may run twice.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.sender} to {self.recipient}, {self.created_at:%Y-%m-%d %H:%M}"


class MessageReport(models.Model):
    """The recipient of a member message reported it as abuse; staff review it."""

    message = models.OneToOneField(MemberMessage, on_delete=models.CASCADE, related_name="report")
    reason = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    reviewed_at = models.DateTimeField(
        null=True, blank=True, help_text="When staff looked into it; empty while it waits."
    )
    staff_note = models.TextField(blank=True, help_text="What was done about it.")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        message = self.message
        return f"{message.sender or 'Deleted account'} to {message.recipient or 'deleted account'}: {message.subject}"


class ClusterUpdate(models.Model):
    """A short note the cluster's lead posts on the cluster page for its members."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.cluster}: {self.body[:40]}"


class ClusterInvitation(models.Model):
    """The lead invited someone by email to join the cluster; the email's signed link accepts."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.email} to {self.cluster}"
