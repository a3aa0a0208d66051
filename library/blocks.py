from wagtail import blocks

from core.blocks import BodyBlock


class RecommendationBlock(blocks.StructBlock):
    """One of this month's picks on the library's front page."""

    resource = blocks.PageChooserBlock(page_type="library.ResourcePage")
    note = blocks.CharBlock(max_length=200, required=False, help_text="Why read it now.")

    class Meta:
        icon = "pick"


class ReadingItemBlock(blocks.StructBlock):
    """A library resource on a reading list, with the editor's note."""

    resource = blocks.PageChooserBlock(page_type="library.ResourcePage")
    note = blocks.TextBlock(required=False, help_text="What to look for in it.")

    class Meta:
        icon = "doc-full"
        template = "library/blocks/reading_item_block.html"


class ExternalReadingBlock(blocks.StructBlock):
    """A book, article or paper elsewhere, on a reading list."""

    title = blocks.CharBlock(max_length=200)
    author = blocks.CharBlock(max_length=160, required=False)
    url = blocks.URLBlock(required=False, help_text="Where to find it, if online.")
    note = blocks.TextBlock(required=False, help_text="What to look for in it.")

    class Meta:
        icon = "link-external"
        template = "library/blocks/external_reading_block.html"


class FrameworkAreaBlock(blocks.StructBlock):
    """One incremental-change area of the City Dividends framework: the change, the
    evidence for it, and the library resources that help."""

    title = blocks.CharBlock(max_length=120, help_text="e.g. 'Cut the commute'.")
    change = blocks.TextBlock(help_text="The small change a city can make, in two sentences.")
    evidence = blocks.RichTextBlock(
        features=["bold", "italic", "link", "ul", "ol"], help_text="What the research shows."
    )
    resources = blocks.ListBlock(
        blocks.PageChooserBlock(page_type="library.ResourcePage"),
        required=False,
        help_text="Library resources for this area.",
    )

    class Meta:
        icon = "list-ol"
        template = "library/blocks/framework_area_block.html"


class ResourceBodyBlock(BodyBlock):
    """A resource's members-only body: the site's content blocks, reading-list entries and
    City Dividends framework areas."""

    reading_item = ReadingItemBlock()
    external_reading = ExternalReadingBlock()
    framework_area = FrameworkAreaBlock()
