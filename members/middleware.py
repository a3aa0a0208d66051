from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property


class AdminLoginMiddleware:
    """Every sign-in goes through allauth, and staff need an authenticator app for the admin.

    The Wagtail and Django admin login, Wagtail's front-end login and the admin password-reset
    forms would bypass allauth's rate limits, enumeration protection and second factor, so
    they redirect to allauth's pages.
    With STAFF_REQUIRE_2FA on, staff without TOTP are sent to set it up before any admin page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def admin_prefixes(self) -> tuple[str, ...]:
        return (reverse("wagtailadmin_home"), reverse("admin:index"))

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
                target = f"{target}?{urlencode({'next': next_url})}"
            return redirect(target)
        if (
            settings.STAFF_REQUIRE_2FA
            and request.path.startswith(self.admin_prefixes)
            and request.user.is_authenticated
            and request.user.is_staff
            and not Authenticator.objects.filter(
                user=request.user, type=Authenticator.Type.TOTP
            ).exists()
        ):
            messages.warning(
                request,
                "Staff accounts need two-factor authentication: set up an authenticator app "
                "to open the admin.",
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
