"""Ticket types and registration questions: what staff set per event, inline on its page.

An event without ticket types works as it always has: one implicit ticket, free for active
members, at the event's own price for everyone else. With ticket types, a registrant picks one;
each has its prices, perhaps a quota of places and perhaps a members-only restriction. The
event's capacity stays the ceiling over all types (quotas may add up to more than it).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.models import Orderable

ANSWER_MAX_LENGTH = 500
GUESTS_MAX = 20  # the most guests staff may allow one registrant


class TicketType(Orderable):
    """One kind of ticket for an event, e.g. 'Member', 'Non-member' or 'Workshop add-on'."""

    event = ParentalKey("events.Event", on_delete=models.CASCADE, related_name="ticket_types")
    name = models.CharField(max_length=80, help_text="Shown to registrants, e.g. 'Member'.")
    description = models.CharField(
        max_length=200, blank=True, help_text="Optional: what this ticket includes."
    )
    member_price = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Price in USD for active members (0: free).",
    )
    non_member_price = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Price in USD for everyone else (0: free). Ignored for members-only tickets.",
    )
    quota = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=(
            "Places for this ticket, guests included; empty: no limit but the event's "
            "capacity, which always holds over all tickets."
        ),
    )
    members_only = models.BooleanField(
        default=False, help_text="Only active members see and can choose this ticket."
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("member_price"), FieldPanel("non_member_price")]),
        FieldRowPanel([FieldPanel("quota"), FieldPanel("members_only")]),
    ]

    class Meta(Orderable.Meta):
        pass

    def __str__(self):
        return self.name

    def price_for(self, *, is_member: bool) -> Decimal:
        return self.member_price if is_member else self.non_member_price

    def available_to(self, *, is_member: bool) -> bool:
        return is_member or not self.members_only

    @property
    def prices_label(self) -> str:
        """e.g. 'free for members · $120.00 for non-members', for the event page."""
        member, other = price_label(self.member_price), price_label(self.non_member_price)
        if self.members_only:
            return f"members only, {member}"
        if member == other:
            return member
        return f"{member} for members · {other} for non-members"


def price_label(price: Decimal) -> str:
    return f"${price}" if price > 0 else "free"


class RegistrationQuestion(Orderable):
    """A question staff ask everyone who registers for an event (e.g. dietary needs)."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        CHOICE = "choice", "Choice"

    event = ParentalKey("events.Event", on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(max_length=200, help_text="The question, e.g. 'Dietary needs'.")
    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
        default=Kind.TEXT,
        help_text="Text: a free answer. Choice: one of the options below.",
    )
    options = models.TextField(
        blank=True, help_text="For a choice question: the options, one per line."
    )
    required = models.BooleanField(default=False, help_text="Registrants must answer it.")

    panels = [
        FieldRowPanel([FieldPanel("label"), FieldPanel("kind")]),
        FieldPanel("options"),
        FieldPanel("required"),
    ]

    class Meta(Orderable.Meta):
        pass

    def __str__(self):
        return self.label

    @property
    def choices(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    @property
    def field_name(self) -> str:
        return f"question_{self.pk}"

    def clean(self):
        if self.kind == self.Kind.CHOICE and len(self.choices) < 2:
            raise ValidationError({"options": "A choice question needs at least two options."})

    def check_answer(self, answer: str) -> str:
        """The answer as stored, or ValidationError: required ones answered, a choice one of
        the options."""
        answer = (answer or "").strip()
        if not answer:
            if self.required:
                raise ValidationError(f"Please answer '{self.label}'.")
            return ""
        if self.kind == self.Kind.CHOICE and answer not in self.choices:
            raise ValidationError(f"Choose one of the options for '{self.label}'.")
        return answer[:ANSWER_MAX_LENGTH]
