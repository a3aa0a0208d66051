"""Peer groups, ranked series, overall positions and the rankings table."""

from bisect import bisect_right
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
)

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


def headline_percentiles(
    *, peer_group: PeerGroup, series: dict[int, Series]
) -> dict[int, dict[int, float]]:
    """metro_id -> {indicator_id: percentile} over these series, in one query: what every
    overall position (any weighting, any indicator left out) is computed from in memory."""
    if not series:
        return {}
    in_series = Q()
    for s in series.values():
        in_series |= Q(indicator_id=s.indicator_id, year=s.year, source_id=s.source_id)
    percentiles: dict[int, dict[int, float]] = {}
    for metro_id, indicator_id, percentile in Ranking.objects.filter(
        in_series, peer_group=peer_group
    ).values_list("metro_id", "indicator_id", "percentile"):
        percentiles.setdefault(metro_id, {})[indicator_id] = percentile
    return percentiles


def positions_from(
    percentiles: dict[int, dict[int, float]], weights: dict[int, float]
) -> dict[int, dict]:
    """metro_id -> {score, position, indicators}: each metro's weighted mean percentile over
    the weighted series it has (at least MIN_WEIGHT_SHARE of the weight), ranked; equal
    scores (to 9 decimals, so the order of a sum never splits a tie) share a position."""
    weights = {i: w for i, w in weights.items() if w > 0}
    needed = MIN_WEIGHT_SHARE * sum(weights.values())
    scores: dict[int, tuple[float, int]] = {}
    for metro_id, by_indicator in percentiles.items():
        had = [i for i in weights if i in by_indicator]
        total = sum(weights[i] for i in had)
        if had and total >= needed:
            weighted = sum(by_indicator[i] * weights[i] for i in had)
            scores[metro_id] = (weighted / total, len(had))
    ordered = sorted(round(score, 9) for score, _ in scores.values())
    count = len(ordered)
    return {
        metro_id: {
            "score": score,
            "position": count - bisect_right(ordered, round(score, 9)) + 1,
            "indicators": had,
        }
        for metro_id, (score, had) in scores.items()
    }


def overall_positions(
    *,
    peer_group: PeerGroup,
    series: dict[int, Series],
    weights: dict[int, float] | None = None,
    percentiles: dict[int, dict[int, float]] | None = None,
) -> dict[int, dict]:
    """metro_id -> {score, position, indicators}: the weighted mean of percentile ranks.

    One query for the series' percentiles (none when `percentiles` are passed, see
    headline_percentiles), then computed in memory.
    """
    weights = {i: (weights or {}).get(i, 1.0) for i in series}
    if not any(w > 0 for w in weights.values()):
        return {}
    if percentiles is None:
        percentiles = headline_percentiles(peer_group=peer_group, series=series)
    return positions_from(percentiles, weights)


def position_stability(
    *,
    peer_group: PeerGroup,
    series: dict[int, Series],
    weights: dict[int, float],
    percentiles: dict[int, dict[int, float]] | None = None,
) -> dict[int, tuple[int, int]]:
    """metro_id -> (best, worst) overall position when any one indicator is left out.

    At most one query (none when `percentiles` are passed), however many metros.
    """
    ranges: dict[int, tuple[int, int]] = {}
    weights = {i: weights.get(i, 1.0) for i in series}
    active = [i for i in series if weights[i] > 0]
    if len(active) < 2:
        return ranges
    if percentiles is None:
        percentiles = headline_percentiles(peer_group=peer_group, series=series)
    for left_out in active:
        positions = positions_from(percentiles, {**weights, left_out: 0})
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
    national: object | None = None  # the Benchmark of its year and series (pages fill it in)


class Figure(NamedTuple):
    """A table cell's value and rank, for pages that show no more of its Ranking."""

    value: float
    rank: int


@dataclass
class TableRow:
    metro: object
    position: int | None = None
    score: float | None = None
    stability: tuple[int, int] | None = None
    cells: dict = None  # indicator_id -> Ranking (or Figure, see rankings_table)


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
    indicators: list[Indicator] | None = None,
    rows=None,
    figures_only: bool = False,
) -> dict:
    """Everything the rankings page, CSV and JSON show, in a fixed number of queries.

    `indicators` (the headline ones) and `rows` (their series_counts) when the caller has them.
    `figures_only`: each cell is a Figure (value and rank), read without building a Ranking
    and its Observation per cell (thousands of them in a table).
    """
    if indicators is None:
        indicators = headline_indicators()
    if rows is None:
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
    percentiles = headline_percentiles(peer_group=peer_group, series=series)
    positions = overall_positions(
        peer_group=peer_group, series=series, weights=weights, percentiles=percentiles
    )
    stability = (
        position_stability(
            peer_group=peer_group, series=series, weights=weights, percentiles=percentiles
        )
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
    rankings = (
        series_rankings(peer_group=peer_group, series=list(series.values())).filter(
            metro_id__in=list(table)
        )
        if table
        else []
    )
    if figures_only and table:
        for metro_id, indicator_id, value, rank in rankings.values_list(
            "metro_id", "indicator_id", "value", "rank"
        ):
            table[metro_id].cells[indicator_id] = Figure(value, rank)
    else:
        for ranking in rankings:
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
