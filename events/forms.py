from django import forms
from django.core.validators import FileExtensionValidator, validate_email

from .models import ATTACHMENT_EXTENSIONS, Event, Submission, Topic


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
