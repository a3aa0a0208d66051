"""Geometry for the server-rendered SVG charts; the templates in templates/vitals/charts/ draw it.

Every chart carries a title, a description, axis labels, the data year and the source,
and the page shows its figures again in a table beside it.

A chart is drawn at its own width in CSS pixels and shown between that width and
MAX_SCALE times it (see .chart__svg in static/css/vitals.css): an SVG that shrank with its
frame would shrink 12 px labels to 6 px on a phone, so a frame narrower than the chart
scrolls instead. Text is measured (text_width) so that titles and legends wrap and long
metro names are shortened before they reach an edge.
"""

import math
from dataclasses import dataclass, field

NARROW = 340  # the content of a 390 px phone is 342 px wide
CARD = 290  # a metro card's content on that phone
MAX_SCALE = 1.25
TEXT = 12  # labels, ticks, values and legends (px)
SMALL = 11  # captions: no chart text is smaller
TITLE = 16
LEADING = 1.35  # line height, in ems
PALETTE = ["#0b4f5c", "#c2410c", "#6b21a8", "#166534", "#9a3412"]

# Advance widths, in ems, of the widest fonts a page may fall back to (DejaVu Sans and
# DejaVu Serif, whichever is wider for the character), so text measured here fits whatever
# font the reader's browser draws it in.
# fmt: off
_CHARS = (
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
    "abcdefghijklmnopqrstuvwxyz{|}~–—·…’“”é"
)
_REGULAR = (
    0.32, 0.4, 0.46, 0.84, 0.64, 0.95, 0.89, 0.27, 0.39, 0.39, 0.5, 0.84, 0.32, 0.36, 0.32,
    0.34, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.34, 0.34, 0.84, 0.84,
    0.84, 0.54, 1.0, 0.72, 0.73, 0.77, 0.8, 0.73, 0.69, 0.8, 0.87, 0.4, 0.4, 0.75, 0.66,
    1.02, 0.88, 0.82, 0.67, 0.82, 0.75, 0.69, 0.67, 0.84, 0.72, 1.03, 0.71, 0.66, 0.69, 0.39,
    0.34, 0.39, 0.84, 0.5, 0.5, 0.61, 0.64, 0.56, 0.64, 0.62, 0.37, 0.64, 0.64, 0.32, 0.31,
    0.61, 0.32, 0.97, 0.64, 0.61, 0.64, 0.64, 0.48, 0.52, 0.4, 0.64, 0.59, 0.86, 0.59, 0.59,
    0.53, 0.64, 0.34, 0.64, 0.84, 0.5, 1.0, 0.32, 1.0, 0.32, 0.52, 0.52, 0.62,
)
_BOLD = (
    0.35, 0.46, 0.52, 0.84, 0.7, 1.0, 0.9, 0.31, 0.47, 0.47, 0.52, 0.84, 0.38, 0.42, 0.38,
    0.37, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.4, 0.4, 0.84, 0.84, 0.84, 0.59,
    1.0, 0.78, 0.85, 0.8, 0.87, 0.76, 0.71, 0.85, 0.94, 0.47, 0.47, 0.87, 0.7, 1.11, 0.91,
    0.87, 0.75, 0.87, 0.83, 0.72, 0.74, 0.87, 0.78, 1.12, 0.78, 0.72, 0.73, 0.47, 0.37, 0.47,
    0.84, 0.5, 0.5, 0.67, 0.72, 0.61, 0.72, 0.68, 0.44, 0.72, 0.73, 0.38, 0.36, 0.69, 0.38,
    1.06, 0.73, 0.69, 0.72, 0.72, 0.53, 0.6, 0.48, 0.73, 0.65, 0.92, 0.65, 0.65, 0.58, 0.71,
    0.37, 0.71, 0.84, 0.5, 1.0, 0.38, 1.0, 0.38, 0.66, 0.66, 0.68,
)
# fmt: on
_EMS = {
    False: dict(zip(_CHARS, _REGULAR, strict=True)),
    True: dict(zip(_CHARS, _BOLD, strict=True)),
}


