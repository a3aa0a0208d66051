"""City Dividends: what a small change is worth to a metro each year, in dollars.

- Talent Dividend: one percentage point more adults with a four-year degree, times the
  slope of per-capita income on college attainment across the peer group (estimated from
  the site's own figures, same year, plain least squares, unweighted), times population.
- Green Dividend: each resident driving a mile less a day: population x 365 x miles x the
  vehicle cost per mile.
- Opportunity Dividend: one percentage point less poverty: population x 1% x public
  anti-poverty spending per person in poverty.

The slope is recomputed after every import (`talent_slopes_rebuild`, called with the ranks);
the constants are versioned rows of `DividendConstants` that staff add in the admin.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max

from core.signals import public_pages_changed

from .models import DividendConstants, Indicator, Observation, PeerGroup, TalentSlope

ATTAINMENT = "college_attainment"
INCOME = "per_capita_income"
POVERTY = "poverty_rate"
POPULATION = "population"
MIN_FIT_METROS = 3
DAYS_A_YEAR = 365

# Version 1, as the network published them; the demo loader saves it, and the pages use it
# (saying so) until staff have saved a version.
FIRST_CONSTANTS = {
    "cost_per_mile": Decimal("0.40"),
    "cost_per_mile_source": "CEOs for Cities, Portland's Green Dividend (Joe Cortright, 2007): "
    "vehicle operating and ownership costs per mile driven",
    "cost_per_mile_year": 2007,
    "poverty_spending": Decimal("19000"),
    "poverty_spending_source": "CEOs for Cities, City Dividends: the Opportunity Dividend, public "
    "anti-poverty spending per person in poverty (Medicaid, SNAP, TANF, EITC and other "
    "assistance)",
    "poverty_spending_year": 2010,
    "talent_step": Decimal("1"),
    "green_step": Decimal("1"),
    "opportunity_step": Decimal("1"),
    "reason": "First version: the figures the network published with its City Dividends.",
}
# The network's own published slope, shown beside ours for comparison.
PUBLISHED_TALENT_SLOPE = {
    "dollars_per_point": 856,
    "year": 2010,
    "source": "CEOs for Cities, the Talent Dividend (51 largest metros, 2010 data)",
}


@dataclass(frozen=True)
class Fit:
    """y = intercept + slope * x, fitted by ordinary least squares."""

    slope: float
    intercept: float
    r_squared: float
    n: int


def least_squares(points: list[tuple[float, float]]) -> Fit | None:
    """The ordinary least-squares line through (x, y) points; None when it is undefined."""
    n = len(points)
    if n < MIN_FIT_METROS or len({x for x, _ in points}) < 2:
        return None
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    syy = sum((y - mean_y) ** 2 for _, y in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    slope = sxy / sxx
    r_squared = (sxy * sxy) / (sxx * syy) if syy else 0.0
    return Fit(slope=slope, intercept=mean_y - slope * mean_x, r_squared=r_squared, n=n)


@dataclass(frozen=True)
class SlopeSeries:
    year: int
    attainment_source_id: int
    income_source_id: int
    points: dict  # metro_id -> (attainment share, per-capita income)


def _choose_series(peer_group: PeerGroup, rows=None) -> SlopeSeries | None:
    """The latest year with attainment and income figures for enough of the same metros.

    Within a year, the pair of sources covering the most metros wins (then the lower ids).
    rows: (indicator code, year, source id, metro id, value) of the peer group's metros, when
    the caller has read them already (an edition fits every group from one read).
    """
    if rows is None:
        rows = Observation.objects.filter(
            peer_group.metro_filter("metro__"), indicator__code__in=[ATTAINMENT, INCOME]
        ).values_list("indicator__code", "year", "source_id", "metro_id", "value")
    by_series: dict[tuple[str, int, int], dict[int, float]] = {}
    for code, year, source_id, metro_id, value in rows:
        by_series.setdefault((code, year, source_id), {})[metro_id] = value
    best, best_key = None, None
    for (code, year, attainment_source), attainment in by_series.items():
        if code != ATTAINMENT:
            continue
        for (other, income_year, income_source), income in by_series.items():
            if other != INCOME or income_year != year:
                continue
            shared = attainment.keys() & income.keys()
            key = (year, len(shared), -attainment_source, -income_source)
            if len(shared) >= MIN_FIT_METROS and (best_key is None or key > best_key):
                best_key = key
                best = SlopeSeries(
                    year=year,
                    attainment_source_id=attainment_source,
                    income_source_id=income_source,
                    points={m: (attainment[m], income[m]) for m in shared},
                )
    return best


@transaction.atomic
def talent_slopes_rebuild() -> int:
    """Refit every peer group's Talent slope from the stored figures; returns how many."""
    kept = []
    for peer_group in PeerGroup.objects.all():
        series = _choose_series(peer_group)
        fit = least_squares(list(series.points.values())) if series else None
        if fit is None:
            continue
        TalentSlope.objects.update_or_create(
            peer_group=peer_group,
            defaults={
                "year": series.year,
                "attainment_source_id": series.attainment_source_id,
                "income_source_id": series.income_source_id,
                "metro_count": fit.n,
                # attainment is a share (0-1): one percentage point is a hundredth of it
                "dollars_per_point": fit.slope / 100,
                "intercept": fit.intercept,
                "r_squared": fit.r_squared,
            },
        )
        kept.append(peer_group.pk)
    TalentSlope.objects.exclude(peer_group_id__in=kept).delete()
    return len(kept)


