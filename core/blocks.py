from wagtail import blocks
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock


class CallToActionBlock(blocks.StructBlock):
    """A highlighted box that sends readers somewhere: join, subscribe, register."""

    heading = blocks.CharBlock(max_length=120, help_text="A short, direct line.")
    text = blocks.TextBlock(required=False, help_text="One or two sentences of reason.")
    link_page = blocks.PageChooserBlock(required=False, help_text="A page on this site…")
    link_url = blocks.URLBlock(required=False, help_text="…or an address elsewhere.")
    link_text = blocks.CharBlock(max_length=60, help_text="The button's words, e.g. 'Join now'.")

    class Meta:
        icon = "pick"
        template = "blocks/call_to_action_block.html"


class QuoteBlock(blocks.StructBlock):
    """A pull quote with its speaker."""

    quote = blocks.TextBlock(help_text="The words, without quotation marks.")
    attribution = blocks.CharBlock(required=False, max_length=160, help_text="Who said it.")

    class Meta:
        icon = "openquote"
        template = "blocks/quote_block.html"


class CaptionedImageBlock(blocks.StructBlock):
    """An image with its caption. Images are public: never upload members-only material."""

    image = ImageBlock(help_text="Alt text is asked for when you choose the image.")
    caption = blocks.CharBlock(required=False, max_length=250, help_text="Shown under it.")

    class Meta:
        icon = "image"
        template = "blocks/captioned_image_block.html"


class ToolBlock(blocks.StructBlock):
    """One of the network's tools on the home page: a name, a promise and where to go."""

    title = blocks.CharBlock(max_length=60, help_text="e.g. 'City Vitals research'.")
    text = blocks.TextBlock(help_text="One or two sentences.")
    link_page = blocks.PageChooserBlock(required=False, help_text="Where 'Learn more' goes…")
    link_url = blocks.CharBlock(
        required=False, max_length=200, help_text="…or a path such as /vitals/ or an address."
    )

    class Meta:
        icon = "link"
        template = "blocks/tool_block.html"


class BodyBlock(blocks.StreamBlock):
    """The rich body of a content page."""

    heading = blocks.CharBlock(
        form_classname="title",
        icon="title",
        template="blocks/heading_block.html",
        help_text="A section heading (shown as a second-level heading).",
    )
    paragraph = blocks.RichTextBlock(
        features=["bold", "italic", "link", "document-link", "ol", "ul", "h3", "h4"],
        template="blocks/paragraph_block.html",
    )
    image = CaptionedImageBlock()
    quote = QuoteBlock()
    call_to_action = CallToActionBlock()
    embed = EmbedBlock(help_text="A YouTube or Vimeo address.", template="blocks/embed_block.html")
