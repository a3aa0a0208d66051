from django import forms

from .importing import STATE_REGIONS
from .selectors import POPULATION_BANDS, WEIGHT_CHOICES

REGIONS = ["Northeast", "Midwest", "South", "West", "Puerto Rico"]
SORT_DIRECTIONS = [("asc", "ascending"), ("desc", "descending")]


class RankingsForm(forms.Form):
    """The rankings page's GET form: filters, sorting and the indicator weights."""

    q = forms.CharField(label="Find your metro", required=False, max_length=100)
    year = forms.TypedChoiceField(label="Data up to", required=False, coerce=int, empty_value=None)
    peer = forms.ChoiceField(label="Peer group", required=False)
    region = forms.ChoiceField(
        label="Region", required=False, choices=[("", "All regions"), *[(r, r) for r in REGIONS]]
    )
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "All states"), *[(s, s) for s in sorted(STATE_REGIONS)]],
    )
    band = forms.ChoiceField(
        label="Population",
        required=False,
        choices=[("", "Any size"), *[(k, v[0]) for k, v in POPULATION_BANDS.items()]],
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)
    dir = forms.ChoiceField(required=False, choices=SORT_DIRECTIONS, widget=forms.HiddenInput)

    def __init__(self, data, *, years, peer_groups, indicators):
        super().__init__(data)
        self.fields["year"].choices = [("", "Latest")] + [(y, str(y)) for y in years]
        self.fields["peer"].choices = [(g.slug, g.name) for g in peer_groups]
        self.indicators = indicators
        for indicator in indicators:
            self.fields[f"w_{indicator.code}"] = forms.TypedChoiceField(
                label=indicator.name,
                required=False,
                coerce=int,
                empty_value=1,
                choices=[
                    (w, {0: "0 (leave out)", 1: "1 (standard)"}.get(w, str(w)))
                    for w in WEIGHT_CHOICES
                ],
            )

    def weight_fields(self):
        return [self[f"w_{indicator.code}"] for indicator in self.indicators]

    def filter_fields(self):
        return [self[name] for name in ("year", "peer", "region", "state", "band")]

    def cleaned(self, name, default=None):
        if not self.is_valid():
            return self.initial_value(name, default)
        value = self.cleaned_data.get(name)
        return default if value in (None, "") else value

    def initial_value(self, name, default):
        field = self.fields.get(name)
        if field is None:
            return default
        try:
            value = field.clean(self.data.get(name, ""))
        except forms.ValidationError:
            return default
        return default if value in (None, "") else value
