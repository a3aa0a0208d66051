"""City Vitals: metros, indicators and their figures, and the ranks computed from them.

Figures arrive by import (`manage.py import_vitals`, or the admin's import screen) and
ranks are computed once per import into `Ranking`, never per request.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse


class Area(models.TextChoices):
    """City Vitals' six areas. Every indicator belongs to one."""

    TALENT = "talent", "Talent"
    INNOVATION = "innovation", "Innovation"
    CONNECTIONS = "connections", "Connections"
    DISTINCTIVENESS = "distinctiveness", "Distinctiveness"
    CORE_VITALITY = "core_vitality", "Core Vitality"
    METROPOLITAN_PERFORMANCE = "metropolitan_performance", "Metropolitan Performance"


class Source(models.Model):
    """Where figures come from: one statistical product of one publisher."""

    code = models.SlugField(
        max_length=64, unique=True, help_text="Stable identifier used in import files."
    )
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=300)
    url = models.URLField(max_length=500)
    licence = models.CharField(max_length=300)
    obtained_via = models.CharField(
        max_length=500,
        blank=True,
        help_text="For readers: how we got the figures when not straight from the publisher.",
    )
    series = models.CharField(
        max_length=100,
        blank=True,
        help_text="The survey and method its figures belong to, e.g. 'ACS 1-year'. Figures of "
        "one series are compared over time and with the national figure; figures of different "
        "series never are. Empty: the source is a series of its own.",
    )

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def series_name(self) -> str:
        return self.series or self.title


