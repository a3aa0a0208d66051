from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property

from core.staff import second_factor_response, staff_can


class AdminLoginMiddleware:
    """Every sign-in goes through allauth.

    The Wagtail and Django admin login, Wagtail's front-end login and the admin password-reset
    forms would bypass allauth's rate limits, enumeration protection and second factor, so
    they redirect to allauth's pages. The second factor itself is
    core.staff.StaffSecondFactorMiddleware's job.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def redirects(self) -> dict[str, str]:
        login, reset = reverse("account_login"), reverse("account_reset_password")
        return {
            reverse("wagtailadmin_login"): login,
            reverse("admin:login"): login,
            # Wagtail's front-end login form (for private pages) is Django's plain one too.
            reverse("wagtailcore_login"): login,
            reverse("wagtailadmin_password_reset"): reset,
        }

    def __call__(self, request):
        target = self.redirects.get(request.path)
        if target is not None:
            next_url = request.GET.get("next") or request.path.rsplit("login/", 1)[0]
            if target.endswith("login/"):
                if request.user.is_authenticated:
                    return self._signed_in_already(request)
                target = f"{target}?{urlencode({'next': next_url})}"
            return redirect(target)
        return self.get_response(request)

    def _signed_in_already(self, request):
        """A signed-in person at a login page (sent on to allauth, which sends a signed-in
        person straight back to `next`, an account that may not open it would go round in
        circles): staff to their second factor first, then to the admin they may open; anyone
        else is refused."""
        response = second_factor_response(request)
        if response is not None:
            return response
        if request.path == reverse("wagtailadmin_login") and staff_can(
            request, "wagtailadmin.access_admin"
        ):
            return redirect("wagtailadmin_home")
        if request.path == reverse("admin:login") and admin.site.has_permission(request):
            return redirect("admin:index")
        raise PermissionDenied
