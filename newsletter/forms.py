from django import forms
from django.utils import timezone

from .models import Topic


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    topics = forms.MultipleChoiceField(
        label="What would you like to hear about?",
        choices=Topic.choices,
        initial=[topic.value for topic in Topic],
        widget=forms.CheckboxSelectMultiple,
        required=True,
        error_messages={"required": "Choose at least one topic."},
    )
    allows_tracking = forms.BooleanField(
        label="Count when I open the newsletter or follow its links",
        required=False,
        initial=True,
        help_text="Helps us learn what is useful. We keep only times and counts, never where "
        "you are or what you use; untick it and your copies carry plain links and no image.",
    )
    # Left empty by people; bots fill every field they find.
    website = forms.CharField(required=False, label="Leave this field empty")


class PreferencesForm(forms.Form):
    topics = forms.MultipleChoiceField(
        label="Send me the newsletter about",
        choices=Topic.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Untick everything to stop the newsletter.",
    )
    allows_tracking = forms.BooleanField(
        label="Count when I open the newsletter or follow its links",
        required=False,
        initial=True,
        help_text="Helps us learn what is useful. We keep only times and counts, never where "
        "you are or what you use; untick it and your copies carry plain links and no image.",
    )


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label="Send at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text="In the site's time zone.",
    )

    def clean_send_at(self):
        value = self.cleaned_data["send_at"]
        if value <= timezone.now():
            raise forms.ValidationError("Pick a time in the future, or use Send now.")
        return value


class TestSendForm(forms.Form):
    email = forms.EmailField(label="Send a test to", max_length=254)
