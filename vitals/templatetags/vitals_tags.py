from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def format_value(value, indicator):
    return indicator.format_value(value)


@register.filter
def signed_change(change, indicator):
    """A change between two years in the indicator's unit: +1.2 pts, -$300."""
    if change is None:
        return ""
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    if indicator.unit == "share":
        return f"{sign}{abs(change) * 100:.1f} pts"
    return f"{sign}{indicator.format_value(abs(change))}"


@register.simple_tag
def sort_mark(header):
    if not header.get("aria_sort"):
        return mark_safe('<span class="vitals-sort" aria-hidden="true">↕</span>')  # noqa: S308
    arrow = "▲" if header["aria_sort"] == "ascending" else "▼"
    return format_html(
        '<span class="vitals-sort vitals-sort--on" aria-hidden="true">{}</span>', arrow
    )


@register.filter
def margin(moe, indicator):
    """A margin of error in the indicator's unit: ±1.2 pts, ±$300."""
    if moe is None:
        return ""
    if indicator.unit == "share":
        return f"±{moe * 100:.1f} pts"
    return f"±{indicator.format_value(moe)}"
