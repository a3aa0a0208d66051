"""Geometry for the server-rendered SVG charts; the templates in templates/vitals/charts/ draw it.

Every chart carries a title, a description, axis labels, the data year and the source,
and the page shows its figures again in a table beside it.
"""

import math
from dataclasses import dataclass, field

WIDTH = 640
LEFT = 190  # room for metro names
RIGHT = 70
BAR = 18
GAP = 6
TOP = 44
BOTTOM = 56
PALETTE = ["#0b4f5c", "#c2410c", "#6b21a8", "#166534", "#9a3412"]


@dataclass
class Chart:
    id: str
    title: str
    description: str
    x_label: str
    y_label: str
    caption: str  # data year and source
    width: int = WIDTH
    height: int = 0
    bars: list = field(default_factory=list)
    ticks: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    marker: dict | None = None
    table_head: list = field(default_factory=list)
    table_rows: list = field(default_factory=list)


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


def bar_chart(
    *, id, title, description, x_label, caption, items, fmt, y_label="Metro", width=WIDTH, left=LEFT
) -> Chart:
    """Horizontal bars, one per item: dicts with label, value, highlight, colour index and
    national (a benchmark bar, drawn as an outline)."""
    chart = Chart(id, title, description, x_label, y_label, caption, width=width)
    chart.left, chart.label_x, chart.axis_x = left, left - 6, width - RIGHT
    values = [item["value"] for item in items] or [0]
    ticks = nice_ticks(min(0, min(values)), max(values))
    low, high = ticks[0], ticks[-1]
    plot = width - left - RIGHT

    def x(value):
        return left + (value - low) / (high - low) * plot

    for index, item in enumerate(items):
        y = TOP + index * (BAR + GAP)
        chart.bars.append(
            {
                "label": item["label"],
                "y": y,
                "text_y": y + BAR - 4,
                "x": x(0) if low <= 0 else left,
                "width": max(1.0, x(item["value"]) - (x(0) if low <= 0 else left)),
                "end": x(item["value"]) + 4,
                "value_label": fmt(item["value"]),
                "highlight": item.get("highlight", False),
                "colour": item.get("colour"),
                "national": item.get("national", False),
            }
        )
    bottom = TOP + len(items) * (BAR + GAP)
    chart.height = bottom + BOTTOM
    chart.ticks = [{"x": x(t), "label": fmt(t), "top": TOP - 6, "bottom": bottom} for t in ticks]
    chart.axis_y = bottom + 34
    chart.caption_y = bottom + 50
    return chart