class Metro(models.Model):
    """A metropolitan statistical area (2023 OMB delineation), keyed by its CBSA code."""

    cbsa_code = models.CharField(max_length=5, unique=True)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    principal_city = models.CharField(max_length=100)
    states = models.CharField(
        max_length=30, help_text="Postal codes joined by hyphens, e.g. NY-NJ-PA."
    )
    region = models.CharField(max_length=20, help_text="Census region of the first-named state.")
    population = models.PositiveBigIntegerField()
    population_year = models.PositiveSmallIntegerField()
    # The shipped data has no coordinates; a point is only filled in from a real source.
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    delineation = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-population", "name"]
        indexes = [models.Index(fields=["population"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("vitals:metro", args=[self.slug])

    @property
    def state_list(self) -> list[str]:
        return [state for state in self.states.split("-") if state]


class Indicator(models.Model):
    """One measure metros are compared on, such as the share of adults with a degree."""

    class Direction(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"
        NONE = "none", "Context only (not ranked)"

    class Unit(models.TextChoices):
        SHARE = "share", "Share (0 to 1)"
        COUNT = "count", "Count"
        PERSONS = "persons", "Persons"
        USD = "usd_nominal", "U.S. dollars (nominal)"
        PER_10K = "per_10k", "Per 10,000 residents"
        PER_100K = "per_100k", "Per 100,000 residents"
        RATIO = "ratio", "Ratio"

    code = models.SlugField(
        max_length=64, unique=True, help_text="Stable identifier used in import files."
    )
    name = models.CharField(max_length=120)
    area = models.CharField(max_length=32, choices=Area.choices)
    unit = models.CharField(max_length=16, choices=Unit.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    definition = models.TextField()
    source_table = models.CharField(
        max_length=300, blank=True, help_text="The tables or fields the figure is computed from."
    )
    formula = models.TextField(
        blank=True,
        help_text="For an indicator civicnet derives from others: how, and which years it combines.",
    )
    caveat = models.TextField(
        blank=True, help_text="What a reader should keep in mind when using the figures."
    )
    change_series = models.CharField(
        max_length=100,
        blank=True,
        help_text="The one series (as its sources name it, e.g. 'ACS 1-year') whose figures "
        "are compared over time. Empty: the series of the ranked figure.",
    )
    is_headline = models.BooleanField(
        default=False, help_text="Headline indicators make up the rankings table and overall score."
    )
    headline_order = models.PositiveSmallIntegerField(
        default=0, help_text="Column order of headline indicators in the rankings table."
    )
    method_version = models.PositiveSmallIntegerField(
        default=1,
        help_text="Raise by one when the way the figure is measured or computed changes, so an "
        'edition\'s "what moved" page reports a method change rather than new data.',
    )

    class Meta:
        ordering = ["headline_order", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("vitals:indicator", args=[self.slug])

    @property
    def slug(self) -> str:
        return self.code.replace("_", "-")

    @property
    def is_ranked(self) -> bool:
        return self.direction != self.Direction.NONE

    @property
    def unit_label(self) -> str:
        """The unit the pages write figures in (format_value): a share is written, and so
        labelled, as a percentage. Downloads keep the stored unit (get_unit_display)."""
        return DISPLAY_UNITS.get(self.unit) or self.get_unit_display()

    def format_value(self, value: float | None) -> str:
        if value is None:
            return "—"
        if self.unit == self.Unit.SHARE:
            return f"{value * 100:.1f}%"
        if self.unit == self.Unit.USD:
            return f"${value:,.0f}"
        if self.unit in (self.Unit.PER_10K, self.Unit.PER_100K):
            return f"{value:.1f}"
        if self.unit == self.Unit.RATIO:
            return f"{value:.2f}"
        return f"{value:,.0f}"


# What Indicator.format_value writes each unit as, where that differs from the stored unit.
DISPLAY_UNITS = {
    Indicator.Unit.SHARE: "Percent (%)",
    Indicator.Unit.USD: "U.S. dollars ($)",
}


class Observation(models.Model):
    """One figure: a metro's value of an indicator in a year, from one source."""

    metro = models.ForeignKey(Metro, on_delete=models.CASCADE, related_name="observations")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="observations")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="observations")
    year = models.PositiveSmallIntegerField(
        help_text="The data year (the end year of a multi-year period)."
    )
    period = models.CharField(max_length=40, help_text="e.g. 2019, or 2013-2017 for ACS 5-year.")
    value = models.FloatField()
    margin_of_error = models.FloatField(null=True, blank=True)
    vintage = models.CharField(max_length=100, blank=True)
    source_cbsa_code = models.CharField(max_length=5, blank=True)
    source_name = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metro", "indicator", "year", "source"],
                name="vitals_observation_unique_key",
            )
        ]
        indexes = [models.Index(fields=["indicator", "year", "source"])]

    def __str__(self) -> str:
        return f"{self.metro_id} {self.indicator_id} {self.year}: {self.value}"


class NationalFigure(models.Model):
    """The United States' figure for an indicator in a year, from one source: a benchmark
    shown beside metro figures. Never ranked, never listed as a metro."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="national_figures"
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="national_figures")
    year = models.PositiveSmallIntegerField(
        help_text="The data year (the end year of a multi-year period)."
    )
    period = models.CharField(max_length=40)
    value = models.FloatField()
    margin_of_error = models.FloatField(null=True, blank=True)
    vintage = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["indicator", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "source"], name="vitals_nationalfigure_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"US {self.indicator_id} {self.year}: {self.value}"


class NationalFigureRevision(models.Model):
    """A national figure's earlier value, kept when staff (in the admin) or an import
    corrected it: who, when and why. Published editions keep their own frozen copy."""

    national_figure = models.ForeignKey(
        NationalFigure, on_delete=models.CASCADE, related_name="revisions"
    )
    old_value = models.FloatField()
    new_value = models.FloatField()
    old_margin_of_error = models.FloatField(null=True, blank=True)
    new_margin_of_error = models.FloatField(null=True, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_by_name = models.CharField(
        max_length=200, blank=True, help_text="Kept when the account is deleted."
    )
    reason = models.TextField()
    import_run = models.ForeignKey(
        "ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.national_figure_id}: {self.old_value} -> {self.new_value}"


class PeerGroup(models.Model):
    """The metros ranked against each other: those whose population falls within a band."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    min_population = models.PositiveBigIntegerField(default=0)
    max_population = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Exclusive upper bound; empty for no upper bound."
    )
    is_default = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def metro_filter(self, prefix: str = "") -> models.Q:
        query = models.Q(**{f"{prefix}population__gte": self.min_population})
        if self.max_population is not None:
            query &= models.Q(**{f"{prefix}population__lt": self.max_population})
        return query


class Ranking(models.Model):
    """An observation's rank within a peer group, for its (indicator, year, source) series.

    Rebuilt after every import. Metro, indicator, year and source are copied from the
    observation so that listings read one table.
    """

    peer_group = models.ForeignKey(PeerGroup, on_delete=models.CASCADE, related_name="rankings")
    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="rankings")
    metro = models.ForeignKey(Metro, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    value = models.FloatField()
    rank = models.PositiveIntegerField(
        help_text="1 is best; ties share the best rank (1, 2, 2, 4)."
    )
    ranked_count = models.PositiveIntegerField(
        help_text="How many metros have a rank in this series."
    )
    percentile = models.FloatField(
        help_text="Share of the other ranked metros this one beats, 0-100."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["peer_group", "observation"], name="vitals_ranking_unique"
            )
        ]
        indexes = [models.Index(fields=["peer_group", "indicator", "year", "source"])]

    def __str__(self) -> str:
        return (
            f"{self.metro_id} {self.indicator_id} {self.year}: {self.rank} of {self.ranked_count}"
        )


