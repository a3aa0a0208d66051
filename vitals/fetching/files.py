"""Fetched batches written as import files: the columns of `vitals/data/`."""

from core.csv import csv_lines

from .common import NATIONAL_CODE, Batch, Figure

OBSERVATION_COLUMNS = [
    "metro_cbsa_code",
    "cbsa_code",
    "cbsa_name_in_source",
    "indicator",
    "year",
    "period",
    "value",
    "moe",
    "source_id",
    "vintage",
    "note",
]
SOURCE_COLUMNS = ["source_id", "title", "publisher", "url", "licence", "obtained_via"]
INDICATOR_COLUMNS = [
    "code",
    "name",
    "pillar",
    "unit",
    "higher_is_better",
    "definition",
    "source_table",
    "formula",
]


def import_files(batches: list[Batch], known_metros: set[str]) -> list[tuple[str, str]]:
    """(name, text) pairs for the import. A metropolitan area that is not a City Vitals metro
    keeps its row with an empty metro_cbsa_code, which the import counts as skipped; national
    rows keep the code US, which the import stores as national figures."""
    sources = {row["source_id"]: row for batch in batches for row in batch.sources}
    indicators = {row["code"]: row for batch in batches for row in batch.indicators}
    observations = [
        _observation(figure, known_metros) for batch in batches for figure in batch.figures
    ]
    metros = [row for batch in batches for row in batch.metros]
    files = [("sources.csv", _csv(SOURCE_COLUMNS, sources.values()))]
    if metros:  # the metros' new populations, through the same validated import
        columns = list(metros[0])
        files.append(("metros.csv", _csv(columns, metros)))
    if indicators:
        files.append(("indicators.csv", _csv(INDICATOR_COLUMNS, indicators.values())))
    files.append(("observations.csv", _csv(OBSERVATION_COLUMNS, observations)))
    return files


def _observation(figure: Figure, known_metros: set[str]) -> dict:
    return {
        "metro_cbsa_code": (
            figure.cbsa_code
            if figure.cbsa_code in known_metros or figure.cbsa_code == NATIONAL_CODE
            else ""
        ),
        "cbsa_code": figure.cbsa_code,
        "cbsa_name_in_source": figure.name_in_source,
        "indicator": figure.indicator,
        "year": str(figure.year),
        "period": str(figure.year),
        "value": _figure(figure.value),
        "moe": _figure(figure.moe) if figure.moe is not None else "",
        "source_id": figure.source_id,
        "vintage": figure.vintage,
        "note": figure.note,
    }


def _figure(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6f}".rstrip("0").rstrip(".")


def _csv(columns: list[str], rows) -> str:
    # core.csv escapes formula-like text, as in every CSV the site writes; the figures are
    # never negative, so the import reads back exactly what was fetched.
    return "".join(csv_lines(columns, ([row.get(c, "") for c in columns] for row in rows)))
