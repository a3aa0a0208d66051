from wagtail import blocks

from core.blocks import BodyBlock


class DataRowBlock(blocks.StructBlock):
    label = blocks.CharBlock(max_length=80, help_text="e.g. a metro or a year.")
    value = blocks.DecimalBlock(decimal_places=2, help_text="The figure, in the unit above.")


class DataFigureBlock(blocks.StructBlock):
    """A small chart from a few figures: editors type the numbers, readers see bars and a table.

    Bars grow from a zero line: negative values to its left, positive to its right, each as
    long as its magnitude on one scale.
    """

    title = blocks.CharBlock(max_length=160, help_text="What the figures show, in a sentence.")
    label_heading = blocks.CharBlock(
        required=False, max_length=40, help_text="The first column's heading, e.g. 'Metro'."
    )
    value_heading = blocks.CharBlock(
        required=False,
        max_length=60,
        help_text="The figures' heading, e.g. 'Change in boardings'; the unit is added.",
    )
    unit = blocks.CharBlock(
        required=False, max_length=30, help_text="Shown after each value, e.g. '%' or 'min'."
    )
    rows = blocks.ListBlock(DataRowBlock(), min_num=1, max_num=20)
    source = blocks.CharBlock(
        required=False, max_length=250, help_text="Where the figures come from."
    )

    class Meta:
        icon = "table"
        template = "blog/blocks/data_figure_block.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        context.update(diverging_bars([row["value"] or 0 for row in value["rows"]]))
        context["unit_heading"] = (value["unit"] or "").strip()
        context["bars"] = [
            {**bar, "label": row["label"]}
            for bar, row in zip(context["bars"], value["rows"], strict=True)
        ]
        return context


def diverging_bars(values) -> dict:
    """Where the zero line sits (percent of the bar track from the left) and each bar's
    length (percent of the track): the track spans the largest negative to the largest
    positive value."""
    most_negative = max((-v for v in values if v < 0), default=0)
    most_positive = max((v for v in values if v > 0), default=0)
    span = (most_negative + most_positive) or 1
    return {
        "zero": round(most_negative / span * 100),
        "has_negative": most_negative > 0,
        "bars": [{"value": v, "percent": round(abs(v) / span * 100)} for v in values],
    }


class BlogBodyBlock(BodyBlock):
    """A blog post's body: the site's content blocks plus data figures."""

    data_figure = DataFigureBlock()
