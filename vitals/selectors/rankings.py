"""Peer groups, ranked series, overall positions and the rankings table."""

from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Rank

from ..models import Area, Indicator, Metro, Observation, PeerGroup, Ranking, Source

# A metro gets an overall position only with figures for at least half the weight.
MIN_WEIGHT_SHARE = 0.5
WEIGHT_CHOICES = [0, 1, 2, 3]


@dataclass(frozen=True)
class Series:
    """One ranked series: an indicator's figures for one year from one source."""

    indicator_id: int
    year: int
    source_id: int
    ranked_count: int


def ranked_metro_count() -> int:
    """How many metros the default peer group ranks (those with an overall position)."""
    peer_group = default_peer_group()
    if peer_group is None:
        return 0
    positions, _ = overall_ranking(peer_group=peer_group)
    return len(positions)


def default_peer_group() -> PeerGroup | None:
    return PeerGroup.objects.filter(is_default=True).first() or PeerGroup.objects.first()


def peer_groups() -> list[PeerGroup]:
    return list(PeerGroup.objects.all())


def peer_group_for(groups: list[PeerGroup], slug: str) -> PeerGroup | None:
    """The group of that slug; else the default group, else the first (None when none)."""
    for group in groups:
        if group.slug == slug:
            return group
    return next((g for g in groups if g.is_default), groups[0] if groups else None)


def headline_indicators() -> list[Indicator]:
    return list(Indicator.objects.filter(is_headline=True).order_by("headline_order", "name"))


def series_counts(*, peer_group: PeerGroup, indicator_ids=None):
    """(indicator_id, year, source_id, ranked metros) for every stored series."""
    query = Ranking.objects.filter(peer_group=peer_group)
    if indicator_ids is not None:
        query = query.filter(indicator_id__in=indicator_ids)
    return list(
        query.values_list("indicator_id", "year", "source_id")
        .annotate(n=Count("id"))
        .order_by("indicator_id", "year", "source_id")
    )


def latest_series(rows, *, as_of_year: int | None = None) -> dict[int, Series]:
    """Each indicator's most recent series up to the year; the widest source wins a tie."""
    chosen: dict[int, Series] = {}
    for indicator_id, year, source_id, n in rows:
        if as_of_year is not None and year > as_of_year:
            continue
        best = chosen.get(indicator_id)
        if best is None or (year, n, -source_id) > (best.year, best.ranked_count, -best.source_id):
            chosen[indicator_id] = Series(indicator_id, year, source_id, n)
    return chosen


def headline_series(
    *, peer_group: PeerGroup, indicators: list[Indicator], as_of_year: int | None = None
) -> dict[int, Series]:
    rows = series_counts(peer_group=peer_group, indicator_ids=[i.pk for i in indicators])
    return latest_series(rows, as_of_year=as_of_year)


def ranked_years(*, peer_group: PeerGroup, indicators: list[Indicator]) -> list[int]:
    """The years with ranked figures for any of the indicators, newest first."""
    rows = series_counts(peer_group=peer_group, indicator_ids=[i.pk for i in indicators])
    return sorted({year for _, year, _, _ in rows}, reverse=True)


def area_coverage() -> dict[str, list[str]]:
    """In one query, the labels of the areas `without_data` (none of their indicators has a
    figure yet) and of those `outside_score` (figures, but no headline indicator: shown on
    metro and indicator pages, not part of the overall score)."""
    rows = list(
        Indicator.objects.annotate(
            has_figures=Exists(Observation.objects.filter(indicator=OuterRef("pk")))
        ).values_list("area", "is_headline", "has_figures")
    )
    with_data = {area for area, _, has_figures in rows if has_figures}
    headline = {area for area, is_headline, _ in rows if is_headline}
    return {
        "without_data": [label for value, label in Area.choices if value not in with_data],
        "outside_score": [label for value, label in Area.choices if value in with_data - headline],
    }


def areas_without_data() -> list[str]:
    """The labels of the areas none of whose indicators has a figure yet."""
    return area_coverage()["without_data"]


def overall_positions(
    *,
    peer_group: PeerGroup,
    series: dict[int, Series],
    weights: dict[int, float] | None = None,
) -> dict[int, dict]:
    """metro_id -> {score, position, indicators}: the weighted mean of percentile ranks.

    Computed by the database in one query: each metro's percentiles over the series it
    has, weighted, averaged, then ranked (ties share a position).
    """
    weights = {i: (weights or {}).get(i, 1.0) for i in series}
    weights = {i: w for i, w in weights.items() if w > 0}
    if not weights:
        return {}
    in_series = Q()
    for indicator_id in weights:
        s = series[indicator_id]
        in_series |= Q(indicator_id=s.indicator_id, year=s.year, source_id=s.source_id)
    weight = Case(
        *[When(indicator_id=i, then=Value(float(w))) for i, w in weights.items()],
        default=Value(0.0),
        output_field=FloatField(),
    )
    rows = (
        Ranking.objects.filter(in_series, peer_group=peer_group)
        .values("metro_id")
        .annotate(
            weighted=Sum(F("percentile") * weight, output_field=FloatField()),
            total_weight=Sum(weight, output_field=FloatField()),
            indicators=Count("id"),
        )
        .filter(total_weight__gte=MIN_WEIGHT_SHARE * sum(weights.values()))
        .annotate(score=F("weighted") / F("total_weight"))
        .annotate(position=Window(Rank(), order_by=F("score").desc()))
        .values_list("metro_id", "score", "position", "indicators")
        .order_by()
    )
    return {
        metro_id: {"score": score, "position": position, "indicators": count}
        for metro_id, score, position, count in rows
    }


