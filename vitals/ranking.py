"""The ranking engine: ranks computed by the database once per import, then stored.

Within a peer group, each (indicator, year, source) series is ranked on its own: 1 is
best in the indicator's direction, ties share the best rank (1, 2, 2, 4), and a metro
without a figure gets no rank at all. Figures from different sources or survey products
are never ranked together, and context-only indicators are not ranked.
"""

from django.db.models import Case, Count, F, FloatField, When, Window
from django.db.models.functions import Rank

from .models import Indicator, Observation, PeerGroup, Ranking

SERIES = [F("indicator_id"), F("year"), F("source_id")]


def percentile_of(rank: int, ranked_count: int) -> float:
    """The share (0-100) of the other ranked metros that this one beats outright."""
    if ranked_count <= 1:
        return 100.0
    return 100.0 * (ranked_count - rank) / (ranked_count - 1)


def ranked_observations(peer_group: PeerGroup):
    """Every rankable observation of the peer group's metros, with its rank and series size."""
    best_first = Case(
        When(indicator__direction=Indicator.Direction.LOWER, then=F("value")),
        default=-F("value"),
        output_field=FloatField(),
    )
    return (
        Observation.objects.filter(peer_group.metro_filter("metro__"))
        .exclude(indicator__direction=Indicator.Direction.NONE)
        .annotate(
            rank=Window(Rank(), partition_by=SERIES, order_by=best_first.asc()),
            ranked_count=Window(Count("id"), partition_by=SERIES),
        )
        .values_list(
            "id", "metro_id", "indicator_id", "source_id", "year", "value", "rank", "ranked_count"
        )
    )


def rankings_rebuild() -> int:
    """Replace every stored rank; returns how many there are. Call inside a transaction."""
    Ranking.objects.all().delete()
    total = 0
    for peer_group in PeerGroup.objects.all():
        rankings = [
            Ranking(
                peer_group=peer_group,
                observation_id=observation_id,
                metro_id=metro_id,
                indicator_id=indicator_id,
                source_id=source_id,
                year=year,
                value=value,
                rank=rank,
                ranked_count=ranked_count,
                percentile=percentile_of(rank, ranked_count),
            )
            for observation_id, metro_id, indicator_id, source_id, year, value, rank, ranked_count in (
                ranked_observations(peer_group)
            )
        ]
        Ranking.objects.bulk_create(rankings, batch_size=2000)
        total += len(rankings)
    return total