class ImportRun(models.Model):
    """One import of City Vitals files, with what it changed."""

    started_at = models.DateTimeField(auto_now_add=True)
    files = models.TextField()
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    imported_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at"]
        permissions = [("import_vitals", "Can upload and confirm City Vitals imports")]

    def __str__(self) -> str:
        return f"Import {self.pk} at {self.started_at:%Y-%m-%d %H:%M}"


class ObservationRevision(models.Model):
    """A figure an import corrected: the value before and after."""

    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="revisions")
    import_run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="revisions")
    old_value = models.FloatField()
    new_value = models.FloatField()
    old_margin_of_error = models.FloatField(null=True, blank=True)
    new_margin_of_error = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-import_run__started_at"]

    def __str__(self) -> str:
        return f"{self.observation_id}: {self.old_value} -> {self.new_value}"


class Dividend(models.TextChoices):
    """The three City Dividends. Challenges and library resources are tagged with these."""

    TALENT = "talent", "Talent Dividend"
    GREEN = "green", "Green Dividend"
    OPPORTUNITY = "opportunity", "Opportunity Dividend"


class TalentSlope(models.Model):
    """The Talent Dividend's slope for one peer group: per-capita income fitted on college
    attainment across its metros, same year, plain least squares (unweighted).

    Recomputed after every import, with the ranks; never per request.
    """

    peer_group = models.OneToOneField(
        PeerGroup, on_delete=models.CASCADE, related_name="talent_slope"
    )
    year = models.PositiveSmallIntegerField()
    attainment_source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    income_source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    metro_count = models.PositiveIntegerField()
    dollars_per_point = models.FloatField(
        help_text="Per-capita income (dollars of the data year) per percentage point of attainment."
    )
    intercept = models.FloatField(help_text="Fitted per-capita income at zero attainment.")
    r_squared = models.FloatField()
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.peer_group}: ${self.dollars_per_point:,.0f} per point ({self.year})"


class DividendConstants(models.Model):
    """One version of the City Dividends constants. A version is never edited: staff save
    a new one, with the reason, and the pages say which version they use."""

    version = models.PositiveIntegerField(unique=True)
    cost_per_mile = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        help_text="Dollars of vehicle cost a resident saves for each mile not driven.",
    )
    cost_per_mile_source = models.CharField(max_length=300)
    cost_per_mile_year = models.PositiveSmallIntegerField(help_text="The year of the figure.")
    poverty_spending = models.DecimalField(
        max_digits=9,
        decimal_places=0,
        help_text="Public anti-poverty spending per person in poverty, dollars a year.",
    )
    poverty_spending_source = models.CharField(max_length=300)
    poverty_spending_year = models.PositiveSmallIntegerField(help_text="The year of the figure.")
    talent_step = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        default=1,
        help_text="Default step: percentage points more adults with a four-year degree.",
    )
    green_step = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        default=1,
        help_text="Default step: miles less driven per resident per day.",
    )
    opportunity_step = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        default=1,
        help_text="Default step: percentage points less poverty.",
    )
    reason = models.TextField(help_text="Why this version: what changed, and on what evidence.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by_name = models.CharField(
        max_length=200, blank=True, help_text="Kept when the account is deleted."
    )

    class Meta:
        ordering = ["-version"]
        verbose_name = "City Dividends constants"
        verbose_name_plural = "City Dividends constants"

    def __str__(self) -> str:
        return f"City Dividends constants, version {self.version}"