def text_width(text: str, size: float, *, bold: bool = False, spacing: float = 0) -> float:
    """The most room `text` takes at `size` px (plus `spacing` px between letters)."""
    ems = _EMS[bold]
    return sum(ems.get(char, 1.0) for char in text) * size + spacing * len(text)


def fit_text(text: str, width: float, size: float, *, bold: bool = False) -> str:
    """`text`, shortened with an ellipsis if it would be wider than `width`."""
    if text_width(text, size, bold=bold) <= width:
        return text
    while text and text_width(text + "…", size, bold=bold) > width:
        text = text[:-1]
    return text.rstrip(" ,-") + "…"


def wrap_text(text: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    """`text` broken between words into lines no wider than `width`."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(candidate, size, bold=bold) <= width:
            lines[-1] = candidate
        else:
            lines.append(fit_text(word, width, size, bold=bold))
    return lines


def axis_title(indicator) -> str:
    """The value axis's title for an indicator, in the units of its tick labels (a share's
    ticks are percentages)."""
    return indicator.unit_label


@dataclass
class Chart:
    id: str
    title: str
    description: str
    x_label: str
    y_label: str
    caption: str  # data year and source
    width: int = NARROW
    height: int = 0
    bars: list = field(default_factory=list)
    ticks: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    marker: dict | None = None
    national: dict | None = None
    table_head: list = field(default_factory=list)
    table_rows: list = field(default_factory=list)
    title_lines: list = field(default_factory=list)
    caption_lines: list = field(default_factory=list)

    @property
    def max_width(self) -> float:
        return self.width * MAX_SCALE


def _title(chart: Chart) -> float:
    """Sets the title's lines; returns the y just below them."""
    lines = wrap_text(chart.title, chart.width, TITLE, bold=True)
    chart.title_lines = [
        {"text": line, "y": round(TITLE + index * TITLE * LEADING, 1)}
        for index, line in enumerate(lines)
    ]
    return TITLE * LEADING * len(lines)


def _caption(chart: Chart, top: float) -> None:
    """Sets the caption's lines from `top` down, and the chart's height below them."""
    lines = wrap_text(chart.caption, chart.width, SMALL)
    chart.caption_lines = [
        {"text": line, "y": round(top + SMALL + index * SMALL * LEADING, 1)}
        for index, line in enumerate(lines)
    ]
    chart.height = math.ceil(top + SMALL * LEADING * len(lines) + 6)


def _spread(ticks: list[dict], low: float, high: float) -> list[dict]:
    """Ticks whose centred labels stay between `low` and `high` without touching: every
    second one is dropped until they do."""
    step = 1
    while True:
        kept = ticks[::step]
        boxes = [(t["x"] - t["w"] / 2, t["x"] + t["w"] / 2) for t in kept]
        apart = all(a[1] + 6 <= b[0] for a, b in zip(boxes, boxes[1:], strict=False))
        if apart or len(kept) <= 2:
            return [t for t, (a, b) in zip(kept, boxes, strict=True) if a >= low and b <= high]
        step *= 2


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    start = math.floor(low / step) * step
    ticks, value = [], start
    while value <= high + step * 0.001:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


BAR = 14
ROW = 38  # a label line, the bar below it, and a gap


