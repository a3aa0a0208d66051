from django import template

from events.selectors import user_registrations

register = template.Library()


@register.inclusion_tag("events/includes/account_registrations.html")
def account_registrations(user):
    """The person's coming registrations, for the events section of /account/."""
    return {"registrations": list(user_registrations(user))}
