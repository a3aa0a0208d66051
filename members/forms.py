from django import forms
from django.contrib.auth import get_user_model
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from .models import DIRECTORY_FIELDS, PHOTO_MAX_BYTES, Profile, Sector

User = get_user_model()
PRIVACY_FIELDS = [f"show_{field}" for field in DIRECTORY_FIELDS]


class ProfileForm(forms.ModelForm):
    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, label="Last name")

    class Meta:
        model = Profile
        fields = [
            "title",
            "organisation",
            "sector",
            "home_metro",
            "home_city",
            "bio",
            "photo",
            "website_url",
            "social_url",
            "directory_opt_in",
            *PRIVACY_FIELDS,
            "accepts_messages",
        ]
        labels = {
            "home_metro": "Home metro",
            "home_city": "City or town",
            "website_url": "Website",
            "social_url": "Social profile",
            "directory_opt_in": "List me in the National Network directory",
        }
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 5}),
            "photo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_metro"].queryset = self.fields["home_metro"].queryset.order_by("name")
        self.fields["sector"].choices = [("", "Choose your sector"), *Sector.choices]
        self.fields["home_metro"].empty_label = "Not in a listed metro"
        help_texts = {
            "home_metro": "The City Vitals metro you work in.",
            "home_city": "If your place is not one of the metros, e.g. 'Bend, OR'.",
            "directory_opt_in": "Only signed-in members see the directory. Your name is shown; "
            "choose below what else is.",
        }
        for name, text in help_texts.items():
            if name in self.fields:
                self.fields[name].help_text = text
        self.order_fields(["first_name", "last_name"])

    def about_fields(self):
        """What the person says about themselves (the privacy choices come apart)."""
        return [field for field in self if field.name not in PRIVACY_FIELDS]

    def privacy_fields(self):
        """One checkbox per field other members may see."""
        return [self[name] for name in PRIVACY_FIELDS]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and hasattr(photo, "content_type") and photo.size > PHOTO_MAX_BYTES:
            raise forms.ValidationError("The photo is larger than 3 MB.")
        return photo


class WelcomeForm(ProfileForm):
    """The welcome step after signing up: a name, sector, metro and the directory choices."""

    class Meta(ProfileForm.Meta):
        fields = ["sector", "home_metro", "directory_opt_in", *PRIVACY_FIELDS]


class PlainSelect(forms.Select):
    """Django's <select> for flat choices, its options joined in Python: Django renders each
    option through a template include, and the directory's metro and city lists grow with
    the members listed (40 metros took 3 ms of every render of /network/)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = (
            (option["value"], " selected" if option["selected"] else "", option["label"])
            for _group, group_options, _index in widget["optgroups"]
            for option in group_options
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            format_html_join("", '<option value="{}"{}>{}</option>', options),
        )


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Name or organisation", max_length=100)
    sector = forms.ChoiceField(required=False, choices=[("", "All sectors"), *Sector.choices])
    metro = forms.ChoiceField(
        required=False, label="Metro", choices=[("", "All metros")], widget=PlainSelect
    )
    city = forms.ChoiceField(
        required=False, label="Other city", choices=[("", "All cities")], widget=PlainSelect
    )

    def __init__(self, *args, metros: list[tuple[str, str]], cities: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metro"].choices = [("", "All metros"), *metros]
        self.fields["city"].choices = [("", "All cities"), *((c, c) for c in cities)]
        if not cities:
            del self.fields["city"]


class PersonField(forms.EmailField):
    def clean(self, value):
        email = super().clean(value)
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError("No account uses that email address.")
        return user


class ComplimentaryGrantForm(forms.Form):
    person = PersonField(label="Email address of the account")
    until = forms.DateField(
        required=False,
        label="Until (optional)",
        help_text="Leave empty for a membership without an end date.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(max_length=300, help_text="e.g. 'Keynote speaker, 2027 meeting'.")


class ComplimentaryRevokeForm(forms.Form):
    person = PersonField(label="Email address of the account")
    reason = forms.CharField(max_length=300)


class SeatForm(forms.Form):
    email = forms.EmailField(label="Colleague's email address")


class AccountDeleteForm(forms.Form):
    """Deleting an account needs the password again and an explicit tick."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand that my account and my data are deleted for good.", required=True
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class MemberMessageForm(forms.Form):
    subject = forms.CharField(max_length=120, label="Subject")
    body = forms.CharField(
        max_length=3000,
        label="Message",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="3,000 characters at most. They see your name and, when they reply, your "
        "email address.",
    )


class MessageReportForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        required=False,
        label="What is wrong with it? (optional)",
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ClusterUpdateForm(forms.Form):
    body = forms.CharField(
        max_length=1000,
        label="Post an update",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A short note for the cluster: the next meeting, a win, a call for help.",
    )


class ClusterInviteForm(forms.Form):
    email = forms.EmailField(
        label="Invite someone by email",
        help_text="They get an email with a link to join; only members can accept.",
    )