def slope_points(slope: TalentSlope) -> list[dict]:
    """The metros the slope was fitted on: metro, attainment and income, in one query."""
    rows = Observation.objects.filter(
        slope.peer_group.metro_filter("metro__"), year=slope.year
    ).filter(
        indicator__code__in=[ATTAINMENT, INCOME],
        source_id__in=[slope.attainment_source_id, slope.income_source_id],
    )
    by_metro: dict[int, dict] = {}
    for metro_id, name, slug, city, states, code, source_id, value in rows.values_list(
        "metro_id",
        "metro__name",
        "metro__slug",
        "metro__principal_city",
        "metro__states",
        "indicator__code",
        "source_id",
        "value",
    ):
        wanted = slope.attainment_source_id if code == ATTAINMENT else slope.income_source_id
        if source_id != wanted:
            continue
        point = by_metro.setdefault(
            metro_id,
            {"metro_id": metro_id, "name": name, "slug": slug, "city": city, "states": states},
        )
        point[code] = value
    points = [p for p in by_metro.values() if ATTAINMENT in p and INCOME in p]
    return sorted(points, key=lambda p: p["name"])


# --- constants --------------------------------------------------------------------------


def built_in_constants() -> DividendConstants:
    """Version 1 as built in, unsaved (its `pk` is None)."""
    return DividendConstants(version=1, **FIRST_CONSTANTS)


def current_constants() -> DividendConstants:
    """The latest saved version, or version 1 unsaved (its `pk` is None) when none exists."""
    return DividendConstants.objects.order_by("-version").first() or built_in_constants()


def edition_constants(edition) -> DividendConstants:
    """The version an edition froze (editions published before versions were recorded, with
    none saved, use version 1 as built in), whatever staff have saved since."""
    return edition.dividend_constants or built_in_constants()


@transaction.atomic
def dividend_constants_create(*, values: dict, reason: str, user=None) -> DividendConstants:
    """Save a new version of the constants; who, when and why are recorded with it."""
    # Lock the table's latest row so two staff saving at once get consecutive versions.
    list(DividendConstants.objects.select_for_update().order_by("-version")[:1])
    latest = DividendConstants.objects.aggregate(v=Max("version"))["v"] or 0
    constants = DividendConstants.objects.create(
        version=latest + 1,
        reason=reason,
        created_by=user if user is not None and user.is_authenticated else None,
        created_by_name=user.get_username() if user is not None else "",
        **values,
    )
    transaction.on_commit(_clear_page_cache)
    return constants


def dividend_constants_ensure_first() -> bool:
    """Save version 1 unless a version exists; True when it was saved now."""
    if DividendConstants.objects.exists():
        return False
    values = {k: v for k, v in FIRST_CONSTANTS.items() if k != "reason"}
    DividendConstants.objects.create(
        version=1, reason=FIRST_CONSTANTS["reason"], created_by_name="load_demo", **values
    )
    return True


