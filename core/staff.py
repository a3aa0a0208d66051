"""Staff tools: who needs a second factor, and the one decorator every staff view uses.

Two rules, each decided here and nowhere else:
- A person with any staff capability (`is_staff`, `is_superuser`, or any Django permission at
  all, which covers `wagtailadmin.access_admin` and every staff-tool permission) needs a
  session completed with a second factor when `STAFF_REQUIRE_2FA` is on. `StaffSecondFactor
  Middleware` applies it to every URL but allauth's own account pages (where they set one up,
  prove it or sign out), so a staff page cannot be left out by its URL.
- Each staff tool checks its own permission in the view: `@staff_tool("app.codename")`.
  A test walks every URL pattern and fails when a view that looks at staff status or
  permissions, or any of our views in the Wagtail admin, does not use it.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists
from django.shortcuts import redirect
from django.urls import reverse
from wagtail.admin.menu import MenuItem

from .prepared import PreparedQuery

STAFF_TOOL_ATTR = "staff_tool_permission"


def needs_second_factor(user) -> bool:
    """True for anyone who can reach a staff tool or the admin, whatever the group."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    # Asked by the middleware and again by the page (the editor's bar): one query a request,
    # remembered on this request's user object.
    # (core.auth reads it with the person's row: no query of its own then.)
    if not hasattr(user, "_civicnet_holds_a_permission"):
        people = type(user)._default_manager.filter(holds_a_permission(user.pk), pk=user.pk)
        remember_holds_a_permission(user, people.exists())
    return user._civicnet_holds_a_permission


def holds_a_permission(person):
    """Whether the person (a primary key or an OuterRef to one) holds a permission, their
    own or a group's: a condition for filter() or annotate().

    Asked of the two link tables, each by the person's index. Asked through Permission (one
    EXISTS over `user OR group__user`), PostgreSQL read every permission to answer: ~2 ms,
    and ~2.5 ms to plan, on every signed-in request."""
    own = get_user_model().user_permissions.through.objects.filter(user=person)
    of_a_group = Group.permissions.through.objects.filter(group__user=person)
    return Exists(own) | Exists(of_a_group)


def remember_holds_a_permission(user, holds: bool) -> None:
    """Note on this request's user object whether they hold any permission at all."""
    user._civicnet_holds_a_permission = holds
    if not holds:
        # What ModelBackend would find and remember on this user object: no permission,
        # so a page's `perms.x.y` check asks the database nothing more.
        user._user_perm_cache = user._group_perm_cache = user._perm_cache = set()


# Asked on every staff request: compiled once per process (core.prepared). Recovery codes
# alone are what is left over, not an authenticator.
_AUTHENTICATOR = PreparedQuery(
    lambda user_id: (
        Authenticator.objects.filter(user_id=user_id)
        .exclude(type=Authenticator.Type.RECOVERY_CODES)
        .values_list("pk", flat=True)[:1]
    ),
    user_id=-7_300_002,
)


def has_authenticator(user) -> bool:
    return bool(_AUTHENTICATOR.run(user_id=user.pk))


def session_used_second_factor(request) -> bool:
    """allauth.mfa records {'method': 'mfa'} in the session when a code (or key) was checked,
    at login or at a reauthentication, for this very user."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def second_factor_response(request):
    """None when the request may go on; else where to send the person first."""
    user = request.user
    if not settings.STAFF_REQUIRE_2FA or not needs_second_factor(user):
        return None
    # The middleware asks, then the staff view's decorator (or a page's staff_can): the
    # queries run once a request, for this person (a sign-in mid-request asks again).
    if getattr(request, "_civicnet_second_factor_passed", None) == user.pk:
        return None
    # One notice per page a person opens, not one per background request.
    tell = request.method == "GET" and not request.path.endswith(".json")
    if not has_authenticator(user):
        if tell:
            messages.warning(
                request,
                "Staff accounts need two-factor authentication: set up an authenticator app "
                "before you go on.",
            )
        return redirect(reverse("mfa_activate_totp"))
    if not session_used_second_factor(request):
        if tell:
            messages.info(request, "Enter a code from your authenticator app to go on.")
        target = reverse("mfa_reauthenticate")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
    request._civicnet_second_factor_passed = user.pk
    return None


def second_factor_ok(request) -> bool:
    return second_factor_response(request) is None


def staff_can(request, permission: str) -> bool:
    """For views that serve staff and others (an entrant's own file, a judge's entry):
    the staff branch needs the permission and a second-factor session."""
    return request.user.has_perm(permission) and second_factor_ok(request)


def staff_tool(permission: str):
    """The decorator for every staff view: sign-in, second factor, then this one permission.

    Anonymous visitors go to sign in; signed-in people without the permission get a 403
    (inside the Wagtail admin, the admin's own "permission denied"). Class-based views:
    `staff_tool("app.perm")(MyView.as_view())`.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            response = second_factor_response(request)
            if response is not None:
                return response
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        setattr(wrapped, STAFF_TOOL_ATTR, permission)
        return wrapped

    return decorator


class StaffSecondFactorMiddleware:
    """Staff-capable people reach nothing but their account pages until their session has
    the second factor (with STAFF_REQUIRE_2FA on): no staff URL can be forgotten."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt: tuple[str, ...] | None = None

    def exempt_prefixes(self) -> tuple[str, ...]:
        if self._exempt is None:
            # allauth's pages: sign out, set up or enter a code, reauthenticate.
            accounts = reverse("account_login").rsplit("login/", 1)[0]
            self._exempt = (accounts, settings.STATIC_URL)
        return self._exempt

    def __call__(self, request):
        if settings.STAFF_REQUIRE_2FA and not request.path.startswith(self.exempt_prefixes()):
            response = second_factor_response(request)
            if response is not None:
                return response
        return self.get_response(request)


class PermissionMenuItem(MenuItem):
    """An admin menu item shown only to people who hold the tool's permission."""

    def __init__(self, *args, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)
