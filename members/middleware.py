from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property


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
                    # Signed in and still sent to sign in: this account may not go on to
                    # next_url, and allauth would send it straight back there (a loop).
                    raise PermissionDenied
                target = f"{target}?{urlencode({'next': next_url})}"
            return redirect(target)
        return self.get_response(request)
