"""Indicators civicnet computes from imported figures, recomputed after every import.

Each entry says which figures it combines; its `formula` text on the Indicator (from
indicators.csv) explains the same to readers of the methodology page.
"""

from dataclasses import dataclass

from .models import Observation, Source

DERIVED_SOURCE = {
    "code": "civicnet-derived",
    "title": "civicnet calculation from the public figures named in the indicator's formula",
    "publisher": "civicnet, from U.S. Patent and Trademark Office and Census Bureau figures",
    "url": "https://civicnet.example/vitals/methodology/",
    "licence": "Computed from U.S. Government works in the public domain; free to reuse",
    "obtained_via": "",
    "series": "civicnet calculation",
}


@dataclass(frozen=True)
class Figure:
    metro_id: int
    year: int
    period: str
    value: float
    note: str


def patents_per_10k() -> list[Figure]:
    """Patents granted in the latest patent year, per 10,000 residents.

    The shipped patent series (USPTO PTMT) ends in 2015 and the population series
    (Census PEP Vintage 2023) starts in 2020, so each metro's latest patent count is
    divided by its population in the population year nearest to it (2020).
    """
    patents = list(
        Observation.objects.filter(indicator__code="patents_granted").values_list(
            "metro_id", "year", "value"
        )
    )
    if not patents:
        return []
    latest_year = max(year for _, year, _ in patents)
    population: dict[int, dict[int, float]] = {}
    for metro_id, year, value in Observation.objects.filter(
        indicator__code="population"
    ).values_list("metro_id", "year", "value"):
        population.setdefault(metro_id, {})[year] = value
    figures = []
    for metro_id, year, count in patents:
        years = population.get(metro_id)
        if year != latest_year or not years:
            continue
        population_year = min(years, key=lambda y: (abs(y - latest_year), y))
        figures.append(
            Figure(
                metro_id=metro_id,
                year=latest_year,
                period=f"{latest_year} patents / {population_year} population",
                value=round(count / years[population_year] * 10_000, 6),
                note=f"{count:.0f} patents in {latest_year}; population {years[population_year]:.0f} "
                f"in {population_year}",
            )
        )
    return figures


DERIVED_INDICATORS = {"patents_per_10k": patents_per_10k}


def derived_source() -> Source:
    source, created = Source.objects.get_or_create(
        code=DERIVED_SOURCE["code"], defaults=DERIVED_SOURCE
    )
    if not created and any(getattr(source, k) != v for k, v in DERIVED_SOURCE.items()):
        Source.objects.filter(pk=source.pk).update(**DERIVED_SOURCE)
    return source
