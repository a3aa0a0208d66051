"""My metro: a member's metro against the peers they chose, for the page and its PDF brief.

A fixed number of queries, however many metros, peers or years there are.
"""

from dataclasses import dataclass
from statistics import median

from django.db.models import Count, Q

from ..models import Indicator, Metro, NationalFigure, Observation, PeerChoice, PeerGroup
from .editions import CardMove, edition_rank_moves
from .metros import _in_series
from .national import benchmark, national_figures
from .rankings import latest_series


@dataclass
class MyMetroRow:
    indicator: Indicator
    figure: Observation | None = None  # the metro's latest, with its source
    rank: int | None = None  # among the metro and its peers; ties share the best rank
    ranked_of: int = 0
    peers_with_figure: int = 0
    peer_median: float | None = None
    best_value: float | None = None
    best_metro: Metro | None = None
    national: NationalFigure | None = None
    movement: CardMove | None = None  # between the last two published editions


def national_by_indicator(figures: dict[int, Observation]) -> dict[int, NationalFigure]:
    """The U.S. figure beside each of the metro's figures (keyed by indicator id): the one of
    the same year and series, else the series' latest (its year is shown). One query."""
    stored = national_figures(indicator_ids=figures.keys())
    found = {}
    for indicator_id, figure in figures.items():
        mark = benchmark(
            stored.get(indicator_id, []), year=figure.year, series=figure.source.series_name
        )
        if mark.figure or mark.latest:
            found[indicator_id] = mark.figure or mark.latest
    return found


def peer_choice_for(user) -> PeerChoice | None:
    return (
        PeerChoice.objects.filter(user=user)
        .select_related("metro", "peer_group")
        .prefetch_related("peer_metros")
        .first()
    )


def my_metro_report(
    *,
    metro: Metro,
    indicators: list[Indicator],
    peer_group: PeerGroup | None = None,
    peer_metros: list[Metro] | None = None,
) -> dict:
    """The metro's latest figure for each indicator, its rank among the peers (a peer group's
    metros, or the listed ones) in that same series, the peers' median and best, the national
    figure and the rank movement where they exist.

    Each indicator is compared on the latest series (year and source) in which the metro has
    a figure; when one year has figures from two sources, the one covering more metros wins.
    """
    own = {
        (o.indicator_id, o.year, o.source_id): o
        for o in Observation.objects.filter(metro=metro, indicator__in=indicators).select_related(
            "source"
        )
    }
    counts = (
        Observation.objects.filter(indicator__in=indicators)
        .values_list("indicator_id", "year", "source_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    series = latest_series([row for row in counts if row[:3] in own])

    if peer_group is not None:
        peers_query = peer_group.metro_filter()
    else:
        peers_query = Q(pk__in=[m.pk for m in peer_metros or []])
    peers = {
        m.pk: m for m in Metro.objects.filter(peers_query).exclude(pk=metro.pk).only("slug", "name")
    }
    values: dict[int, dict[int, float]] = {}  # indicator -> metro -> value
    if series and peers:
        for metro_id, indicator_id, value in Observation.objects.filter(
            _in_series(series.values()), metro_id__in=list(peers)
        ).values_list("metro_id", "indicator_id", "value"):
            values.setdefault(indicator_id, {})[metro_id] = value

    figures = {s.indicator_id: own[(s.indicator_id, s.year, s.source_id)] for s in series.values()}
    national = national_by_indicator(figures)
    # Editions store ranks in preset peer groups: a person's own list of peers has none.
    movements = edition_rank_moves(metro=metro, peer_group=peer_group)
    rows = []
    for indicator in indicators:
        row = MyMetroRow(indicator=indicator)
        s = series.get(indicator.pk)
        if s:
            row.figure = figures[indicator.pk]
            row.national = national.get(indicator.pk)
            row.movement = movements.get(indicator.pk)
            _compare(row, values.get(indicator.pk, {}), peers)
        rows.append(row)
    return {
        "metro": metro,
        "peer_group": peer_group,
        "peers": sorted(peers.values(), key=lambda m: m.name),
        "rows": rows,
    }


def _compare(row: MyMetroRow, peer_values: dict[int, float], peers: dict[int, Metro]) -> None:
    """Fill in the rank, median and best of the row from the peers' figures."""
    if not peer_values:
        return
    row.peers_with_figure = len(peer_values)
    row.peer_median = median(peer_values.values())
    if not row.indicator.is_ranked:
        return
    lower_is_better = row.indicator.direction == Indicator.Direction.LOWER
    sign = 1 if lower_is_better else -1  # sorting sign * value ascending puts the best first
    best_id = min(peer_values, key=lambda mid: (sign * peer_values[mid], peers[mid].name))
    row.best_value, row.best_metro = peer_values[best_id], peers[best_id]
    mine = sign * row.figure.value
    row.rank = 1 + sum(1 for v in peer_values.values() if sign * v < mine)
    row.ranked_of = len(peer_values) + 1
