from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import FileExtensionValidator

from members.selectors import membership_is_active

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
        label="Team members",
        help_text="Email addresses of teammates, one per line. Each must be an active member.",
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

    def clean_team_emails(self):
        emails = {e.strip().lower() for e in self.cleaned_data["team_emails"].split() if e.strip()}
        users = list(get_user_model().objects.filter(email__in=emails))
        found = {user.email.lower() for user in users}
        missing = sorted(emails - found)
        if missing:
            raise forms.ValidationError(f"No account for: {', '.join(missing)}.")
        lapsed = sorted(user.email for user in users if not membership_is_active(user))
        if lapsed:
            raise forms.ValidationError(f"Not active members: {', '.join(lapsed)}.")
        return users


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
