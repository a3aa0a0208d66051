"""The open-data downloads of the rankings: one record per metro and headline indicator."""

from .rankings import Column, TableRow

DOWNLOAD_FIELDS = [
    "peer_group",
    "cbsa_code",
    "metro",
    "overall_position",
    "overall_score",
    "indicator",
    "indicator_name",
    "year",
    "period",
    "value",
    "margin_of_error",
    "rank",
    "ranked_of",
    "percentile",
    "source",
    "source_url",
    "licence",
]


def download_table(table: dict, *, indicator_code: str = "") -> tuple[list[Column], list[TableRow]]:
    """The columns with a ranked series (only that indicator's, when a code is given), and
    the rows by overall position, unranked metros last."""
    columns = [
        c
        for c in table["columns"]
        if c.series and (not indicator_code or c.indicator.code == indicator_code)
    ]
    rows = sorted(table["rows"], key=lambda r: (r.position is None, r.position or 0, r.metro.name))
    return columns, rows


def download_records(*, peer_group, columns: list[Column], rows: list[TableRow]):
    """A dict per metro and column, keyed by DOWNLOAD_FIELDS."""
    for row in rows:
        for column in columns:
            r = row.cells.get(column.indicator.pk)
            yield {
                "peer_group": peer_group.slug,
                "cbsa_code": row.metro.cbsa_code,
                "metro": row.metro.name,
                "overall_position": row.position,
                "overall_score": round(row.score, 2) if row.score is not None else None,
                "indicator": column.indicator.code,
                "indicator_name": column.indicator.name,
                "year": column.series.year,
                "period": r.observation.period if r else None,
                "value": r.value if r else None,
                "margin_of_error": r.observation.margin_of_error if r else None,
                "rank": r.rank if r else None,
                "ranked_of": column.series.ranked_count,
                "percentile": round(r.percentile, 2) if r else None,
                "source": column.source.title,
                "source_url": column.source.url,
                "licence": column.source.licence,
            }
