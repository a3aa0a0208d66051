from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..changes import period_label
from ..selectors.editions import citation_text, current_edition

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


@register.filter
def describe_change(change, indicator):
    """'+2.3 pts, 2008–2012 to 2013–2017 (larger than the margin of error)', or why the
    series cannot give the change."""
    if change is None:
        return ""
    if change.delta is None:
        return change.reason[:1].upper() + change.reason[1:] + "."
    text = f"{signed_change(change.delta, indicator)}, {change.years}"
    if change.significant is True:
        return text + " (larger than the margin of error)"
    if change.significant is False:
        return text + " (within the margin of error: not a clear change)"
    return text + " (no margin of error with these figures)"


@register.filter
def describe_benchmark(benchmark, indicator):
    """'US 2018: 31.2%' when the nation has a figure of that year and series, else says so."""
    if benchmark is None:
        return ""
    if benchmark.figure:
        return (
            f"US {period_label(benchmark.figure)}: {indicator.format_value(benchmark.figure.value)}"
        )
    if benchmark.latest:
        return (
            f"No national figure for {benchmark.year} "
            f"(latest: US {period_label(benchmark.latest)}, "
            f"{indicator.format_value(benchmark.latest.value)})"
        )
    return f"No national figure for {benchmark.year}"


@register.filter
def national_short(benchmark, indicator):
    """A table heading's national figure: 'US 2018: 31.2%', the year always named; '' when the
    nation has no figure in the series."""
    if benchmark is None:
        return ""
    if benchmark.figure:
        return (
            f"US {period_label(benchmark.figure)}: {indicator.format_value(benchmark.figure.value)}"
        )
    if benchmark.latest:
        return (
            f"US {period_label(benchmark.latest)}: {indicator.format_value(benchmark.latest.value)}"
            f" (no {benchmark.year} figure)"
        )
    return ""


@register.simple_tag
def sort_mark(header):
    if not header.get("aria_sort"):
        return mark_safe('<span class="vitals-sort" aria-hidden="true">↕</span>')  # noqa: S308
    arrow = "▲" if header["aria_sort"] == "ascending" else "▼"
    return format_html(
        '<span class="vitals-sort vitals-sort--on" aria-hidden="true">{}</span>', arrow
    )


@register.inclusion_tag("vitals/includes/citation_line.html", takes_context=True)
def vitals_citation(context, title="City Vitals"):
    """The citation line of a City Vitals page. An edition's pages (`citation_frozen`) cite
    that edition; live pages name the current one: the page's `current_edition` when its
    view has it already (kept with the page's figures), else one query."""
    request = context.get("request")
    url = request.build_absolute_uri() if request else ""
    frozen = bool(context.get("citation_frozen")) and context.get("edition") is not None
    if frozen:
        edition = context["edition"]
    elif "current_edition" in context:
        edition = context["current_edition"]
    else:
        edition = current_edition()
    return {
        "text": citation_text(edition=edition, url=url, title=title, frozen=frozen),
        "edition": edition,
        "frozen": frozen,
    }


@register.filter
def margin(moe, indicator):
    """A margin of error in the indicator's unit: ±1.2 pts, ±$300."""
    if moe is None:
        return ""
    if indicator.unit == "share":
        return f"±{moe * 100:.1f} pts"
    return f"±{indicator.format_value(moe)}"


# (field, value, choices, errors) -> a choice field's widget HTML; cleared when full.
_widgets: dict[tuple, str] = {}
MAX_KEPT_WIDGETS = 512


@register.filter
def choice_widget(bound_field):
    """A choice field's widget, as {{ field }} renders it. Rendering a select is a template per
    option; the same field, value, choices and errors always render the same, so each is
    rendered once per process (the rankings form's selects, on every re-weighted view)."""
    field = bound_field.field
    key = (
        type(field.widget),
        bound_field.html_name,
        bound_field.auto_id,
        repr(bound_field.value()),
        tuple((str(value), str(label)) for value, label in field.choices),
        tuple(bound_field.errors),
    )
    html = _widgets.get(key)
    if html is None:
        if len(_widgets) >= MAX_KEPT_WIDGETS:
            _widgets.clear()
        html = _widgets[key] = str(bound_field)
    return mark_safe(html)  # noqa: S308 (Django's own widget output)
