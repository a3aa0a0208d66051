"""One metro's profile and its open-data rows, and the comparison of a few metros."""

from django.db.models import Avg, Q

from ..changes import series_changes
from ..models import Area, Indicator, Metro, Observation, PeerGroup, Ranking, Source
from .national import any_benchmark, benchmark, national_figures, series_benchmarks
from .rankings import (
    Series,
    headline_percentiles,
    headline_series,
    overall_positions,
    position_stability,
)

NEAREST_PEERS = 4
METRO_DOWNLOAD_FIELDS = [
    "cbsa_code",
    "metro",
    "indicator",
    "indicator_name",
    "year",
    "period",
    "value",
    "margin_of_error",
    "rank",
    "ranked_of",
    "peer_group",
    "source",
    "source_url",
    "licence",
]


def _in_series(series) -> Q:
    """Rows of any of these series (none when there are none)."""
    in_series = Q(pk__in=[])
    for s in series:
        in_series |= Q(indicator_id=s.indicator_id, year=s.year, source_id=s.source_id)
    return in_series


def metro_profile(
    *, metro: Metro, peer_group: PeerGroup | None, indicators: list[Indicator]
) -> dict:
    """What the metro page shows: the overall position and its range, a card per headline
    indicator (latest figure, the one before it, rank, peer average, every figure by year),
    the latest figure of every other indicator, and the nearest metros overall."""
    series = headline_series(peer_group=peer_group, indicators=indicators) if peer_group else {}
    percentiles = headline_percentiles(peer_group=peer_group, series=series) if series else {}
    positions = overall_positions(peer_group=peer_group, series=series, percentiles=percentiles)
    in_group = metro.pk in positions
    stability = (
        position_stability(
            peer_group=peer_group, series=series, weights={}, percentiles=percentiles
        ).get(metro.pk)
        if in_group
        else None
    )
    observations = list(
        Observation.objects.filter(metro=metro)
        .select_related("indicator", "source")
        .order_by("year")
    )
    own_ranks = {
        (r.indicator_id, r.year, r.source_id): r
        for r in Ranking.objects.filter(metro=metro, peer_group=peer_group)
    }
    averages = dict(
        Ranking.objects.filter(_in_series(series.values()), peer_group=peer_group)
        .values_list("indicator_id")
        .annotate(avg=Avg("value"))
        .order_by()
    )
    by_indicator: dict[int, list[Observation]] = {}
    for observation in observations:
        by_indicator.setdefault(observation.indicator_id, []).append(observation)
    national = national_figures(indicator_ids={o.indicator_id for o in observations})
    cards = [
        _indicator_card(
            indicator,
            series.get(indicator.pk),
            by_indicator.get(indicator.pk, []),
            own_ranks,
            averages,
            national.get(indicator.pk, []),
        )
        for indicator in indicators
    ]
    headline_ids = {i.pk for i in indicators}
    latest_others = {}
    for o in observations:
        if o.indicator_id not in headline_ids:
            latest_others[(o.indicator_id, o.source_id)] = o
    others = sorted(latest_others.values(), key=lambda o: o.indicator.name)
    for o in others:
        o.benchmark = benchmark(
            national.get(o.indicator_id, []), year=o.year, series=o.source.series_name
        )
        o.ranking = own_ranks.get((o.indicator_id, o.year, o.source_id))
    return {
        "overall": positions.get(metro.pk),
        "ranked_count": len(positions),
        "stability": stability,
        "cards": cards,
        "other_observations": others,
        "area_figures": _area_figures(indicators, others),
        "national": national,
        "nearest": nearest_metros(positions, metro.pk) if in_group else [],
    }


def _area_figures(headlines: list[Indicator], others: list[Observation]) -> list[dict]:
    """The areas no headline indicator covers, each with the metro's latest figures of its
    indicators ({"label", "figures"}), so that every area shows on the metro page."""
    covered = {i.area for i in headlines}
    return [
        {"label": label, "figures": [o for o in others if o.indicator.area == value]}
        for value, label in Area.choices
        if value not in covered
    ]


