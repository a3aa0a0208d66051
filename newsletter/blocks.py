"""The blocks an editor builds a newsletter edition from."""

from wagtail import blocks


class IntroBlock(blocks.RichTextBlock):
    """The opening note from the editors."""

    def __init__(self, **kwargs):
        super().__init__(features=["bold", "italic", "link"], **kwargs)

    class Meta:
        icon = "pilcrow"
        label = "Intro"


class FeaturedPostsBlock(blocks.StructBlock):
    """Blog posts to feature, in the order chosen, with their standfirst."""

    heading = blocks.CharBlock(default="From the blog", max_length=80)
    posts = blocks.ListBlock(
        blocks.PageChooserBlock(page_type="blog.BlogPage"),
        min_num=1,
        max_num=6,
        help_text="Pick published posts; their title and standfirst go in the email.",
    )

    class Meta:
        icon = "doc-full"
        label = "Featured posts"


class UpcomingEventsBlock(blocks.StructBlock):
    """The next public events, filled in when the edition is sent."""

    heading = blocks.CharBlock(default="Coming up", max_length=80)
    how_many = blocks.IntegerBlock(
        default=3, min_value=1, max_value=6, help_text="How many upcoming events to list."
    )

    class Meta:
        icon = "date"
        label = "Upcoming events"


class VitalsHighlightBlock(blocks.StructBlock):
    """One City Vitals figure worth a look, with a link to the metro or indicator page."""

    heading = blocks.CharBlock(default="City Vitals", max_length=80)
    figure = blocks.CharBlock(max_length=30, help_text="The big number, e.g. '#3' or '12.4%'.")
    caption = blocks.CharBlock(max_length=200, help_text="What the figure says, in a sentence.")
    link_url = blocks.CharBlock(
        max_length=200,
        help_text="A site path such as /vitals/metros/denver/ or a full https:// address.",
    )

    class Meta:
        icon = "table"
        label = "City Vitals highlight"


class CallToActionBlock(blocks.StructBlock):
    """A single button: join, register, submit to a challenge."""

    heading = blocks.CharBlock(max_length=80)
    text = blocks.TextBlock(required=False, max_length=300)
    button_label = blocks.CharBlock(max_length=40)
    button_url = blocks.CharBlock(
        max_length=200, help_text="A site path such as /membership/ or a full https:// address."
    )

    class Meta:
        icon = "pick"
        label = "Call to action"


class EditionBodyBlock(blocks.StreamBlock):
    intro = IntroBlock()
    featured_posts = FeaturedPostsBlock()
    upcoming_events = UpcomingEventsBlock()
    vitals_highlight = VitalsHighlightBlock()
    call_to_action = CallToActionBlock()
