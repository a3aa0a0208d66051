from django import forms

from .importing import STATE_REGIONS
from .models import MAX_PEER_METROS, Metro, PeerGroup
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


class _Rows:
    """A queryset's rows, read on first use and then kept (for choice fields that share them)."""

    def __init__(self, queryset):
        self.queryset = queryset
        self._rows = None

    def __iter__(self):
        if self._rows is None:
            self._rows = list(self.queryset)
        return iter(self._rows)


def _rows_iterator(rows: _Rows):
    class RowsIterator(forms.models.ModelChoiceIterator):
        def __iter__(self):
            if self.field.empty_label is not None:
                yield ("", self.field.empty_label)
            for obj in rows:
                yield self.choice(obj)

        def __len__(self):
            return len(list(rows)) + (self.field.empty_label is not None)

    return RowsIterator


class PeerChoiceForm(forms.Form):
    """My metro's settings: which metro, compared with a peer group or a list of metros."""

    GROUP, LIST = "group", "list"

    metro = forms.ModelChoiceField(
        label="Metro",
        queryset=Metro.objects.only("slug", "name").order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="My home metro (from my profile)",
    )
    compare_with = forms.ChoiceField(
        label="Compare with",
        choices=[(GROUP, "A peer group"), (LIST, "Metros I choose")],
        widget=forms.RadioSelect,
        initial=GROUP,
    )
    peer_group = forms.ModelChoiceField(
        label="Peer group",
        queryset=PeerGroup.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=None,
    )
    peer_metros = forms.ModelMultipleChoiceField(
        label=f"Peer metros (up to {MAX_PEER_METROS})",
        queryset=Metro.objects.only("slug", "name").order_by("name"),
        to_field_name="slug",
        required=False,
        help_text="Hold Ctrl (Cmd on a Mac) to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )

    def __init__(self, *args, home_metro: Metro | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.home_metro = home_metro
        # Each list is read once, when first drawn (Django's choice fields read it each time
        # it is iterated); the two metro pickers share theirs.
        metros = _Rows(self.fields["metro"].queryset)
        groups = _Rows(self.fields["peer_group"].queryset)
        for name, rows in [("metro", metros), ("peer_metros", metros), ("peer_group", groups)]:
            self.fields[name].iterator = _rows_iterator(rows)
            self.fields[name].widget.choices = self.fields[name].choices
        if home_metro is not None:
            self.fields["metro"].empty_label = f"My home metro: {home_metro.name}"

    def clean(self):
        data = super().clean()
        metro = data.get("metro") or self.home_metro
        if metro is None and "metro" not in self.errors:
            self.add_error("metro", "Choose a metro: your profile names no home metro.")
        if data.get("compare_with") == self.LIST:
            peers = [m for m in data.get("peer_metros") or [] if metro is None or m != metro]
            if not peers and "peer_metros" not in self.errors:
                self.add_error("peer_metros", "Choose at least one peer metro.")
            if len(peers) > MAX_PEER_METROS:
                self.add_error(
                    "peer_metros",
                    f"Choose at most {MAX_PEER_METROS} peer metros (you chose {len(peers)}).",
                )
            data["peer_group"], data["peer_metros"] = None, peers
        elif data.get("compare_with") == self.GROUP:
            if data.get("peer_group") is None and "peer_group" not in self.errors:
                self.add_error("peer_group", "Choose a peer group.")
            data["peer_metros"] = []
        return data

    @classmethod
    def initial_for(cls, choice) -> dict:
        """The form as the person last saved it (a new person starts on the default group)."""
        if choice is None:
            return {"compare_with": cls.GROUP}
        return {
            "metro": choice.metro,
            "compare_with": cls.GROUP if choice.peer_group_id else cls.LIST,
            "peer_group": choice.peer_group,
            "peer_metros": list(choice.peer_metros.all()),
        }