def histogram(
    *, id, title, description, x_label, caption, values, fmt, highlight=None, bins=8
) -> Chart:
    """How many metros fall in each band of values; the highlighted metro's band is marked."""
    chart = Chart(id, title, description, x_label, "Number of metros", caption)
    if not values:
        chart.height = 120
        return chart
    low, high = min(values), max(values)
    if high == low:
        high = low + 1
    step = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(int((value - low) / step), bins - 1)] += 1
    left, plot_w, top, plot_h = 60, WIDTH - 60 - 30, 40, 200
    top_count = max(counts)
    band_w = plot_w / bins
    for index, count in enumerate(counts):
        band_low, band_high = low + index * step, low + (index + 1) * step
        height = count / top_count * plot_h
        contains = highlight is not None and (
            band_low <= highlight < band_high or (index == bins - 1 and highlight == band_high)
        )
        chart.bars.append(
            {
                "x": left + index * band_w + 2,
                "width": band_w - 4,
                "y": top + plot_h - height,
                "height": height,
                "count": count,
                "count_y": top + plot_h - height - 4,
                "mid": left + index * band_w + band_w / 2,
                "highlight": contains,
                "label": f"{fmt(band_low)} to {fmt(band_high)}",
            }
        )
        chart.table_rows.append([f"{fmt(band_low)} to {fmt(band_high)}", count])
    chart.table_head = [x_label, "Metros"]
    chart.ticks = [
        {"x": left + i * band_w * (bins / 4), "label": fmt(low + i * step * (bins / 4))}
        for i in range(5)
    ]
    chart.base_y = top + plot_h
    chart.left = left
    chart.right = left + plot_w
    if highlight is not None:
        chart.marker = {
            "x": left + (highlight - low) / (high - low) * plot_w,
            "label": fmt(highlight),
        }
    chart.axis_y = top + plot_h + 36
    chart.caption_y = top + plot_h + 54
    chart.height = top + plot_h + 66
    chart.y_ticks = [
        {"y": top + plot_h - n / top_count * plot_h, "label": n}
        for n in sorted({0, top_count // 2, top_count})
    ]
    return chart


def line_chart(*, id, title, description, caption, series, fmt, y_label, width=400) -> Chart:
    """One line per series: dicts with label, points [(year, value)] and, for a benchmark
    such as the national figure, dashed=True."""
    chart = Chart(id, title, description, "Year", y_label, caption, width=width)
    points = [p for s in series for p in s["points"]]
    if not points:
        chart.height = 120
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
    left, plot_w, top, plot_h = 62, width - 62 - 24, 48, 150

    def x(year):
        return left + (year - first) / (last - first) * plot_w

    def y(value):
        return top + plot_h - (value - low) / (high - low) * plot_h

    for index, s in enumerate(series):
        coords = [(x(year), y(value), year, value) for year, value in sorted(s["points"])]
        chart.lines.append(
            {
                "label": s["label"],
                "colour": PALETTE[index % len(PALETTE)],
                "path": " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy, _, _ in coords),
                "dots": [
                    {"x": cx, "y": cy, "label": f"{yr}: {fmt(v)}"} for cx, cy, yr, v in coords
                ],
                "legend_y": top + plot_h + 52 + index * 16,
                "dashed": s.get("dashed", False),
            }
        )
    year_step = max(1, math.ceil((last - first) / 5))
    chart.ticks = [{"x": x(yr), "label": str(yr)} for yr in range(first, last + 1, year_step)]
    chart.y_ticks = [{"y": y(t), "label": fmt(t)} for t in ticks]
    chart.left, chart.right, chart.base_y = left, left + plot_w, top + plot_h
    chart.axis_y = top + plot_h + 32
    chart.caption_y = top + plot_h + 52 + len(series) * 16 + 6
    chart.height = chart.caption_y + 14
    return chart


# Narrow enough that 12 px text stays at least 11 px on a 390 px phone (342 px of content).
SCATTER_WIDTH = 340


def scatter_chart(
    *, id, title, description, x_label, y_label, caption, points, fit, fmt_x, fmt_y
) -> Chart:
    """Dots for (x, y) points with the fitted line across their x range; one may be
    highlighted and labelled. points: dicts with x, y, label, highlight; fit: (slope,
    intercept) or None."""
    chart = Chart(id, title, description, x_label, y_label, caption, width=SCATTER_WIDTH)
    left, right, top, plot_h = 52, SCATTER_WIDTH - 14, 48, 190
    chart.left, chart.right, chart.top, chart.base_y = left, right, top, top + plot_h
    chart.axis_y = chart.base_y + 34
    chart.caption_y = chart.base_y + 52
    chart.height = chart.caption_y + 10
    chart.dots = []
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

    def sx(value):
        return left + (value - x_low) / (x_high - x_low) * (right - left)

    def sy(value):
        return top + plot_h - (value - y_low) / (y_high - y_low) * plot_h

    chart.ticks = [{"x": sx(t), "label": fmt_x(t)} for t in x_ticks]
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
            # The label sits beside the dot, on whichever side has room.
            on_left = cx > (left + right) / 2
            chart.marker = {
                "x": cx - 9 if on_left else cx + 9,
                "y": max(top + 10, cy - 8),
                "anchor": "end" if on_left else "start",
                "label": point["label"],
            }
        chart.dots.append(dot)
    return chart
