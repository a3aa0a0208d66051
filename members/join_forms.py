from django import forms

from .joining import APPROVE_COMPLIMENTARY, APPROVE_INVOICED
from .models import JoinRequest, Plan


class JoinRequestForm(forms.ModelForm):
    """Asking to join when the site takes no payments online."""

    # Bots fill every field; people never see this one.
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    class Meta:
        model = JoinRequest
        fields = ["name", "email", "organisation", "plan", "message"]
        labels = {
            "name": "Your name",
            "email": "Email address",
            "organisation": "Organisation (optional)",
            "plan": "Plan",
            "message": "Anything we should know? (optional)",
        }
        widgets = {"message": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = Plan.objects.filter(is_active=True)
        self.fields["plan"].empty_label = "Not sure yet"
        self.fields[
            "email"
        ].help_text = (
            "Use the address of your civicnet account, or the one you will create it with."
        )

    def cleaned_data_for_request(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            raise forms.ValidationError("Leave the last field empty: it is there to stop robots.")
        return cleaned


class JoinRequestDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            (APPROVE_INVOICED, "Approve: invoiced membership (we bill them)"),
            (APPROVE_COMPLIMENTARY, "Approve: complimentary membership (no charge)"),
            ("decline", "Decline (nobody is emailed)"),
        ],
        widget=forms.RadioSelect,
    )
    until = forms.DateField(
        required=False,
        label="Membership ends (optional)",
        help_text="Empty: one plan interval for an invoiced membership, no end for a "
        "complimentary one.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        required=False,
        max_length=300,
        help_text="Kept in the membership history, e.g. 'Invoice 2031-014 sent'.",
    )
