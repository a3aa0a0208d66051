from urllib.parse import urlencode

from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import Metro
from ..selectors import (
    area_coverage,
    indicators_by_area,
    peer_groups,
    series_benchmarks,
    sort_table_rows,
    sources_with_counts,
)
from .common import crumbs, rankings_context


@require_GET
def rankings(request):
    groups = peer_groups()
    if not groups:
        context = {"crumbs": crumbs(with_vitals=False), "has_metros": Metro.objects.exists()}
        return render(request, "vitals/empty.html", context)
    context = rankings_context(request, groups=groups)
    form = context["form"]
    sort = form.cleaned("sort", "overall")
    direction = form.cleaned("dir", "asc")
    sort_table_rows(
        context["rows"], key=sort, descending=direction == "desc", columns=context["columns"]
    )
    keep = {k: v for k, v in request.GET.items() if k not in {"sort", "dir"} and v}

    def header(key, label, default_dir="asc"):
        current = sort == key
        next_dir = ("desc" if direction == "asc" else "asc") if current else default_dir
        return {
            "key": key,
            "label": label,
            "url": "?" + urlencode({**keep, "sort": key, "dir": next_dir}),
            "aria_sort": ("ascending" if direction == "asc" else "descending") if current else None,
        }

    context["headers"] = {
        "overall": header("overall", "Overall"),
        "metro": header("metro", "Metro"),
        "population": header("population", "Population", "desc"),
    }
    for column in context["columns"]:
        column.header = header(column.indicator.code, column.indicator.name)
    national = series_benchmarks(
        (c.indicator.pk, c.series.year, c.source.series_name)
        for c in context["columns"]
        if c.series
    )
    for column in context["columns"]:
        column.national = national.get(column.indicator.pk)
    context["download_query"] = urlencode({k: v for k, v in keep.items() if k in {"year", "peer"}})
    context["reweighted"] = any(w != 1.0 for w in context["weights"].values())
    coverage = area_coverage()
    context["areas_without_data"] = coverage["without_data"]
    context["areas_outside_score"] = coverage["outside_score"]
    context["crumbs"] = crumbs(with_vitals=False)
    return render(request, "vitals/rankings.html", context)


@require_GET
def methodology(request):
    return render(
        request,
        "vitals/methodology.html",
        {
            "areas": indicators_by_area(),
            "sources": sources_with_counts(),
            "peer_groups": peer_groups(),
            "crumbs": crumbs(),
        },
    )
