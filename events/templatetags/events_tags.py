from django import template

from events.selectors import user_registrations
from events.services.learning import hours_label

register = template.Library()


@register.inclusion_tag("events/includes/account_registrations.html")
def account_registrations(user):
    """The person's coming registrations, for the events section of /account/."""
    return {"registrations": list(user_registrations(user))}


@register.filter
def hours(value):
    """Continuing education hours without trailing zeros: 1.50 -> 1.5."""
    return hours_label(value)