def bar_chart(*, id, title, description, x_label, caption, items, fmt, width=NARROW) -> Chart:
    """Horizontal bars, one per item (dicts with label, value, highlight, colour index and
    national: a benchmark bar, drawn as an outline), each named on its own line above the
    bar, so that long metro names keep the whole width."""
    chart = Chart(id, title, description, x_label, "", caption, width=width)
    top = _title(chart) + 8
    values = [item["value"] for item in items] or [0]
    ticks = nice_ticks(min(0, min(values)), max(values))
    low, high = ticks[0], ticks[-1]
    tick_widths = [text_width(fmt(t), TEXT) for t in ticks]
    value_room = max(text_width(fmt(v), TEXT) for v in values) + 8
    left = tick_widths[0] / 2 + 1
    right = width - max(value_room, tick_widths[-1] / 2 + 1)

    def x(value):
        return left + (value - low) / (high - low) * (right - left)

    zero = x(0) if low <= 0 else left
    for index, item in enumerate(items):
        y = top + index * ROW
        highlight = item.get("highlight", False)
        chart.bars.append(
            {
                "label": fit_text(item["label"], width, TEXT, bold=highlight),
                "label_y": y + TEXT,
                "y": y + 17,
                "text_y": y + 17 + BAR - 3,
                "x": min(zero, x(item["value"])),
                "width": max(1.0, abs(x(item["value"]) - zero)),
                "end": max(zero, x(item["value"])) + 4,
                "value_label": fmt(item["value"]),
                "highlight": highlight,
                "colour": item.get("colour"),
                "national": item.get("national", False),
            }
        )
    bottom = top + len(items) * ROW
    chart.bar_height = BAR
    chart.ticks = _spread(
        [
            {"x": x(t), "label": fmt(t), "w": w, "top": top, "bottom": bottom}
            for t, w in zip(ticks, tick_widths, strict=True)
        ],
        0,
        width,
    )
    chart.grid = [{"x": x(t)} for t in ticks]
    chart.grid_top, chart.grid_bottom = top, bottom
    chart.tick_y = bottom + 16
    chart.axis_x = width
    chart.axis_y = bottom + 36
    _caption(chart, bottom + 44)
    return chart


