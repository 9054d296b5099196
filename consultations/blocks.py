"""The blocks a consultation's body and outcome are written with."""

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        required=False,
        max_length=250,
        help_text="Describe the image for people who cannot see it; leave empty if decorative.",
    )
    caption = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "consultations/blocks/image.html"


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock()
    description = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "doc-full"
        template = "consultations/blocks/document.html"


class VideoBlock(blocks.StructBlock):
    video = EmbedBlock(help_text="A link to the video, on any site Wagtail can embed from.")
    transcript_url = blocks.URLBlock(
        required=False, help_text="Where to read a transcript (needed for accessibility)."
    )

    class Meta:
        icon = "media"
        template = "consultations/blocks/video.html"


class CalloutBlock(blocks.StructBlock):
    style = blocks.ChoiceBlock(
        choices=[("inset", "Inset text"), ("warning", "Warning")], default="inset"
    )
    text = blocks.TextBlock(max_length=1000)

    class Meta:
        icon = "warning"
        template = "consultations/blocks/callout.html"


class ConsultationBodyBlock(blocks.StreamBlock):
    rich_text = blocks.RichTextBlock(
        features=RICH_TEXT_FEATURES, template="consultations/blocks/rich_text.html"
    )
    image = ImageBlock()
    document = DocumentBlock()
    video = VideoBlock()
    callout = CalloutBlock()
