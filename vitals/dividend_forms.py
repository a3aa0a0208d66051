"""Forms of the City Dividends pages: the visitor's steps, and staff's new constants version."""

from decimal import Decimal

from django import forms

from .dividends import Steps
from .models import DividendConstants, Edition, Metro, PeerGroup

MAX_POINTS = Decimal("10")
MAX_MILES = Decimal("10")


def _step_field(*, label: str, unit: str, maximum: Decimal, why: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0.1"),
        max_value=maximum,
        max_digits=4,
        decimal_places=1,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
        error_messages={
            "invalid": f"Enter a number of {unit}, such as 2 or 1.5.",
            "min_value": f"Enter a step of at least 0.1 {unit}: a step must be more than zero.",
            "max_value": f"Enter at most {maximum:g} {unit}: {why}",
            "max_digits": f"Enter at most {maximum:g} {unit}: {why}",
            "max_whole_digits": f"Enter at most {maximum:g} {unit}: {why}",
            "max_decimal_places": "Use at most one decimal place, such as 1.5.",
        },
    )


class StepsForm(forms.Form):
    """The change a visitor tries: read from the query string, so it works without JavaScript.

    An empty field means the current constants' default step.
    """

    attainment = _step_field(
        label="Points more adults with a four-year degree",
        unit="percentage points",
        maximum=MAX_POINTS,
        why="the slope is estimated from differences between metros of a few points, so it "
        "says little about larger changes.",
    )
    miles = _step_field(
        label="Miles less driven per resident per day",
        unit="miles",
        maximum=MAX_MILES,
        why="the average resident drives about 25 miles a day, and the cost per mile assumes "
        "small changes.",
    )
    poverty = _step_field(
        label="Points less poverty",
        unit="percentage points",
        maximum=MAX_POINTS,
        why="no metro's poverty rate has fallen that far in a decade, and the spending figure "
        "assumes small changes.",
    )

    def steps(self, constants: DividendConstants) -> Steps:
        """The steps asked for, or the defaults where a field is empty or the form invalid."""
        return self.steps_over(Steps.default(constants))

    def steps_over(self, defaults: Steps) -> Steps:
        """The steps asked for, or `defaults` where a field is empty or the form invalid."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return Steps(
            attainment_points=data.get("attainment") or defaults.attainment_points,
            miles=data.get("miles") or defaults.miles,
            poverty_points=data.get("poverty") or defaults.poverty_points,
        )


class ScenarioForm(StepsForm):
    """A member saves the scenario a dividends page shows: its metro, steps, peer group and
    edition come as hidden fields; the name is theirs to give."""

    metro = forms.ModelChoiceField(
        queryset=Metro.objects.all(),
        to_field_name="slug",
        error_messages={
            "required": "Say which metro the scenario is for.",
            "invalid_choice": "We do not know that metro.",
        },
    )
    peer = forms.SlugField(required=False, max_length=40)
    edition = forms.SlugField(required=False, max_length=40)
    name = forms.CharField(
        label="Name it (optional)",
        required=False,
        max_length=80,
        error_messages={"max_length": "Keep the name to %(limit_value)d characters."},
    )

    def clean_peer(self) -> PeerGroup | None:
        slug = self.cleaned_data.get("peer")
        if not slug:
            return None
        group = PeerGroup.objects.filter(slug=slug).first()
        if group is None:
            raise forms.ValidationError("We do not know that peer group.")
        return group

    def clean_edition(self) -> Edition | None:
        slug = self.cleaned_data.get("edition")
        if not slug:
            return None
        edition = (
            Edition.objects.filter(slug=slug, published_at__isnull=False)
            .select_related("dividend_constants")
            .first()
        )
        if edition is None:
            raise forms.ValidationError("We do not know that edition.")
        return edition


class DividendConstantsForm(forms.ModelForm):
    """A new version of the constants; it starts from the current one."""

    class Meta:
        model = DividendConstants
        fields = [
            "cost_per_mile",
            "cost_per_mile_source",
            "cost_per_mile_year",
            "poverty_spending",
            "poverty_spending_source",
            "poverty_spending_year",
            "talent_step",
            "green_step",
            "opportunity_step",
            "reason",
        ]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        cleaned = super().clean()
        for name in ["cost_per_mile", "poverty_spending"]:
            if cleaned.get(name) is not None and cleaned[name] <= 0:
                self.add_error(name, "Enter an amount above zero.")
        for name in ["talent_step", "green_step", "opportunity_step"]:
            value = cleaned.get(name)
            if value is not None and not Decimal("0.1") <= value <= MAX_POINTS:
                self.add_error(name, "Enter a step between 0.1 and 10.")
        for name in ["cost_per_mile_year", "poverty_spending_year"]:
            year = cleaned.get(name)
            if year is not None and not 1950 <= year <= 2100:
                self.add_error(name, "Enter the year of the figure, such as 2024.")
        return cleaned