def histogram(
    *, id, title, description, x_label, caption, values, fmt, highlight=None, national=None, bins=8
) -> Chart:
    """How many metros fall in each band of values; the highlighted metro's band is marked.

    national: {"value", "label"} (label such as "US 2019") draws the nation's figure as a
    dashed line, its label on a row of its own above the bars, so that it never meets the
    axis title or the marked metro's label. The bands stretch to take it in."""
    chart = Chart(id, title, description, x_label, "Number of metros", caption)
    heading = _title(chart)
    if not values:
        _caption(chart, heading)
        return chart
    low, high = min(values), max(values)
    if national is not None:
        low, high = min(low, national["value"]), max(high, national["value"])
    if high == low:
        high = low + 1
    step = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(int((value - low) / step), bins - 1)] += 1
    top_count = max(counts)
    edge_widths = [text_width(fmt(low + i * step), TEXT) for i in range(bins + 1)]
    left = max(text_width(str(top_count), TEXT) + 8, edge_widths[0] / 2 + 1)
    right = NARROW - edge_widths[-1] / 2 - 1
    # The y axis's title, the national figure's label (when there is one), then room for
    # the marked metro's label.
    national_row = heading + 14 + round(TEXT * LEADING) if national is not None else None
    top = heading + 40 + (round(TEXT * LEADING) if national is not None else 0)
    plot_w, plot_h = right - left, 180
    band_w = plot_w / bins
    for index, count in enumerate(counts):
        band_low, band_high = low + index * step, low + (index + 1) * step
        height = count / top_count * plot_h
        contains = highlight is not None and (
            band_low <= highlight < band_high or (index == bins - 1 and highlight == band_high)
        )
        chart.bars.append(
            {
                "x": left + index * band_w + 1,
                "width": band_w - 2,
                "y": top + plot_h - height,
                "height": height,
                "count": count,
                "mid": left + index * band_w + band_w / 2,
                "highlight": contains,
                "label": f"{fmt(band_low)} to {fmt(band_high)}",
            }
        )
        chart.table_rows.append([f"{fmt(band_low)} to {fmt(band_high)}", count])
    chart.table_head = [x_label, "Metros"]
    chart.ticks = _spread(
        [
            {"x": left + i * band_w, "label": fmt(low + i * step), "w": edge_widths[i]}
            for i in range(bins + 1)
        ],
        0,
        chart.width,
    )
    chart.base_y = top + plot_h
    chart.left, chart.right = left, right
    chart.y_label_y = heading + 14
    if highlight is not None:
        x = left + (highlight - low) / (high - low) * plot_w
        half = text_width(fmt(highlight), TEXT, bold=True) / 2
        chart.marker = {
            "x": x,
            "label": fmt(highlight),
            "label_x": min(max(x, half), chart.width - half),
            "label_y": top - 8,
            "top": top - 4,
        }
    if national is not None:
        x = left + (national["value"] - low) / (high - low) * plot_w
        label = fit_text(
            f"{national['label']}: {fmt(national['value'])}", chart.width, TEXT, bold=True
        )
        half = text_width(label, TEXT, bold=True) / 2
        band = next((b for b in chart.bars if b["mid"] + band_w / 2 >= x - 0.01), chart.bars[-1])
        chart.national = {
            "x": x,
            "label": label,
            "label_x": min(max(x, half), chart.width - half),
            "label_y": national_row,
            "top": national_row + 4,
            "text": f"{national['label']}: {fmt(national['value'])}, in the band {band['label']}",
        }
    chart.axis_y = top + plot_h + 36
    chart.y_ticks = [
        {"y": top + plot_h - n / top_count * plot_h, "label": n}
        for n in sorted({0, top_count // 2, top_count})
    ]
    _caption(chart, chart.axis_y + 8)
    return chart


def line_chart(*, id, title, description, caption, series, fmt, y_label, width=CARD) -> Chart:
    """One line per series: dicts with label, points [(year, value)] and, for a benchmark
    such as the national figure, dashed=True."""
    chart = Chart(id, title, description, "Year", y_label, caption, width=width)
    heading = _title(chart)
    points = [p for s in series for p in s["points"]]
    if not points:
        _caption(chart, heading)
        return chart
    years = [year for year, _ in points]
    first, last = min(years), max(years)
    if first == last:
        first, last = first - 1, last + 1
    values = [value for _, value in points]
    low, high = min(values), max(values)
    # A flat or single-point line starts at zero, so tiny differences do not look large.
    ticks = nice_ticks(0 if low >= 0 and high - low < 0.05 * high else low * 0.95, high)
    low, high = ticks[0], ticks[-1]
    left = max(text_width(fmt(t), TEXT) for t in ticks) + 8
    right = width - text_width(str(last), TEXT) / 2 - 1
    top, plot_h = heading + 30, 140
    plot_w = right - left

    def x(year):
        return left + (year - first) / (last - first) * plot_w

    def y(value):
        return top + plot_h - (value - low) / (high - low) * plot_h

    legend_y = top + plot_h + 52
    for index, s in enumerate(series):
        coords = [(x(year), y(value), year, value) for year, value in sorted(s["points"])]
        lines = wrap_text(s["label"], width - 16, TEXT)
        chart.lines.append(
            {
                "label": s["label"],
                "legend": [
                    {"text": line, "y": round(legend_y + n * TEXT * LEADING, 1)}
                    for n, line in enumerate(lines)
                ],
                "colour": PALETTE[index % len(PALETTE)],
                "path": " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy, _, _ in coords),
                "dots": [
                    {"x": cx, "y": cy, "label": f"{yr}: {fmt(v)}"} for cx, cy, yr, v in coords
                ],
                "legend_y": legend_y,
                "dashed": s.get("dashed", False),
            }
        )
        legend_y += TEXT * LEADING * len(lines) + 4
    year_step = max(1, math.ceil((last - first) / 4))
    chart.ticks = _spread(
        [
            {"x": x(yr), "label": str(yr), "w": text_width(str(yr), TEXT)}
            for yr in range(first, last + 1, year_step)
        ],
        0,
        width,
    )
    chart.y_ticks = [{"y": y(t), "label": fmt(t)} for t in ticks]
    chart.left, chart.right, chart.base_y = left, right, top + plot_h
    chart.y_label_y = heading + 12
    chart.axis_y = top + plot_h + 32
    _caption(chart, legend_y - TEXT + 2)
    return chart


SCATTER_WIDTH = NARROW


def scatter_chart(
    *, id, title, description, x_label, y_label, caption, points, fit, fmt_x, fmt_y
) -> Chart:
    """Dots for (x, y) points with the fitted line across their x range; one may be
    highlighted and labelled. points: dicts with x, y, label, highlight; fit: (slope,
    intercept) or None."""
    chart = Chart(id, title, description, x_label, y_label, caption, width=SCATTER_WIDTH)
    heading = _title(chart)
    top, plot_h = heading + 30, 190
    chart.y_label_y = heading + 12
    chart.top, chart.base_y = top, top + plot_h
    chart.axis_y = chart.base_y + 34
    _caption(chart, chart.axis_y + 6)
    chart.dots = []
    chart.left, chart.right = 52, SCATTER_WIDTH - 14
    if not points:
        return chart
    xs = [p["x"] for p in points]
    ys = [p["y"] for p in points]
    line_ends = []
    if fit is not None:
        slope, intercept = fit
        line_ends = [(x, intercept + slope * x) for x in (min(xs), max(xs))]
    x_ticks = nice_ticks(min(xs), max(xs))
    y_ticks = nice_ticks(min(ys + [y for _, y in line_ends]), max(ys + [y for _, y in line_ends]))
    x_low, x_high, y_low, y_high = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]
    left = max(text_width(fmt_y(t), TEXT) for t in y_ticks) + 8
    right = SCATTER_WIDTH - text_width(fmt_x(x_high), TEXT) / 2 - 1
    chart.left, chart.right = left, right

    def sx(value):
        return left + (value - x_low) / (x_high - x_low) * (right - left)

    def sy(value):
        return top + plot_h - (value - y_low) / (y_high - y_low) * plot_h

    chart.ticks = _spread(
        [{"x": sx(t), "label": fmt_x(t), "w": text_width(fmt_x(t), TEXT)} for t in x_ticks],
        0,
        SCATTER_WIDTH,
    )
    chart.y_ticks = [{"y": sy(t), "label": fmt_y(t)} for t in y_ticks]
    if line_ends:
        (x1, y1), (x2, y2) = line_ends
        chart.fit_line = {"x1": sx(x1), "y1": sy(y1), "x2": sx(x2), "y2": sy(y2)}
    # The highlighted dot is drawn last, on top of the others.
    for point in sorted(points, key=lambda p: bool(p.get("highlight"))):
        cx, cy = sx(point["x"]), sy(point["y"])
        dot = {
            "x": cx,
            "y": cy,
            "title": f"{point['label']}: {fmt_x(point['x'])}, {fmt_y(point['y'])}",
            "highlight": bool(point.get("highlight")),
        }
        if dot["highlight"]:
            # The label sits beside the dot, on whichever side has room, and is shortened
            # to that room.
            on_left = cx > (left + right) / 2
            room = cx - 9 if on_left else SCATTER_WIDTH - cx - 9
            chart.marker = {
                "x": cx - 9 if on_left else cx + 9,
                "y": max(top + 10, cy - 8),
                "anchor": "end" if on_left else "start",
                "label": fit_text(point["label"], room, TEXT, bold=True),
            }
        chart.dots.append(dot)
    return chart


BADGE_WIDTH, BADGE_HEIGHT = 320, 80
BADGE_TEXT_X = 100  # right of the position block
BADGE_ROOM = BADGE_WIDTH - BADGE_TEXT_X - 8
BADGE_KICKER = "WHERE DOES YOURS RANK?"


def badge(*, place: str, position: int | None, ranked_count: int, group: str, edition: str):
    """The embeddable badge's text, each line sized or shortened to fit its box: the
    position in the 86 px block on the left, the rest in the BADGE_ROOM beside it."""
    figure = f"#{position}" if position else "n/a"
    figure_size = 30 if position else 16
    figure_size = min(figure_size, 74 / text_width(figure, 1, bold=True))
    place_size = 17
    while place_size > 13 and text_width(place, place_size) > BADGE_ROOM:
        place_size -= 1
    return {
        "figure": figure,
        "figure_size": round(figure_size, 1),
        "of": f"of {ranked_count}" if position else "",
        "kicker": BADGE_KICKER,
        "place": fit_text(place, BADGE_ROOM, place_size),
        "place_size": place_size,
        "edition": fit_text(edition, BADGE_ROOM, SMALL),
        "group": fit_text(group, BADGE_ROOM, SMALL),
    }
