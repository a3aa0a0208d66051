from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import charts
from ..models import Metro
from ..selectors import (
    headline_indicators,
    metro_choices,
    metro_comparison,
    peer_group_for,
    peer_groups,
)
from .common import crumbs, national_bar

MOST_COMPARED = 5


@require_GET
def compare(request):
    slugs = [s for s in request.GET.getlist("metro") if s][:MOST_COMPARED]
    metros_by_slug = Metro.objects.in_bulk(slugs, field_name="slug")
    chosen = [metros_by_slug[s] for s in dict.fromkeys(slugs) if s in metros_by_slug]
    peer_group = peer_group_for(peer_groups(), request.GET.get("peer", ""))
    comparison = metro_comparison(
        metros=chosen, peer_group=peer_group, indicators=headline_indicators()
    )
    multiples = []
    if len(chosen) >= 2:
        multiples = [
            _bars(row, chosen)
            for row in comparison["rows"]
            if any(c["figure"] for c in row["cells"])
        ]
    context = {
        "metros": chosen,
        "overall": comparison["overall"],
        "rows": comparison["rows"],
        "multiples": multiples,
        "all_metros": metro_choices(),
        "selects": [chosen[i].slug if i < len(chosen) else "" for i in range(MOST_COMPARED)],
        "peer_group": peer_group,
        "ranked_count": comparison["ranked_count"],
        "with_national": comparison["with_national"],
        "too_few": len(chosen) < 2,
        "crumbs": crumbs(),
    }
    return render(request, "vitals/compare.html", context)


def _bars(row, metros) -> charts.Chart:
    """One small bar chart of an indicator: a bar per metro with a figure, in its colour."""
    indicator, s = row["indicator"], row["series"]
    present = [
        (i, m, c["figure"])
        for i, (m, c) in enumerate(zip(metros, row["cells"], strict=True))
        if c["figure"]
    ]
    national = national_bar(row["national"])
    return charts.bar_chart(
        id=f"compare-{indicator.code}",
        title=indicator.name,
        description=f"{indicator.name} in {s.year}: "
        + "; ".join(f"{m.principal_city} {indicator.format_value(f.value)}" for _, m, f in present)
        + (
            f"; {national['label']} {indicator.format_value(national['value'])}" if national else ""
        ),
        x_label=charts.axis_title(indicator),
        caption=f"{s.year} · Source: {row['source'].publisher}",
        items=[
            *({"label": m.name, "value": f.value, "colour": i} for i, m, f in present),
            *([national] if national else []),
        ],
        fmt=indicator.format_value,
    )
