from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import membership_is_active


@login_required
def dashboard(request):
    """The signed-in person's own page: their membership and what they can do next."""
    membership = getattr(request.user, "membership", None)
    return render(
        request,
        "members/dashboard.html",
        {"membership": membership, "is_member": membership_is_active(request.user)},
    )
