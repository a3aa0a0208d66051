from django import template

from events.selectors import cluster_upcoming_events, user_registrations
from events.services.learning import hours_label

register = template.Library()


@register.inclusion_tag("events/includes/account_registrations.html")
def account_registrations(user):
    """The person's coming registrations, for the events section of /account/."""
    return {"registrations": list(user_registrations(user))}


@register.inclusion_tag("events/includes/cluster_events.html")
def cluster_events(cluster):
    """A City Cluster's upcoming events, for its page (members shows the section)."""
    return {"events": cluster_upcoming_events(cluster), "cluster": cluster}


@register.filter
def hours(value):
    """Continuing education hours without trailing zeros: 1.50 -> 1.5."""
    return hours_label(value)