def position_stability(
    *, peer_group: PeerGroup, series: dict[int, Series], weights: dict[int, float]
) -> dict[int, tuple[int, int]]:
    """metro_id -> (best, worst) overall position when any one indicator is left out.

    One query per weighted headline indicator (at most six), however many metros.
    """
    ranges: dict[int, tuple[int, int]] = {}
    active = [i for i in series if weights.get(i, 1.0) > 0]
    if len(active) < 2:
        return ranges
    for left_out in active:
        positions = overall_positions(
            peer_group=peer_group, series=series, weights={**weights, left_out: 0}
        )
        for metro_id, row in positions.items():
            best, worst = ranges.get(metro_id, (row["position"], row["position"]))
            ranges[metro_id] = (min(best, row["position"]), max(worst, row["position"]))
    return ranges


def series_rankings(*, peer_group: PeerGroup, series: list[Series]):
    """The stored ranks of those series, with their observations' metro and period."""
    if not series:
        return Ranking.objects.none()
    in_series = Q()
    for s in series:
        in_series |= Q(indicator_id=s.indicator_id, year=s.year, source_id=s.source_id)
    return Ranking.objects.filter(in_series, peer_group=peer_group).select_related("observation")


POPULATION_BANDS = {
    "5m-plus": ("5 million or more", 5_000_000, None),
    "2500k-5m": ("2.5 to 5 million", 2_500_000, 5_000_000),
    "1m-2500k": ("1 to 2.5 million", 1_000_000, 2_500_000),
    "500k-1m": ("500,000 to 1 million", 500_000, 1_000_000),
    "under-500k": ("under 500,000", 0, 500_000),
}


@dataclass
class Column:
    indicator: Indicator
    series: Series | None
    source: object | None
    weight: float


@dataclass
class TableRow:
    metro: object
    position: int | None = None
    score: float | None = None
    stability: tuple[int, int] | None = None
    cells: dict = None  # indicator_id -> Ranking


def rankings_table(
    *,
    peer_group: PeerGroup,
    as_of_year: int | None = None,
    weights: dict[int, float] | None = None,
    state: str = "",
    region: str = "",
    band: str = "",
    query: str = "",
    with_stability: bool = True,
) -> dict:
    """Everything the rankings page, CSV and JSON show, in a fixed number of queries."""
    indicators = headline_indicators()
    rows = series_counts(peer_group=peer_group, indicator_ids=[i.pk for i in indicators])
    years = sorted({year for _, year, _, _ in rows}, reverse=True)
    series = latest_series(rows, as_of_year=as_of_year)
    weights = {i.pk: (weights or {}).get(i.pk, 1.0) for i in indicators}
    sources = Source.objects.in_bulk([s.source_id for s in series.values()])
    columns = [
        Column(
            indicator=i,
            series=series.get(i.pk),
            source=sources.get(series[i.pk].source_id) if i.pk in series else None,
            weight=weights[i.pk],
        )
        for i in indicators
    ]
    positions = overall_positions(peer_group=peer_group, series=series, weights=weights)
    stability = (
        position_stability(peer_group=peer_group, series=series, weights=weights)
        if with_stability
        else {}
    )
    metros = Metro.objects.filter(peer_group.metro_filter())
    if state:
        metros = metros.filter(states__regex=rf"(^|-){state}(-|$)")
    if region:
        metros = metros.filter(region=region)
    if band in POPULATION_BANDS:
        _, low, high = POPULATION_BANDS[band]
        metros = metros.filter(population__gte=low)
        if high:
            metros = metros.filter(population__lt=high)
    if query:
        metros = metros.filter(Q(name__icontains=query) | Q(cbsa_code=query))
    table = {metro.pk: TableRow(metro=metro, cells={}) for metro in metros}
    for ranking in (
        series_rankings(peer_group=peer_group, series=list(series.values())).filter(
            metro_id__in=list(table)
        )
        if table
        else []
    ):
        table[ranking.metro_id].cells[ranking.indicator_id] = ranking
    for metro_id, row in table.items():
        overall = positions.get(metro_id)
        if overall:
            row.position, row.score = overall["position"], overall["score"]
        row.stability = stability.get(metro_id)
    return {
        "columns": columns,
        "rows": list(table.values()),
        "years": years,
        "as_of_year": max((s.year for s in series.values()), default=None),
        "ranked_count": len(positions),
        "positions": positions,
    }


def overall_ranking(*, peer_group: PeerGroup | None) -> tuple[dict[int, dict], int | None]:
    """The overall positions on the latest headline series, and the latest year among them."""
    series = headline_series(peer_group=peer_group, indicators=headline_indicators())
    positions = overall_positions(peer_group=peer_group, series=series)
    return positions, max((s.year for s in series.values()), default=None)


def sort_table_rows(rows: list[TableRow], *, key: str, descending: bool, columns) -> None:
    """Sort the rankings table in place by overall position, metro, population or one
    indicator's rank; metros without a position (or a rank) come last either way."""
    by_code = {c.indicator.code: c.indicator for c in columns}
    if key == "metro":
        rows.sort(key=lambda r: r.metro.name, reverse=descending)
    elif key == "population":
        rows.sort(key=lambda r: r.metro.population, reverse=descending)
    elif key in by_code:
        indicator_id = by_code[key].pk
        ranked = [r for r in rows if indicator_id in r.cells]
        unranked = [r for r in rows if indicator_id not in r.cells]
        ranked.sort(key=lambda r: (r.cells[indicator_id].rank, r.metro.name), reverse=descending)
        rows[:] = ranked + sorted(unranked, key=lambda r: r.metro.name)
    else:
        ranked = sorted(
            (r for r in rows if r.position),
            key=lambda r: (r.position, r.metro.name),
            reverse=descending,
        )
        rows[:] = ranked + sorted((r for r in rows if not r.position), key=lambda r: r.metro.name)
