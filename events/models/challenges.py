"""Prize Challenges: the challenge, its weighted criteria, entries and their judging."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import (
    FieldPanel,
    InlinePanel,
    MultiFieldPanel,
)
from wagtail.fields import RichTextField
from wagtail.models import Orderable
from wagtail.search import index

from core.files import private_storage
from core.pages import SUMMARY_BOOST, TITLE_BOOST
from vitals.models import Dividend


class Challenge(index.Indexed, ClusterableModel):
    """A Prize Challenge: members propose and implement a strategy; judges pick winners."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=120, unique=True, help_text="The address: /challenges/<slug>/."
    )
    summary = models.CharField(max_length=300, help_text="One or two sentences for listings.")
    prize = models.CharField(
        max_length=200, help_text="e.g. '$25,000 and a National Meeting keynote'."
    )
    body = RichTextField(blank=True, help_text="The problem and what a good entry looks like.")
    eligibility = RichTextField(blank=True, help_text="Who may enter.")
    rules = RichTextField(blank=True, help_text="How entries are made and judged.")
    announced_at = models.DateTimeField(help_text="When the challenge is announced.")
    opens_at = models.DateTimeField(help_text="Submissions open.")
    closes_at = models.DateTimeField(help_text="The deadline: submissions lock at this moment.")
    winners_announced_at = models.DateTimeField(help_text="When winners are announced.")
    winners_published = models.BooleanField(
        default=False, help_text="Show winners and finalists in the showcase."
    )
    is_published = models.BooleanField(default=True)
    dividend = models.CharField(
        max_length=16,
        choices=Dividend.choices,
        blank=True,
        help_text="The City Dividend this challenge works toward: it is then listed on that "
        "dividend's pages under “Who is working on this”.",
    )

    panels = [
        FieldPanel("title"),
        FieldPanel("slug"),
        FieldPanel("summary"),
        FieldPanel("prize"),
        FieldPanel("body"),
        FieldPanel("eligibility"),
        FieldPanel("rules"),
        FieldPanel("dividend"),
        MultiFieldPanel(
            [
                FieldPanel("announced_at"),
                FieldPanel("opens_at"),
                FieldPanel("closes_at"),
                FieldPanel("winners_announced_at"),
            ],
            heading="Timeline",
        ),
        InlinePanel("criteria", heading="Judging criteria", label="Criterion", min_num=1),
        FieldPanel("winners_published"),
        FieldPanel("is_published"),
    ]
    search_fields = [
        index.SearchField("title", boost=TITLE_BOOST),
        index.SearchField("summary", boost=SUMMARY_BOOST),
        index.SearchField("body"),
        index.AutocompleteField("title"),
        index.FilterField("is_published"),
    ]

    class Meta:
        ordering = ["-opens_at"]
        permissions = [("view_challenge_results", "Can see a challenge's ranked results")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("events:challenge_detail", kwargs={"slug": self.slug})

    def phase(self, now=None) -> str:
        """'announced', 'open', 'judging' or 'winners'."""
        now = now or timezone.now()
        if now < self.opens_at:
            return "announced"
        if now < self.closes_at:
            return "open"
        if now < self.winners_announced_at or not self.winners_published:
            return "judging"
        return "winners"

    def is_open(self, now=None) -> bool:
        return self.phase(now) == "open"

    def timeline(self, now=None) -> list[dict]:
        now = now or timezone.now()
        current = self.phase(now)
        steps = [
            ("announced", "Announced", self.announced_at),
            ("open", "Open for entries", self.opens_at),
            ("judging", "Judging", self.closes_at),
            ("winners", "Winners announced", self.winners_announced_at),
        ]
        order = [key for key, _, _ in steps]
        return [
            {
                "key": key,
                "label": label,
                "at": at,
                "state": (
                    "current"
                    if key == current
                    else "done"
                    if order.index(key) < order.index(current)
                    else "upcoming"
                ),
            }
            for key, label, at in steps
        ]


class Criterion(Orderable):
    """A judging criterion and its weight in the total."""

    challenge = ParentalKey(Challenge, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    weight = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Relative weight, e.g. 40 for 40%.",
    )

    panels = [FieldPanel("name"), FieldPanel("description"), FieldPanel("weight")]

    def __str__(self):
        return f"{self.name} ({self.weight})"


def submission_upload_to(instance, filename):
    return f"challenges/{instance.submission.challenge_id}/{uuid.uuid4().hex}/{filename}"


ATTACHMENT_EXTENSIONS = ["pdf", "docx", "xlsx", "pptx", "png", "jpg", "jpeg", "csv"]
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


class Submission(models.Model):
    """A member's (or team's) entry to a challenge: a draft until submitted."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    class Award(models.TextChoices):
        NONE = "", "None"
        FINALIST = "finalist", "Finalist"
        WINNER = "winner", "Winner"

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="submissions")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="challenge_submissions"
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="team_submissions"
    )
    title = models.CharField(max_length=200)
    city = models.CharField(max_length=120)
    summary = models.TextField(max_length=1000)
    plan = models.TextField(blank=True)
    budget = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    award = models.CharField(max_length=12, choices=Award.choices, default="", blank=True)
    howto = models.TextField(
        blank=True, help_text="The how-to write-up shown in the showcase for winners and finalists."
    )

    panels = [
        FieldPanel("title", read_only=True),
        FieldPanel("city", read_only=True),
        FieldPanel("award"),
        FieldPanel("howto"),
    ]

    class Meta:
        ordering = ["challenge", "title"]
        permissions = [("view_submission_files", "Can download any entry's attachments")]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "owner"], name="one_entry_per_owner")
        ]

    def __str__(self):
        return f"{self.title} ({self.challenge})"

    def get_absolute_url(self):
        return reverse("events:challenge_submit", kwargs={"slug": self.challenge.slug})


class TeamInvitation(models.Model):
    """An entry's leader asks someone, by email address, to join the team.

    Nothing changes for the invitee until they accept, signed in with that address: until
    then they see nothing of the entry and keep their own. An invitation ends when it is
    accepted, declined, withdrawn by the leader, or at `expires_at` (a week, or the deadline
    if sooner).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Expired"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254, help_text="The invited address, in lower case.")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The link in the email names the invitation by this random key (ids are sequential).
    key = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    # Set once the email is handed over, so a task run twice sends it once; null with
    # `skip_email` when a recent invitation to the same address already went out.
    sent_at = models.DateTimeField(null=True, blank=True)
    skip_email = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "email"],
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_address",
            )
        ]

    def __str__(self):
        return f"{self.email} invited to {self.submission}"

    def state(self, now=None) -> str:
        """The status, with 'expired' for a pending invitation past its time."""
        now = now or timezone.now()
        if self.status == self.Status.PENDING and self.expires_at <= now:
            return self.Status.EXPIRED
        return self.status

    def is_open(self, now=None) -> bool:
        return self.state(now) == self.Status.PENDING


class SubmissionAttachment(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(
        upload_to=submission_upload_to,
        storage=private_storage,  # PRIVATE_MEDIA_ROOT: only attachment_download hands it out
        validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS)],
    )
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class JudgeAssignment(models.Model):
    """Staff assign a judge to a submission; the judge scores it on each criterion."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="assignments")
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="judge_assignments"
    )
    conflict_of_interest = models.BooleanField(default=False)
    conflict_note = models.CharField(max_length=300, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [FieldPanel("submission"), FieldPanel("judge")]

    class Meta:
        ordering = ["submission__challenge", "submission__title"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "judge"], name="one_assignment_per_judge")
        ]

    def __str__(self):
        return f"{self.judge} judges {self.submission}"

    def clean(self):
        if self.submission_id and self.judge_id:
            submission = self.submission
            if (
                submission.owner_id == self.judge_id
                or submission.team.filter(pk=self.judge_id).exists()
            ):
                raise ValidationError({"judge": "A judge cannot judge their own entry."})


class Score(models.Model):
    assignment = models.ForeignKey(JudgeAssignment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    value = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(10)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "criterion"], name="one_score_per_criterion"
            )
        ]

    def __str__(self):
        return f"{self.value}/10 on criterion {self.criterion_id}"
