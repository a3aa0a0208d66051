"""Chart and badge geometry: text is measured, so nothing reaches past an edge."""

import pytest

from vitals import charts
from vitals.models import Indicator
from vitals.services import DEFAULT_PEER_GROUPS

LONG_NAMES = [
    "Nashville-Davidson--Murfreesboro--Franklin, TN",
    "Virginia Beach-Norfolk-Newport News, VA-NC",
    "Louisville/Jefferson County, KY-IN",
    "Minneapolis-St. Paul-Bloomington, MN-WI",
]


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def dollars(value: float) -> str:
    return f"${value:,.0f}"


def test_text_width_grows_with_size_weight_and_wide_letters():
    assert charts.text_width("Tulsa", 24) == 2 * charts.text_width("Tulsa", 12)
    assert charts.text_width("Tulsa", 12, bold=True) > charts.text_width("Tulsa", 12)
    assert charts.text_width("WWWW", 12) > charts.text_width("iiii", 12)
    assert charts.text_width("ab", 10, spacing=1) == charts.text_width("ab", 10) + 2


def test_fit_text_shortens_with_an_ellipsis_only_what_does_not_fit():
    assert charts.fit_text("Tulsa, OK", 200, 12) == "Tulsa, OK"
    short = charts.fit_text(LONG_NAMES[0], 150, 12)
    assert short.endswith("…") and LONG_NAMES[0].startswith(short[:-1])
    assert charts.text_width(short, 12) <= 150


def test_wrap_text_keeps_every_word_in_lines_that_fit():
    title = "How college attainment is spread across 54 metros of 1 million or more"
    lines = charts.wrap_text(title, 200, charts.TITLE, bold=True)
    assert len(lines) > 1
    assert " ".join(lines) == title
    assert all(charts.text_width(line, charts.TITLE, bold=True) <= 200 for line in lines)


@pytest.mark.parametrize(
    ("unit", "title", "fmt_value"),
    [("share", "Percent (%)", "38.6%"), ("usd_nominal", "U.S. dollars ($)", "$79,453")],
)
def test_axis_titles_are_in_the_units_the_ticks_are_written_in(unit, title, fmt_value):
    indicator = Indicator(unit=unit)

    assert charts.axis_title(indicator) == title
    assert indicator.format_value(0.386 if unit == "share" else 79453) == fmt_value
    assert title.endswith(f"({'%' if unit == 'share' else '$'})")


def assert_inside(chart, texts):
    """Each (text, x, anchor, size, bold) lies between 0 and the chart's width."""
    for text, x, anchor, size, bold in texts:
        width = charts.text_width(str(text), size, bold=bold)
        left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
        assert left >= 0 and left + width <= chart.width, (text, left, left + width)


def test_bar_chart_keeps_long_names_values_and_ticks_inside_a_phone_width():
    items = [
        {"label": f"{rank}. {name}", "value": value, "highlight": rank == 48}
        for rank, (name, value) in enumerate(
            zip(LONG_NAMES * 13, [90_000, 61_000] * 26, strict=True), 1
        )
    ]
    chart = charts.bar_chart(
        id="ranked",
        title="Per capita personal income: metros of 500,000 to 1 million, ranked",
        description="",
        x_label="U.S. dollars ($)",
        caption="2023 · Source: U.S. Bureau of Economic Analysis, personal income by county",
        items=items,
        fmt=dollars,
    )

    assert chart.width <= 342  # the content of a 390 px phone
    # each name has the whole width, so even the longest is shown in full, rank first
    assert [b["label"] for b in chart.bars] == [item["label"] for item in items]
    assert_inside(chart, [(line["text"], 0, "start", 16, True) for line in chart.title_lines])
    assert_inside(chart, [(b["label"], 0, "start", 12, b["highlight"]) for b in chart.bars])
    assert_inside(chart, [(b["value_label"], b["end"], "start", 12, False) for b in chart.bars])
    assert_inside(chart, [(t["label"], t["x"], "middle", 12, False) for t in chart.ticks])
    assert_inside(chart, [(line["text"], 0, "start", 11, False) for line in chart.caption_lines])
    assert chart.caption_lines[-1]["y"] < chart.height
    # bars do not overlap their labels or each other
    for bar in chart.bars:
        assert bar["label_y"] < bar["y"] < bar["y"] + chart.bar_height < bar["label_y"] + charts.ROW