def _indicator_card(
    indicator, s: Series | None, history: list[Observation], own_ranks, averages, national
):
    """history: the metro's figures for the indicator, oldest first. The current figure is
    the one of the ranked series, else the latest. Change over time compares figures of the
    indicator's declared series only (see vitals.changes)."""
    current = None
    if s:
        current = next((o for o in history if (o.year, o.source_id) == (s.year, s.source_id)), None)
    if current is None and history:
        current = history[-1]
    series_name = indicator.change_series or (current.source.series_name if current else "")
    changes = series_changes(history, series_name) if current else None
    since = changes["since"] if changes else None
    return {
        "indicator": indicator,
        "current": current,
        "changes": changes,
        "previous": since.earlier if since else None,
        "change": since.delta if since else None,
        "benchmark": benchmark(national, year=current.year, series=current.source.series_name)
        if current
        else None,
        "ranking": own_ranks.get((indicator.pk, current.year, current.source_id))
        if current
        else None,
        "peer_average": averages.get(indicator.pk)
        if s and current and current.year == s.year
        else None,
        "history": history,
    }


def nearest_metros(positions: dict[int, dict], metro_id: int) -> list[dict]:
    """The metros closest to this one in overall position, best first: {metro, position,
    score, indicators}."""
    mine = positions[metro_id]["position"]
    near_ids = sorted(
        (mid for mid in positions if mid != metro_id),
        key=lambda mid: (abs(positions[mid]["position"] - mine), positions[mid]["position"]),
    )[:NEAREST_PEERS]
    near = Metro.objects.in_bulk(near_ids)
    return sorted(
        [{"metro": near[mid], **positions[mid]} for mid in near_ids],
        key=lambda n: n["position"],
    )


def metro_download_rows(*, metro: Metro, peer_group: PeerGroup | None):
    """Every figure held for the metro, with its rank in the peer group, in the order of
    METRO_DOWNLOAD_FIELDS."""
    ranks = {
        r.observation_id: r for r in Ranking.objects.filter(metro=metro, peer_group=peer_group)
    }
    observations = (
        Observation.objects.filter(metro=metro)
        .select_related("indicator", "source")
        .order_by("indicator__code", "year", "source__code")
    )
    return (
        [
            metro.cbsa_code,
            metro.name,
            o.indicator.code,
            o.indicator.name,
            o.year,
            o.period,
            o.value,
            o.margin_of_error,
            ranks[o.pk].rank if o.pk in ranks else None,
            ranks[o.pk].ranked_count if o.pk in ranks else None,
            peer_group.slug if peer_group else "",
            o.source.title,
            o.source.url,
            o.source.licence,
        ]
        for o in observations
    )


def metro_comparison(
    *, metros: list[Metro], peer_group: PeerGroup | None, indicators: list[Indicator]
) -> dict:
    """The metros side by side on the latest headline series: their overall positions, and
    a row per indicator with each metro's figure and rank (a cell per metro, in order) and
    the national benchmark of that year and series."""
    series = headline_series(peer_group=peer_group, indicators=indicators)
    positions = overall_positions(peer_group=peer_group, series=series) if metros else {}
    in_series = _in_series(series.values())
    figures, ranks = {}, {}
    if metros:
        # Figures come from the observations, so a metro outside the peer group still shows
        # its values; only the ranks come from the peer group.
        for o in Observation.objects.filter(in_series, metro__in=metros):
            figures[(o.metro_id, o.indicator_id)] = o
        for r in Ranking.objects.filter(in_series, peer_group=peer_group, metro__in=metros):
            ranks[(r.metro_id, r.indicator_id)] = r
    sources = Source.objects.in_bulk([s.source_id for s in series.values()])
    national = series_benchmarks(
        (s.indicator_id, s.year, sources[s.source_id].series_name) for s in series.values()
    )
    rows = []
    for indicator in indicators:
        s = series.get(indicator.pk)
        rows.append(
            {
                "indicator": indicator,
                "series": s,
                "cells": [
                    {
                        "figure": figures.get((m.pk, indicator.pk)),
                        "rank": ranks.get((m.pk, indicator.pk)),
                    }
                    for m in metros
                ],
                "source": sources.get(s.source_id) if s else None,
                "national": national.get(indicator.pk),
            }
        )
    return {
        "overall": [positions.get(m.pk) for m in metros],
        "ranked_count": len(positions),
        "rows": rows,
        "with_national": any_benchmark(national.values()),
    }


def metro_choices() -> list[Metro]:
    """Every metro by name, with only what a picker needs."""
    return list(Metro.objects.only("slug", "name").order_by("name"))
