"""The United States' figures, the benchmark beside the metros' figures.

A national figure is shown beside a metro's only when it is of the same indicator, year and
series (survey and method); otherwise the page says there is none for that year.
"""

from dataclasses import dataclass

from ..models import NationalFigure


@dataclass(frozen=True)
class Benchmark:
    """The national figure for one year and series, or why there is none."""

    year: int
    series: str
    figure: NationalFigure | None
    latest: NationalFigure | None  # the series' most recent national figure, when not `figure`


def national_figures(*, indicator_ids) -> dict[int, list[NationalFigure]]:
    """indicator_id -> its national figures, oldest first, with their sources (one query)."""
    by_indicator: dict[int, list[NationalFigure]] = {}
    for figure in (
        NationalFigure.objects.filter(indicator_id__in=list(indicator_ids))
        .select_related("source")
        .order_by("year")
    ):
        by_indicator.setdefault(figure.indicator_id, []).append(figure)
    return by_indicator


def benchmark(figures: list[NationalFigure], *, year: int, series: str) -> Benchmark:
    """The national figure of that year in that series, else the series' latest one."""
    same_series = [f for f in figures if f.source.series_name == series]
    exact = next((f for f in same_series if f.year == year), None)
    return Benchmark(
        year=year,
        series=series,
        figure=exact,
        latest=None if exact or not same_series else same_series[-1],
    )


def series_benchmarks(series) -> dict[int, Benchmark]:
    """indicator_id -> the national benchmark of each (indicator_id, year, series name) asked
    for: the pages that show one series per indicator (compare, rankings) use it. One query."""
    series = list(series)
    stored = national_figures(indicator_ids={indicator_id for indicator_id, _, _ in series})
    return {
        indicator_id: benchmark(stored.get(indicator_id, []), year=year, series=name)
        for indicator_id, year, name in series
    }


def any_benchmark(benchmarks) -> bool:
    """Whether any of these benchmarks has a national figure to show (of its year or not)."""
    return any(b is not None and (b.figure or b.latest) for b in benchmarks)