def test_histogram_keeps_ticks_and_the_marked_value_inside():
    chart = charts.histogram(
        id="distribution",
        title="How per capita personal income is spread across 54 metros",
        description="",
        x_label="U.S. dollars ($)",
        caption="2023 · Source: U.S. Bureau of Economic Analysis",
        values=[48_000 + 1_500 * n for n in range(54)],
        fmt=dollars,
        highlight=127_500,
    )

    assert chart.width <= 342
    assert_inside(chart, [(t["label"], t["x"], "middle", 12, False) for t in chart.ticks])
    assert_inside(chart, [(chart.marker["label"], chart.marker["label_x"], "middle", 12, True)])
    assert_inside(chart, [(chart.x_label, chart.width - 2, "end", 12, True)])
    # tick labels never touch
    for a, b in zip(chart.ticks, chart.ticks[1:], strict=False):
        assert a["x"] + a["w"] / 2 < b["x"] - b["w"] / 2


def histogram_with_national(value, highlight):
    return charts.histogram(
        id="distribution",
        title="How college attainment is spread across 54 metros",
        description="",
        x_label="Percent (%)",
        caption="2019 · Source: U.S. Census Bureau",
        values=[0.25 + 0.004 * n for n in range(54)],
        fmt=percent,
        highlight=highlight,
        national={"label": "US 2015–2019", "value": value},
    )


@pytest.mark.parametrize(
    ("value", "highlight"),
    [(0.331, 0.33), (0.10, None), (0.10, 0.25), (0.95, 0.462), (0.462, 0.462)],
)
def test_histogram_marks_the_national_figure_on_its_own_row_inside_the_chart(value, highlight):
    chart = histogram_with_national(value, highlight)

    national = chart.national
    assert national["label"] == f"US 2015–2019: {percent(value)}"
    assert_inside(chart, [(national["label"], national["label_x"], "middle", 12, True)])
    # The line stands where the value falls, inside the plot: the bands take in a national
    # figure beyond every metro's.
    assert chart.left <= national["x"] <= chart.right
    assert (
        chart.bars[0]["x"] - 1 <= national["x"] <= chart.bars[-1]["x"] + chart.bars[-1]["width"] + 1
    )
    assert sum(count for _, count in chart.table_rows) == 54
    band_low, band_high = (
        float(v.rstrip("%")) / 100 for v in national["text"].split("band ")[1].split(" to ")
    )
    assert band_low - 0.0005 <= value <= band_high + 0.0005
    # Its label has a row of its own: below the y axis's title, above the marked metro's
    # label and the bars, so the three never overlap whatever the values.
    assert chart.y_label_y + charts.TEXT <= national["label_y"]
    assert national["top"] < chart.bars[0]["y"] + chart.bars[0]["height"]
    if chart.marker:
        assert national["label_y"] + charts.TEXT <= chart.marker["label_y"]
    assert national["label_y"] + 4 < min(bar["y"] for bar in chart.bars)
    assert chart.caption_lines[-1]["y"] < chart.height


def test_histogram_without_a_national_figure_keeps_its_layout():
    values = [0.25 + 0.004 * n for n in range(54)]
    kwargs = {"id": "d", "title": "t", "description": "", "x_label": "x", "caption": "c"}
    kwargs["fmt"] = percent
    plain = charts.histogram(values=values, **kwargs)

    assert plain.national is None
    marked = charts.histogram(values=values, national={"label": "US 2019", "value": 0.3}, **kwargs)
    # The national row moves the bars down by one line, and changes no band.
    assert marked.base_y == plain.base_y + round(charts.TEXT * charts.LEADING)
    assert marked.table_rows == plain.table_rows