# --- editions ---------------------------------------------------------------------------


class Edition(models.Model):
    """A City Vitals edition ("City Vitals 2026"). Publishing it freezes every ranked figure,
    rank and overall position into the Edition* rows below, with a permanent address; after
    that only its notes change, and re-importing figures never touches it."""

    title = models.CharField(max_length=120, unique=True, help_text='e.g. "City Vitals 2026".')
    slug = models.SlugField(
        max_length=40,
        unique=True,
        help_text="Its permanent address: /vitals/editions/<slug>/, e.g. 2026. Never reused.",
    )
    data_through = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The latest data year the edition takes (each indicator's latest series up "
        "to it); empty for the latest figures held.",
    )
    notes = models.TextField(
        blank=True,
        help_text="Shown on the edition's page: what is new, caveats, corrections. The only "
        "thing that can change after publication.",
    )
    ranking_method = models.PositiveSmallIntegerField(
        default=0, editable=False, help_text="The overall-score method version it was ranked by."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by_name = models.CharField(max_length=200, blank=True, editable=False)
    dividend_constants = models.ForeignKey(
        DividendConstants,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        editable=False,
        related_name="+",
        help_text="The City Dividends constants version current at publication; its "
        "dividends use it, whatever staff save later.",
    )

    class Meta:
        ordering = [models.F("published_at").desc(nulls_first=True), "-created_at"]
        permissions = [("publish_edition", "Can publish a City Vitals edition")]

    def __str__(self) -> str:
        return self.title if self.published_at else f"{self.title} (draft)"

    def get_absolute_url(self) -> str:
        return reverse("vitals:edition", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class EditionPeerGroup(models.Model):
    """A peer group as an edition ranked it: its bounds copied, so later edits change nothing."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="peer_groups")
    peer_group = models.ForeignKey(
        PeerGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    slug = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    min_population = models.PositiveBigIntegerField()
    max_population = models.PositiveBigIntegerField(null=True, blank=True)
    is_default = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)
    ranked_count = models.PositiveIntegerField(help_text="Metros with an overall position.")

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "slug"], name="vitals_editionpg_unique")
        ]

    def __str__(self) -> str:
        return self.name


class EditionSeries(models.Model):
    """One indicator's ranked series in one peer group of an edition: the indicator's method
    and the source as they were at publication."""

    peer_group = models.ForeignKey(
        EditionPeerGroup, on_delete=models.CASCADE, related_name="series"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=16, choices=Indicator.Unit.choices)
    direction = models.CharField(max_length=8, choices=Indicator.Direction.choices)
    definition = models.TextField()
    formula = models.TextField(blank=True)
    method_version = models.PositiveSmallIntegerField()
    is_headline = models.BooleanField()
    headline_order = models.PositiveSmallIntegerField()
    year = models.PositiveSmallIntegerField()
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+")
    source_title = models.CharField(max_length=300)
    source_publisher = models.CharField(max_length=300)
    source_url = models.URLField(max_length=500)
    source_licence = models.CharField(max_length=300)
    ranked_count = models.PositiveIntegerField()
    # The national figure of the same year and series as it stood at publication (empty when
    # there was none): later corrections of the live figure never reach the edition.
    national_period = models.CharField(max_length=40, blank=True)
    national_value = models.FloatField(null=True, blank=True)
    national_margin_of_error = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["headline_order", "name"]
        verbose_name_plural = "edition series"

    def __str__(self) -> str:
        return f"{self.name} {self.year}"

    def format_value(self, value: float | None) -> str:
        return Indicator(unit=self.unit).format_value(value)

    @property
    def unit_label(self) -> str:
        return Indicator(unit=self.unit).unit_label


class EditionFigure(models.Model):
    """A metro's frozen figure and rank in one series of an edition."""

    series = models.ForeignKey(EditionSeries, on_delete=models.CASCADE, related_name="figures")
    metro = models.ForeignKey(Metro, on_delete=models.PROTECT, related_name="+")
    cbsa_code = models.CharField(max_length=5)
    metro_name = models.CharField(max_length=200)
    observation_id = models.PositiveBigIntegerField(
        null=True, help_text="The live figure it was copied from (kept if that one goes)."
    )
    period = models.CharField(max_length=40)
    value = models.FloatField()
    margin_of_error = models.FloatField(null=True, blank=True)
    rank = models.PositiveIntegerField()
    percentile = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["series", "rank"]), models.Index(fields=["metro"])]

    def __str__(self) -> str:
        return f"{self.cbsa_code} {self.series_id}: {self.rank}"


