from wagtail import blocks

from core.blocks import BodyBlock


class DataRowBlock(blocks.StructBlock):
    label = blocks.CharBlock(max_length=80, help_text="e.g. a metro or a year.")
    value = blocks.DecimalBlock(decimal_places=2, help_text="The figure, in the unit above.")


class DataFigureBlock(blocks.StructBlock):
    """A small chart from a few figures: editors type the numbers, readers see bars and a table."""

    title = blocks.CharBlock(max_length=160, help_text="What the figures show, in a sentence.")
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
        values = [abs(row["value"] or 0) for row in value["rows"]]
        top = max(values, default=0) or 1
        context["bars"] = [
            {
                "label": row["label"],
                "value": row["value"],
                "percent": round(abs(row["value"] or 0) / top * 100),
            }
            for row in value["rows"]
        ]
        return context


class BlogBodyBlock(BodyBlock):
    """A blog post's body: the site's content blocks plus data figures."""

    data_figure = DataFigureBlock()
