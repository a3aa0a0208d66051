"""Change over time, compared only within an indicator's one declared series.

A series is one survey and method (`Source.series`, e.g. "ACS 1-year"). Two figures of a
series are compared only when their periods do not overlap: ACS 5-year estimates ending in
2016 and 2017 share four of their five years, so their difference says little.

Margins of error are taken as the Census Bureau publishes them, at 90% confidence. A change
is called clear when it is larger than the margin of error of the difference,
sqrt(moe1² + moe2²) (the Census Bureau's test at the 90% level); otherwise it is within the
margin of error. Figures without a margin of error get no such test.
"""

import math
import re
from dataclasses import dataclass

SPANS = (1, 5, 10)
PERIOD = re.compile(r"(\d{4})\s*[-–]\s*(\d{4})")


@dataclass(frozen=True)
class Change:
    """Later minus earlier figure; when there is none, `reason` says why."""

    label: str
    earlier: object | None = None
    later: object | None = None
    reason: str = ""

    @property
    def delta(self) -> float | None:
        if self.earlier is None or self.later is None:
            return None
        return self.later.value - self.earlier.value

    @property
    def significant(self) -> bool | None:
        """True when the change is larger than its margin of error; None without margins."""
        if self.delta is None:
            return None
        moe1, moe2 = self.earlier.margin_of_error, self.later.margin_of_error
        if moe1 is None or moe2 is None:
            return None
        return abs(self.delta) > math.sqrt(moe1**2 + moe2**2)

    @property
    def years(self) -> str:
        if self.delta is None:
            return ""
        return f"{period_label(self.earlier)} to {period_label(self.later)}"


def period_label(figure) -> str:
    """'2013–2017' for a multi-year period, else the period as published ('2019', 'May 2025')."""
    first, last = period_years(figure)
    return f"{first}–{last}" if first != last else (figure.period or str(figure.year))


def period_years(figure) -> tuple[int, int]:
    match = PERIOD.fullmatch(figure.period.strip()) if figure.period else None
    if match:
        return int(match[1]), int(match[2])
    return figure.year, figure.year


def overlaps(a, b) -> bool:
    a_first, a_last = period_years(a)
    b_first, b_last = period_years(b)
    return a_first <= b_last and b_first <= a_last


def in_series(history: list, series: str) -> list:
    """The figures of one series, oldest first (history holds observations with sources)."""
    return sorted((o for o in history if o.source.series_name == series), key=lambda o: o.year)


def series_changes(history: list, series: str) -> dict:
    """{"series", "figures", "since", "spans"}: the change since the last comparable figure
    of the series and the 1-, 5- and 10-year changes, each a Change (with a reason when the
    series cannot support it)."""
    figures = in_series(history, series)
    if not figures:
        reason = f"no figures in the {series} series"
        return {
            "series": series,
            "figures": figures,
            "since": Change("Change", reason=reason),
            "spans": [Change(f"{n}-year change", reason=reason) for n in SPANS],
        }
    latest = figures[-1]
    if len(figures) == 1:
        reason = f"only one year in this series ({series}, {period_label(latest)})"
        return {
            "series": series,
            "figures": figures,
            "since": Change("Change", later=latest, reason=reason),
            "spans": [Change(f"{n}-year change", later=latest, reason=reason) for n in SPANS],
        }
    comparable = [o for o in figures[:-1] if not overlaps(o, latest)]
    last_comparable = comparable[-1] if comparable else None
    if last_comparable:
        since = Change(f"Change since {period_label(last_comparable)}", last_comparable, latest)
    else:
        since = Change(
            "Change",
            later=latest,
            reason=f"{series} periods overlap ({period_label(figures[-2])} and "
            f"{period_label(latest)} share years); no earlier period in this series is "
            "separate from the latest",
        )
    return {
        "series": series,
        "figures": figures,
        "since": since,
        "spans": [_span(figures, latest, n, series, last_comparable) for n in SPANS],
    }


def _span(figures, latest, years: int, series: str, last_comparable) -> Change:
    label = f"{years}-year change"
    earlier = next((o for o in figures if o.year == latest.year - years), None)
    if earlier is None:
        if latest.year - years < figures[0].year:
            reason = f"the series starts with {period_label(figures[0])}"
        else:
            reason = f"no figure for {latest.year - years} in this series"
        return Change(label, later=latest, reason=reason)
    if overlaps(earlier, latest):
        reason = f"{series} periods overlap ({period_label(earlier)} and {period_label(latest)})"
        if last_comparable:
            reason += (
                f"; compare {period_label(last_comparable)} with {period_label(latest)} instead"
            )
        return Change(label, later=latest, reason=reason)
    return Change(label, earlier, latest)
