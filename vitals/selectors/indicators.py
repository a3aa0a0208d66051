"""One indicator's ranking, and the lists the methodology page explains."""

from django.db.models import Count

from ..models import Area, Indicator, Metro, NationalFigure, Observation, PeerGroup, Ranking, Source
from .rankings import Series, latest_series, series_counts


def indicator_series(
    *, indicator: Indicator, peer_group: PeerGroup | None, year: str = "", source_code: str = ""
) -> dict:
    """The indicator's ranked series in the peer group, newest first, as `available`
    (year, source, ranked metros), and the one to show: the series of that year (and source
    code, when given), else the latest."""
    all_series = series_counts(peer_group=peer_group, indicator_ids=[indicator.pk])
    available = [(y, source_id, n) for _, y, source_id, n in all_series]
    sources = Source.objects.in_bulk({source_id for _, source_id, _ in available})
    chosen = latest_series(all_series).get(indicator.pk)
    match = [
        a
        for a in available
        if str(a[0]) == year and (not source_code or sources[a[1]].code == source_code)
    ]
    if match:
        chosen = Series(indicator.pk, match[0][0], match[0][1], match[0][2])
    return {
        "series": chosen,
        "source": sources.get(chosen.source_id) if chosen else None,
        "available": [
            (y, sources[source_id], n) for y, source_id, n in sorted(available, reverse=True)
        ],
    }


def indicator_rankings(
    *, indicator: Indicator, peer_group: PeerGroup | None, series: Series | None
) -> list[Ranking]:
    """The series' ranks, best first, with their metros and observations."""
    if not series:
        return []
    return list(
        Ranking.objects.filter(
            peer_group=peer_group,
            indicator=indicator,
            year=series.year,
            source_id=series.source_id,
        )
        .select_related("metro", "observation")
        .order_by("rank", "metro__name")
    )


def unranked_metros(*, peer_group: PeerGroup | None, rankings: list[Ranking]):
    """The peer group's metros that have no rank among these (none without a peer group)."""
    if peer_group is None:
        return Metro.objects.none()
    return Metro.objects.filter(peer_group.metro_filter()).exclude(
        pk__in=[r.metro_id for r in rankings]
    )


def indicators_by_area() -> list[dict]:
    """Every area with its indicators, in order. Each indicator has `n`, its number of
    metro figures, and `sources`, the sources of its metro and national figures."""
    indicators = list(
        Indicator.objects.annotate(n=Count("observations")).order_by(
            "area", "headline_order", "name"
        )
    )
    pairs = set(Observation.objects.values_list("indicator_id", "source_id").distinct())
    pairs |= set(NationalFigure.objects.values_list("indicator_id", "source_id").distinct())
    sources = Source.objects.in_bulk({source_id for _, source_id in pairs})
    for indicator in indicators:
        indicator.sources = sorted(
            (
                sources[source_id]
                for indicator_id, source_id in pairs
                if indicator_id == indicator.pk
            ),
            key=lambda source: source.title,
        )
    return [
        {"label": label, "indicators": [i for i in indicators if i.area == value]}
        for value, label in Area.choices
    ]


def sources_with_counts() -> list[Source]:
    """Every source, with `n`: its number of figures."""
    return list(Source.objects.annotate(n=Count("observations")).order_by("title"))
