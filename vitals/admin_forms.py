"""Forms of City Vitals' Wagtail admin screens."""

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from .importing import UNIT_MAXIMUM, UNIT_WORDS
from .services import national_figure_save


class NationalFigureForm(WagtailAdminModelForm):
    """A national figure, added or corrected by staff. A correction of the value or margin of
    error needs a reason: the earlier figure is kept with who, when and why."""

    reason = forms.CharField(
        label="Why the figure changes",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='Needed when you correct the value or margin of error, e.g. "The Census '
        'Bureau revised the 2019 estimate (errata note 123)". The earlier figure is kept; '
        "published editions keep the figure they froze.",
    )

    def clean(self):
        data = super().clean()
        indicator, value = data.get("indicator"), data.get("value")
        moe = data.get("margin_of_error")
        if indicator is not None and value is not None:
            maximum = UNIT_MAXIMUM[indicator.unit]
            if not 0 <= value <= maximum:
                self.add_error(
                    "value",
                    f"A {UNIT_WORDS[indicator.unit]} must lie between 0 and {maximum:,g}"
                    + (" (a share: 0.25 for 25%)." if indicator.unit == "share" else "."),
                )
        if moe is not None and moe < 0:
            self.add_error("margin_of_error", "A margin of error cannot be negative.")
        corrected = self.instance.pk is not None and (value, moe) != (
            self.instance.value,
            self.instance.margin_of_error,
        )
        if corrected and not data.get("reason", "").strip():
            self.add_error("reason", "Say why the figure is corrected: the reason is kept.")
        return data

    def save(self, commit=True):
        figure = super().save(commit=False)
        if commit:
            national_figure_save(
                figure=figure, user=self.for_user, reason=self.cleaned_data.get("reason", "")
            )
        return figure
