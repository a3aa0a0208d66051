"""The one CSV writer of the site. Every CSV download goes through `csv_response`.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
spreadsheet programs (CSV injection): such text cells get a leading apostrophe, which the
spreadsheet shows as text. Numbers pass through unchanged, so open data keeps its negative
values. `tests/core/test_csv.py` fails if any other module writes CSV itself.
"""

import csv
import numbers
from collections.abc import Iterable, Sequence

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    """The value as a spreadsheet will take it as text, never as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Number):  # int, float, Decimal: never a formula
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() hands the line back, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterable[str]:
    """The CSV text, one line at a time, every cell made safe."""
    writer = csv.writer(_Echo())
    yield writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def csv_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    stream: bool = True,
    cache_control: str = "private, no-store",
) -> HttpResponse | StreamingHttpResponse:
    """A CSV download. Streams by default, so a long export never sits in memory whole.

    Pass stream=False for small public files the page cache should keep (it stores only
    complete responses), and cache_control="" to leave caching to the usual headers.
    """
    lines = csv_lines(header, rows)
    if stream:
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if cache_control:
        response["Cache-Control"] = cache_control
    return response