def test_line_chart_wraps_long_source_names_in_its_legend():
    chart = charts.line_chart(
        id="trend",
        title="College attainment in Louisville/Jefferson County, by year",
        description="",
        caption="Data years 2009–2019; full source names in the table below.",
        series=[
            {
                "label": "Source: American Community Survey 5-year estimates 2009-2017, "
                "table B06009 (place of birth by educational attainment), CBSA level",
                "points": [(year, 0.29 + year / 100_000) for year in range(2009, 2018)],
            },
            {"label": "Source: ACS 1-year", "points": [(2019, 0.386)]},
        ],
        fmt=percent,
        y_label="Percent (%)",
    )

    assert chart.width <= 292  # a metro card on a 390 px phone
    legend = [text for line in chart.lines for text in line["legend"]]
    assert len(legend) > 2
    assert_inside(chart, [(text["text"], 16, "start", 12, False) for text in legend])
    assert_inside(chart, [(t["label"], t["x"], "middle", 12, False) for t in chart.ticks])
    assert_inside(chart, [(t["label"], chart.left - 6, "end", 12, False) for t in chart.y_ticks])
    assert chart.caption_lines[-1]["y"] > legend[-1]["y"]
    assert chart.height > chart.caption_lines[-1]["y"]


@pytest.mark.parametrize("name", LONG_NAMES)
def test_scatter_shortens_a_highlighted_name_to_the_room_beside_its_dot(name):
    points = [
        {"x": 0.2 + n / 100, "y": 40_000 + n * 900, "label": "x", "highlight": False}
        for n in range(30)
    ]
    points.append({"x": 0.22, "y": 42_000, "label": name, "highlight": True})
    chart = charts.scatter_chart(
        id="s",
        title="Income and degrees, 2019",
        description="",
        x_label="Adults 25+ with a degree (%)",
        y_label="Per-capita income ($)",
        caption="2019 · Census ACS; BEA",
        points=points,
        fit=(90_000, 22_000),
        fmt_x=percent,
        fmt_y=dollars,
    )

    marker = chart.marker
    assert_inside(chart, [(marker["label"], marker["x"], marker["anchor"], 12, True)])


LONGEST_GROUP = max((name for _, name, *_ in DEFAULT_PEER_GROUPS), key=len)


@pytest.mark.parametrize(
    ("place", "group"),
    [
        ("Louisville/Jefferson County, KY", LONGEST_GROUP),
        ("Nashville, TN", "Metros of 1 million or more"),
        ("Winston-Salem/Greensboro/High Point Combined, NC", "A" * 120),
    ],
)
def test_badge_lines_fit_their_boxes(place, group):
    text = charts.badge(
        place=place,
        position=118,
        ranked_count=384,
        group=group,
        edition="City Vitals 2026 · data 2015–2019 · civicnet",
    )

    room = charts.BADGE_ROOM
    assert charts.text_width(text["kicker"], 11, bold=True, spacing=1) <= room
    assert charts.text_width(text["place"], text["place_size"]) <= room
    assert text["place_size"] >= 13
    assert charts.text_width(text["edition"], 11) <= room
    assert charts.text_width(text["group"], 11) <= room
    assert charts.text_width(text["figure"], text["figure_size"], bold=True) <= 76
    assert text["figure"] == "#118" and text["of"] == "of 384"
    if group == LONGEST_GROUP:
        assert text["group"] == group and text["place"] == place  # fits whole


def test_a_badge_without_a_position_says_so():
    text = charts.badge(
        place="Zeta, WA", position=None, ranked_count=54, group="x", edition="City Vitals (live)"
    )

    assert text["figure"] == "n/a" and text["of"] == ""
    assert text["edition"] == "City Vitals (live)"