def dividend_constants_keep_first() -> None:
    """Save version 1 as built in unless a version 1 is saved already, in one query either
    way: what an edition or a scenario records must never be a version that is not saved."""
    values = {k: v for k, v in FIRST_CONSTANTS.items() if k != "reason"}
    DividendConstants.objects.bulk_create(
        [
            DividendConstants(
                version=1, reason=FIRST_CONSTANTS["reason"], created_by_name="built in", **values
            )
        ],
        ignore_conflicts=True,
    )


def _clear_page_cache() -> None:
    public_pages_changed.send(sender=DividendConstants, paths=None)


# --- the dividends -----------------------------------------------------------------------


@dataclass(frozen=True)
class Steps:
    attainment_points: Decimal
    miles: Decimal
    poverty_points: Decimal

    @classmethod
    def default(cls, constants: DividendConstants) -> "Steps":
        """The constants' default steps: one point, one mile, one point."""
        return cls(
            attainment_points=constants.talent_step,
            miles=constants.green_step,
            poverty_points=constants.opportunity_step,
        )

    @property
    def key(self) -> str:
        """The steps as a cache key's part: equal steps ("2" and "2.0") give the same key."""
        return ":".join(
            str(step.normalize())
            for step in (self.attainment_points, self.miles, self.poverty_points)
        )


@dataclass(frozen=True)
class Dividends:
    talent: float | None  # None without a slope
    green: float
    opportunity: float


def dividends_for(
    *,
    population: int,
    steps: Steps,
    constants: DividendConstants,
    slope: TalentSlope | None,
) -> Dividends:
    """Each dividend in dollars a year for a metro of this population."""
    talent = (
        slope.dollars_per_point * float(steps.attainment_points) * population if slope else None
    )
    green = population * DAYS_A_YEAR * float(steps.miles) * float(constants.cost_per_mile)
    opportunity = population * float(steps.poverty_points) / 100 * float(constants.poverty_spending)
    return Dividends(talent=talent, green=green, opportunity=opportunity)


INPUT_CODES = [ATTAINMENT, INCOME, POVERTY]
_INPUT_COLUMNS = ["metro_id", "indicator__code", "value", "period", "year"]
_INPUT_COLUMNS += ["source__title", "source__url"]


@dataclass(frozen=True)
class InputFigure:
    """One of the figures a metro's dividends page starts from, live or frozen."""

    value: float
    period: str
    year: int
    source_title: str
    source_url: str


def latest_inputs(*, metro=None, through: int | None = None) -> dict[int, dict[str, dict]]:
    """Metro id -> indicator code -> its latest attainment, income or poverty figure (up to
    the year `through`), as plain dicts (value, period, year, source, url): the latest year
    wins, then the higher source id. One query, for one metro or all of them."""
    rows = Observation.objects.filter(indicator__code__in=INPUT_CODES)
    if metro is not None:
        rows = rows.filter(metro=metro)
    if through is not None:
        rows = rows.filter(year__lte=through)
    latest: dict[int, dict[str, dict]] = {}
    for metro_id, code, value, period, year, title, url in rows.order_by(
        "year", "source_id"
    ).values_list(*_INPUT_COLUMNS):
        latest.setdefault(metro_id, {})[code] = {
            "value": value,
            "period": period,
            "year": year,
            "source": title,
            "url": url,
        }
    return latest


def input_figures(figures: dict[str, dict]) -> dict[str, InputFigure]:
    """Plain dicts from `latest_inputs` (or an edition's frozen copy) as InputFigures."""
    return {
        code: InputFigure(
            value=f["value"],
            period=f["period"],
            year=f["year"],
            source_title=f["source"],
            source_url=f["url"],
        )
        for code, f in figures.items()
    }


def metro_inputs(metro) -> dict[str, InputFigure]:
    """The metro's latest attainment, per-capita income and poverty figures, by code."""
    return input_figures(latest_inputs(metro=metro).get(metro.pk, {}))


def input_indicators() -> dict[str, Indicator]:
    return {i.code: i for i in Indicator.objects.filter(code__in=[ATTAINMENT, INCOME, POVERTY])}