class EditionPosition(models.Model):
    """A metro's frozen overall position in one peer group of an edition."""

    peer_group = models.ForeignKey(
        EditionPeerGroup, on_delete=models.CASCADE, related_name="positions"
    )
    metro = models.ForeignKey(Metro, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    score = models.FloatField()
    indicators = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.metro_id}: {self.position}"


class EditionTalentSlope(models.Model):
    """The Talent Dividend slope an edition used in one peer group, with the points it was
    fitted on (metro id, attainment share, per-capita income), so its pages never change."""

    peer_group = models.OneToOneField(
        EditionPeerGroup, on_delete=models.CASCADE, related_name="talent_slope"
    )
    year = models.PositiveSmallIntegerField()
    attainment_source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+")
    income_source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+")
    metro_count = models.PositiveIntegerField()
    dollars_per_point = models.FloatField()
    intercept = models.FloatField()
    r_squared = models.FloatField()
    points = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.peer_group}: ${self.dollars_per_point:,.0f} per point ({self.year})"


class EditionDividendInput(models.Model):
    """A metro's City Dividends inputs as an edition froze them: the population the dividends
    multiply by, and its latest attainment, per-capita income and poverty figures up to the
    edition's last data year (`figures`: indicator code -> value, period, year, source title
    and address). Re-imports change the live figures, never these."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="dividend_inputs")
    metro = models.ForeignKey(Metro, on_delete=models.PROTECT, related_name="+")
    population = models.PositiveBigIntegerField()
    population_year = models.PositiveSmallIntegerField()
    figures = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["edition", "metro"], name="vitals_editioninput_unique")
        ]

    def __str__(self) -> str:
        return f"{self.edition_id}: {self.metro_id}"


MAX_PEER_METROS = 15


class PeerChoice(models.Model):
    """What a member compares on their My metro page: a metro (or the home metro of their
    profile) against a peer group, or against metros they list themselves. One per person."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vitals_peer_choice"
    )
    metro = models.ForeignKey(
        Metro,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the home metro of the person's profile.",
    )
    peer_group = models.ForeignKey(
        PeerGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Compare with this group; empty when the person listed their own peers.",
    )
    peer_metros = models.ManyToManyField(
        Metro, blank=True, related_name="+", help_text=f"At most {MAX_PEER_METROS} metros."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"My metro of user {self.user_id}"


MAX_DIVIDEND_SCENARIOS = 20


class DividendScenario(models.Model):
    """A City Dividends scenario a member saved on My metro: the steps they tried for a metro,
    with the peer group whose Talent slope it uses and, when saved from an edition's page,
    that edition (its frozen inputs, slope and constants). Its dividends are worked out again
    whenever it is shown, from the figures the page would use now."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dividend_scenarios"
    )
    metro = models.ForeignKey(Metro, on_delete=models.CASCADE, related_name="+")
    peer_group = models.ForeignKey(
        PeerGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Whose Talent slope; empty: the default peer group.",
    )
    edition = models.ForeignKey(
        Edition,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the live figures.",
    )
    attainment_points = models.DecimalField(max_digits=3, decimal_places=1)
    miles = models.DecimalField(max_digits=3, decimal_places=1)
    poverty_points = models.DecimalField(max_digits=3, decimal_places=1)
    name = models.CharField(max_length=80, blank=True)
    constants_version = models.PositiveIntegerField(
        help_text="The constants version the page used when it was saved."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.name or f"Scenario {self.pk}"
