from django import template

register = template.Library()


@register.filter
def dollars(value) -> str:
    """A yearly sum as people say it: $1.3 billion, $540 million, $82,000."""
    if value is None:
        return "—"
    value = float(value)
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if abs(value) >= size:
            return f"${value / size:,.1f} {word}"
    return f"${value:,.0f}"


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"
