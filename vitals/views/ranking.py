from urllib.parse import urlencode

from django.shortcuts import render
from django.template.loader import get_template
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from core.page_cache import cached_fragment

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
    # The page shows each cell's value and rank only: no Ranking instances needed.
    context = rankings_context(request, groups=groups, figures_only=True)
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
    filtered = any(form.cleaned(name, "") for name in ("state", "region", "band", "q"))
    row_cells(
        context["rows"],
        peer_group=context["peer_group"],
        columns=context["columns"],
        keep=not filtered,
    )
    return render(request, "vitals/rankings.html", context)


def row_cells(rows, *, peer_group, columns, keep: bool) -> None:
    """Set each row's `cells_html`: its metro, population and indicator cells, which do not
    depend on the weights or the order. With `keep` (the whole peer group's table) they are
    rendered once per data version and kept (cached_fragment: every import, correction,
    edition or settings change clears it), so a re-weighted view renders only its overall
    column; a filtered table renders its few rows each time."""
    template = get_template("vitals/includes/rankings_cells.html")

    def render_rows(rows) -> dict[int, str]:
        return {
            row.metro.pk: template.render({"row": row, "columns": columns}).removesuffix("\n")
            for row in rows
        }

    if keep:
        series = ",".join(
            f"{c.indicator.pk}:{c.series.year}:{c.series.source_id}"
            if c.series
            else f"{c.indicator.pk}:-"
            for c in columns
        )
        html = cached_fragment(
            f"vitals-rankings-cells:{peer_group.pk}:{series}", lambda: render_rows(rows)
        )
        # A metro missing from the kept copy (never while it is current) is rendered here.
        html = {**render_rows([r for r in rows if r.metro.pk not in html]), **html}
    else:
        html = render_rows(rows)
    for row in rows:
        row.cells_html = mark_safe(html[row.metro.pk])  # noqa: S308 (our own template's output)


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
