"""Inline styles for the HTML email: mail clients ignore <style> blocks, so each tag carries its own."""

from django import template
from django.utils.html import format_html

register = template.Library()

FONT = "font-family:Helvetica,Arial,sans-serif;"
INK = "#1a2a33"
ACCENT = "#0b4f5c"

STYLES = {
    "body": f"margin:0;padding:0;background:#f2f4f5;{FONT}color:{INK};",
    "outer": "width:100%;background:#f2f4f5;",
    # Fluid up to 600 px: the wrapper's max-width holds it (clients ignore max-width on tables);
    # the width="600" attribute is for Outlook on Windows, which reads no CSS widths.
    "wrapper": "max-width:600px;margin:0 auto;",
    "container": "width:100%;max-width:600px;background:#ffffff;border-collapse:collapse;",
    "masthead": f"padding:24px 32px;background:{ACCENT};color:#ffffff;{FONT}font-size:22px;font-weight:bold;",
    "masthead_small": f"{FONT}font-size:13px;font-weight:normal;color:#d7ecef;",
    "cell": f"padding:20px 24px;{FONT}font-size:16px;line-height:1.5;color:{INK};overflow-wrap:anywhere;",
    "h2": f"margin:0 0 12px;{FONT}font-size:20px;line-height:1.3;color:{ACCENT};",
    "h3": f"margin:0 0 4px;{FONT}font-size:17px;line-height:1.3;",
    "p": f"margin:0 0 12px;{FONT}font-size:16px;line-height:1.5;color:{INK};",
    "meta": f"margin:0 0 4px;{FONT}font-size:13px;color:#56666e;text-transform:uppercase;letter-spacing:.04em;",
    "link": f"color:{ACCENT};text-decoration:underline;",
    "item": "padding:0 0 16px;",
    "figure": f"{FONT}font-size:40px;font-weight:bold;color:{ACCENT};padding:0 16px 0 0;vertical-align:top;white-space:nowrap;",
    "button_cell": f"border-radius:6px;background:{ACCENT};",
    "button": f"display:inline-block;padding:12px 22px;{FONT}font-size:16px;font-weight:bold;color:#ffffff;text-decoration:none;",
    "rule": "border:0;border-top:1px solid #dde3e6;margin:0;",
    "footer": f"padding:20px 32px;{FONT}font-size:13px;line-height:1.5;color:#56666e;",
    "preheader": "display:none;max-height:0;overflow:hidden;mso-hide:all;font-size:1px;color:#f2f4f5;",
}


@register.simple_tag
def css(name: str):
    """style="..." for one kind of element (see STYLES)."""
    return format_html('style="{}"', STYLES[name])
