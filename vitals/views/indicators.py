from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .. import charts
from ..changes import period_label
from ..models import Indicator, Metro
from ..selectors import (
    benchmark,
    indicator_rankings,
    indicator_series,
    national_figures,
    peer_group_for,
    peer_groups,
    unranked_metros,
)
from .common import crumbs, national_bar


@require_GET
def indicator(request, slug):
    indicator = get_object_or_404(Indicator, code=slug.replace("-", "_"))
    groups = peer_groups()
    peer_group = peer_group_for(groups, request.GET.get("peer", ""))
    year, _, source_code = request.GET.get("series", "").partition("|")
    chosen = indicator_series(
        indicator=indicator, peer_group=peer_group, year=year, source_code=source_code
    )
    series, source = chosen["series"], chosen["source"]
    highlight = Metro.objects.filter(slug=request.GET.get("metro", "")).first()
    rankings = indicator_rankings(indicator=indicator, peer_group=peer_group, series=series)
    highlighted = next((r for r in rankings if highlight and r.metro_id == highlight.pk), None)
    national = (
        benchmark(
            national_figures(indicator_ids=[indicator.pk]).get(indicator.pk, []),
            year=series.year,
            series=source.series_name,
        )
        if series
        else None
    )
    caption = f"{series.year if series else ''} · Source: {source.publisher if source else '—'}"
    context = {
        "indicator": indicator,
        "peer_group": peer_group,
        "peer_groups": groups,
        "series": series,
        "source": source,
        "available": chosen["available"],
        "rankings": rankings,
        "unranked": unranked_metros(peer_group=peer_group, rankings=rankings),
        "national": national,
        "bar": _ranked_bars(indicator, peer_group, series, rankings, highlight, caption, national),
        "distribution": _distribution(
            indicator, rankings, highlight, highlighted, caption, national
        ),
        "highlight": highlight,
        "highlighted": highlighted,
        "metros_for_highlight": [r.metro for r in sorted(rankings, key=lambda r: r.metro.name)],
        "crumbs": crumbs(),
    }
    return render(request, "vitals/indicator.html", context)


def _ranked_bars(
    indicator, peer_group, series, rankings, highlight, caption, national
) -> charts.Chart:
    items = [
        {
            "label": f"{r.rank}. {r.metro.principal_city}, {r.metro.state_list[0]}",
            "value": r.value,
            "highlight": highlight is not None and r.metro_id == highlight.pk,
        }
        for r in rankings
    ]
    bar = national_bar(national)
    if bar and rankings:
        # The national figure sits among the metros where its value falls, unranked.
        value = bar["value"]
        lower_first = indicator.direction == indicator.Direction.LOWER
        after = sum(1 for r in rankings if (r.value < value if lower_first else r.value > value))
        items.insert(after, bar)
    return charts.bar_chart(
        id="ranked",
        title=f"{indicator.name}: {peer_group.name.lower() if peer_group else 'no peer group'}, ranked",
        description=(
            f"Bar chart of {indicator.name.lower()} for {len(rankings)} metros in "
            f"{series.year if series else ''}, best first "
            f"({indicator.get_direction_display().lower()})."
        ),
        x_label=charts.axis_title(indicator),
        caption=caption,
        items=items,
        fmt=indicator.format_value,
    )


def _distribution(indicator, rankings, highlight, highlighted, caption, national) -> charts.Chart:
    # The national figure is marked only when it is of the distribution's year and series.
    us = national.figure if national else None
    mark = {"label": f"US {period_label(us)}", "value": us.value} if us else None
    return charts.histogram(
        id="distribution",
        title=f"How {indicator.name.lower()} is spread across {len(rankings)} metros",
        description=(
            f"Histogram: how many metros fall in each band of {indicator.name.lower()}"
            + (
                f"; {highlight.name} is marked at {indicator.format_value(highlighted.value)}."
                if highlighted
                else "."
            )
            + (
                f" A dashed line marks the national figure, {mark['label']}: "
                f"{indicator.format_value(us.value)}."
                if mark
                else ""
            )
        ),
        x_label=charts.axis_title(indicator),
        caption=caption,
        values=[r.value for r in rankings],
        fmt=indicator.format_value,
        highlight=highlighted.value if highlighted else None,
        national=mark,
    )
