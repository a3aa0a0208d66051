"""Template tags of the members app for the Wagtail admin."""

from django import template

from ..models import Membership, Profile
from ..selectors import person_history, person_payments

register = template.Library()

HISTORY_PERMISSION = "members.view_members_report"


@register.inclusion_tag("members/admin/person_history.html", takes_context=True)
def person_history_panel(context, person, limit: int = 100):
    """The person's membership, its changes and payments, on their page in the Wagtail admin
    (for staff who may read the members report: it holds payments)."""
    request = context.get("request")
    if request is None or not request.user.has_perm(HISTORY_PERMISSION) or not person.pk:
        return {"shown": False}
    membership = Membership.objects.filter(user=person).select_related("plan").first()
    return {
        "shown": True,
        "membership": membership,
        "history": list(person_history(person)[:limit]) if membership else [],
        "payments": list(person_payments(person)[:limit]) if membership else [],
        "limit": limit,
    }


@register.inclusion_tag("members/admin/person_profile.html")
def person_profile_panel(person):
    """The person's whole profile for staff on their Wagtail user page: every field, and
    which of them the person keeps from other members."""
    profile = (
        Profile.objects.filter(user=person).select_related("user", "home_metro").first()
        if person.pk
        else None
    )
    return {
        "profile": profile,
        "card": profile.directory_card(everything=True) if profile else None,
    }
