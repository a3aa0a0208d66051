"""The dashboard's SVG charts, drawn on the server as City Vitals draws its own
(vitals.charts geometry, templates/civicnet/admin/chart_*.html), each with its data table."""

from datetime import date, timedelta

from members.selectors import CURRENCY
from vitals.charts import PALETTE, Chart, bar_chart, nice_ticks

from .dashboard import Period, display

HEIGHT = 180
TOP, LEFT, RIGHT = 40, 64, 16


def column_chart(*, id, title, description, caption, steps, series, kind, width=640) -> Chart:
    """Grouped columns, one group per step (a day, week or month): series are dicts with
    label and values (one per step)."""
    chart = Chart(id, title, description, "", series[0]["label"], caption, width=width)
    chart.left, chart.right, chart.base_y = LEFT, width - RIGHT, TOP + HEIGHT
    values = [value for s in series for value in s["values"]] or [0]
    ticks = nice_ticks(0, max(max(values), 1))
    high = ticks[-1]
    plot = width - LEFT - RIGHT
    step_width = plot / max(len(steps), 1)
    column = max(step_width * 0.8 / len(series), 1)

    def y(value):
        return TOP + HEIGHT - value / high * HEIGHT

    # People come whole: a count axis shows no half steps.
    shown = [t for t in ticks if kind != "count" or t == int(t)]
    chart.y_ticks = [{"y": y(t), "label": display(t, kind)} for t in shown]
    label_every = max(1, round(len(steps) / 8))
    for index, (_, label) in enumerate(steps):
        x0 = LEFT + index * step_width + step_width * 0.1
        for number, s in enumerate(series):
            value = s["values"][index]
            chart.bars.append(
                {
                    "x": x0 + number * column,
                    "y": y(value),
                    "width": column,
                    "height": max(HEIGHT - (y(value) - TOP), 0),
                    "colour": PALETTE[number % len(PALETTE)],
                    "label": f"{label}, {s['label']}: {display(value, kind)}",
                }
            )
        if index % label_every == 0:
            chart.ticks.append({"x": x0 + step_width * 0.4, "label": label})
    chart.legend = [
        {"label": s["label"], "colour": PALETTE[n % len(PALETTE)], "x": LEFT + n * 160}
        for n, s in enumerate(series)
    ]
    chart.legend_y = TOP + HEIGHT + 40
    chart.caption_y = chart.legend_y + 20
    chart.height = chart.caption_y + 10
    chart.table_head = ["Period", *(s["label"] for s in series)]
    chart.table_rows = [
        [label, *(display(s["values"][index], kind) for s in series)]
        for index, (_, label) in enumerate(steps)
    ]
    return chart


def period_steps(period: Period) -> list[date]:
    """The first day of each day, week (Monday) or month the period touches."""
    first, last = period.first_day, period.last_day
    if period.bucket == "week":
        first -= timedelta(days=first.weekday())
    elif period.bucket == "month":
        first = first.replace(day=1)
    steps = []
    while first <= last:
        steps.append(first)
        if period.bucket == "day":
            first += timedelta(days=1)
        elif period.bucket == "week":
            first += timedelta(days=7)
        else:
            first = (first + timedelta(days=32)).replace(day=1)
    return steps


def _step_label(step: date, bucket: str) -> str:
    if bucket == "month":
        return f"{step:%b %Y}"
    if bucket == "week":
        return f"w/c {step:%-d %b}"
    return f"{step:%-d %b}"


def dashboard_charts(period: Period, figures: dict) -> dict:
    """Members joining and leaving, and payments, per step of the period; active members by
    plan and by sector."""
    by_step = dict(figures["series"])
    empty = dict.fromkeys(["new", "returned", "lapsed", "first_revenue", "recurring_revenue"], 0)
    steps = [(step, _step_label(step, period.bucket)) for step in period_steps(period)]
    points = [by_step.get(step, empty) for step, _ in steps]
    caption = f"{period.label}, per {period.bucket}. Source: membership history."
    charts = {
        "members": column_chart(
            id="chart-members",
            title="Members joining and leaving",
            description="New and returning members, and lapsed members, in each "
            f"{period.bucket} of the period.",
            caption=caption,
            steps=steps,
            series=[
                {"label": "Joined", "values": [p["new"] + p["returned"] for p in points]},
                {"label": "Lapsed", "values": [p["lapsed"] for p in points]},
            ],
            kind="count",
        ),
        "revenue": column_chart(
            id="chart-revenue",
            title=f"Payments in {CURRENCY.upper()}",
            description=f"First and recurring membership payments in {CURRENCY.upper()} in "
            f"each {period.bucket}.",
            caption=f"{period.label}, per {period.bucket}. Source: Stripe invoices paid, "
            f"in {CURRENCY.upper()} (other currencies are in the figures above).",
            steps=steps,
            series=[
                {"label": "First payments", "values": [p["first_revenue"] for p in points]},
                {"label": "Recurring", "values": [p["recurring_revenue"] for p in points]},
            ],
            kind="cents",
        ),
    }
    for key, rows, title in (
        ("plans", figures["by_plan"], "Active memberships by plan"),
        ("sectors", figures["by_sector"], "Active memberships by sector"),
    ):
        charts[key] = bar_chart(
            id=f"chart-{key}",
            title=title,
            description=f"{title} at the end of the period.",
            x_label="Memberships",
            caption=f"At the end of {period.label}.",
            items=[{"label": row["label"], "value": row["total"]} for row in rows],
            fmt=lambda value: f"{value:,.0f}",
            width=520,
        )
    return charts
