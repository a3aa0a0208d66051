"""Who may use City Vitals' member tools (My metro, its PDF brief, the XLSX download).

vitals sits below members and never imports it, so members answers through a Wagtail hook:
`members/wagtail_hooks.py` registers a function for MEMBER_ACCESS_HOOK that takes a
signed-in user and returns a MemberAccess. With no such function nobody is a member.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from wagtail import hooks

MEMBER_ACCESS_HOOK = "vitals_member_access"


@dataclass(frozen=True)
class MemberAccess:
    allowed: bool = False  # an active member, or staff who look after the network
    lapsed: bool = False  # was a member: the page offers to renew
    home_metro_id: int | None = None  # from the person's profile


def member_access(user) -> MemberAccess:
    if not user.is_authenticated:
        return MemberAccess()
    for answer in hooks.get_hooks(MEMBER_ACCESS_HOOK):
        return answer(user)
    return MemberAccess()


def member_tool(view):
    """Anonymous visitors are sent to sign in; signed-in non-members (and lapsed members) get
    a 403 page saying what members get and how to join. Members get the view, called with
    their MemberAccess as `access`. Every answer is private: it depends on who asks."""

    @cache_control(private=True)
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        access = member_access(request.user)
        if not access.allowed:
            return render(request, "vitals/members_only.html", {"access": access}, status=403)
        return view(request, *args, access=access, **kwargs)

    return wrapper
