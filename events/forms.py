from django import forms
from django.core.validators import FileExtensionValidator, validate_email

from .models import (
    ANSWER_MAX_LENGTH,
    ATTACHMENT_EXTENSIONS,
    Event,
    RegistrationQuestion,
    Submission,
    Topic,
)
from .models.tickets import price_label
from .services.tickets import GUEST_NAME_MAX_LENGTH, TicketChoice


class EventFilterForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "All types"), *Event.Kind.choices], required=False, label="Type"
    )
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="All topics",
    )


class SubmissionForm(forms.ModelForm):
    team_emails = forms.CharField(
        required=False,
        label="Invite teammates",
        help_text="Email addresses, one per line. Each person gets an invitation to accept; "
        "teams are open to active members.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    attachment = forms.FileField(
        required=False,
        validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS)],
        help_text=f"Optional. {', '.join(ATTACHMENT_EXTENSIONS).upper()}; 10 MB at most.",
    )

    class Meta:
        model = Submission
        fields = ["title", "city", "summary", "plan", "budget"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "plan": forms.Textarea(attrs={"rows": 10}),
        }
        labels = {"budget": "Budget (USD)"}

    def __init__(self, *args, can_invite: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_invite:
            del self.fields["team_emails"]  # only the entry's leader invites

    def clean_team_emails(self):
        """Addresses to invite. Only their form is checked, the same way for every address:
        whether someone has an account or a membership is theirs to know, not the leader's."""
        emails = []
        for email in self.cleaned_data["team_emails"].replace(",", " ").split():
            try:
                validate_email(email)
            except forms.ValidationError:
                raise forms.ValidationError(
                    "Enter email addresses only, one per line (for example name@example.org)."
                ) from None
            emails.append(email.lower())
        return emails


class ScoreForm(forms.Form):
    def __init__(self, *args, criteria, initial_scores=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"criterion_{criterion.pk}"] = forms.IntegerField(
                min_value=0,
                max_value=10,
                label=f"{criterion.name} (weight {criterion.weight})",
                help_text=criterion.description,
                initial=(initial_scores or {}).get(criterion.pk),
            )

    def values(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"criterion_{c.pk}"] for c in self.criteria}


class ConflictForm(forms.Form):
    note = forms.CharField(
        max_length=300, label="Describe the conflict", widget=forms.Textarea(attrs={"rows": 2})
    )


class CertificateRevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        label="Why it is revoked",
        help_text="Shown on the certificate's public verification page.",
    )


class RegistrationForm(forms.Form):
    """A ticket (when the event has types), guests (when staff allow them) and the event's
    questions. The services check all of it again with the event locked."""

    def __init__(self, *args, event: Event, offers, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.offers = {offer.pk: offer for offer in offers}
        self.questions = list(questions)
        if offers:
            choices = []
            for offer in offers:
                label = f"{offer.name}: {price_label(offer.price)}"
                if offer.ticket_type.description:
                    label += f" ({offer.ticket_type.description})"
                if offer.left == 0:
                    label += " · full, waitlist" if offer.price <= 0 else " · sold out"
                elif offer.left is not None:
                    label += f" · {offer.left} left"
                choices.append((str(offer.pk), label))
            self.fields["ticket_type"] = forms.ChoiceField(
                label="Ticket",
                choices=choices,
                widget=forms.RadioSelect,
                initial=choices[0][0] if len(choices) == 1 else None,
                error_messages={"required": "Choose a ticket."},
            )
        if event.max_guests:
            self.fields["guests"] = forms.IntegerField(
                label="Guests",
                min_value=0,
                max_value=event.max_guests,
                initial=0,
                required=False,
                help_text=(
                    f"Up to {event.max_guests}. Each guest takes a place and pays what "
                    "your ticket costs."
                ),
            )
            self.fields["guest_names"] = forms.CharField(
                label="Guest names",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Optional, one per line: for their name badges.",
            )
        for question in self.questions:
            if question.kind == RegistrationQuestion.Kind.CHOICE:
                field = forms.ChoiceField(
                    choices=[("", "Choose…")] + [(c, c) for c in question.choices],
                    error_messages={
                        "invalid_choice": "Choose one of the options.",
                    },
                )
            else:
                field = forms.CharField(max_length=ANSWER_MAX_LENGTH)
            field.label = question.label
            field.required = question.required
            field.error_messages["required"] = "Please answer this question."
            self.fields[question.field_name] = field

    def clean_guests(self):
        return self.cleaned_data.get("guests") or 0

    def clean_guest_names(self):
        names = [line.strip() for line in self.cleaned_data["guest_names"].splitlines()]
        names = [name for name in names if name]
        if any(len(name) > GUEST_NAME_MAX_LENGTH for name in names):
            raise forms.ValidationError(f"Keep each name under {GUEST_NAME_MAX_LENGTH} characters.")
        return names

    def clean(self):
        cleaned = super().clean()
        names = cleaned.get("guest_names") or []
        if "guests" in cleaned and len(names) > cleaned["guests"]:
            self.add_error("guest_names", "Give at most one name per guest.")
        return cleaned

    def choice(self) -> TicketChoice:
        """What was chosen, for the services (call after is_valid())."""
        data = self.cleaned_data
        offer = self.offers.get(int(data["ticket_type"])) if "ticket_type" in data else None
        return TicketChoice(
            ticket_type=offer.ticket_type if offer else None,
            guests=data.get("guests", 0),
            guest_names=tuple(data.get("guest_names", ())),
            answers={
                str(q.pk): data.get(q.field_name, "")
                for q in self.questions
                if data.get(q.field_name)
            },
        )

    def price_of(self, choice: TicketChoice):
        """The price per place this person sees for the chosen ticket."""
        return self.offers[choice.ticket_type.pk].price if choice.ticket_type else None
