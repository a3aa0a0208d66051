"""The twelve personas of the access matrix, made through the same factories and services as
the rest of the suite (`tests/conftest.py`, `make_member`), and signed in through allauth.

Who is who:
- anonymous: no account;
- registered: signed up and verified, never paid;
- lapsed: a membership that expired;
- past_due_grace / past_due_expired: a renewal payment failed 2 days ago (inside the grace
  period: still a member) or 30 days ago (outside it: no longer a member);
- member, member2: two paying members (the second tests what one member may not see of another);
- seat_holder: a named seat on an organisation membership (a member through the organisation);
- org_admin: holds the organisation membership and names its seats;
- judge: signed up, not a member, judges one entry of one Prize Challenge;
- library_editor: in the "Library editors" group (Wagtail admin access, the library pages and
  files) but not `is_staff`; has an authenticator app, as the target rules require;
- staff: `is_staff` and superuser, with an authenticator app.
"""

import time
from datetime import timedelta

from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from members.models import Membership
from members.services import membership_set, seat_add
from tests.members.factories import PASSWORD, UserFactory, make_member, make_plan

ANONYMOUS = "anonymous"
PERSONAS = (
    ANONYMOUS,
    "registered",
    "lapsed",
    "past_due_grace",
    "past_due_expired",
    "member",
    "member2",
    "seat_holder",
    "org_admin",
    "judge",
    "library_editor",
    "staff",
)
# Active members, as `members.selectors.membership_is_active` must see them.
MEMBERS = frozenset({"past_due_grace", "member", "member2", "seat_holder", "org_admin"})
SIGNED_IN = frozenset(PERSONAS) - {ANONYMOUS}
EVERYONE = frozenset(PERSONAS)
# Staff accounts that never set up an authenticator: with STAFF_REQUIRE_2FA on they must get
# no staff tool and no people's data, whatever the URL (derived from the matrix, see the test).
STAFF_WITHOUT_2FA = "staff_without_2fa"
EDITOR_WITHOUT_2FA = "library_editor_without_2fa"


def _past_due(email: str, *, days: int):
    user = make_member(email=email, status=Membership.Status.PAST_DUE)
    # How long ago the payment failed: the only way to place it in time without waiting.
    Membership.objects.filter(user=user).update(
        past_due_since=timezone.now() - timedelta(days=days)
    )
    return user


def _totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def make_personas(*, library_editors: Group) -> dict:
    """Every persona's user (None for anonymous) plus the two staff accounts without 2FA."""
    org_plan = make_plan(
        slug="organisation-yearly",
        name="Organisation",
        kind="organisation",
        seats=5,
        price_cents=90000,
        stripe_price_id="price_org_year",
    )
    org_admin = make_member(email="org-admin@example.org", organisation="Admin Org")
    org_membership = membership_set(
        user=org_admin, status=Membership.Status.ACTIVE, current_period_end=None, plan=org_plan
    )
    seat_holder = UserFactory(email="seat-holder@example.org")
    seat_add(membership=org_membership, email=seat_holder.email)

    library_editor = UserFactory(email="library-editor@example.org", is_staff=False)
    library_editor.groups.add(library_editors)
    editor_without_2fa = UserFactory(email="editor-no-2fa@example.org", is_staff=False)
    editor_without_2fa.groups.add(library_editors)

    return {
        ANONYMOUS: None,
        "registered": UserFactory(email="registered@example.org"),
        "lapsed": make_member(email="lapsed@example.org", status=Membership.Status.EXPIRED),
        "past_due_grace": _past_due("grace@example.org", days=2),
        "past_due_expired": _past_due(
            "past-grace@example.org", days=settings.MEMBERSHIP_GRACE_DAYS + 16
        ),
        "member": make_member(email="member@example.org"),
        "member2": make_member(email="member2@example.org"),
        "seat_holder": seat_holder,
        "org_admin": org_admin,
        "judge": UserFactory(email="judge@example.org"),
        "library_editor": library_editor,
        "staff": UserFactory(email="staff@example.org", is_staff=True, is_superuser=True),
        STAFF_WITHOUT_2FA: UserFactory(
            email="staff-no-2fa@example.org", is_staff=True, is_superuser=True
        ),
        EDITOR_WITHOUT_2FA: editor_without_2fa,
    }


def sign_in_all(users: dict) -> dict[str, str]:
    """Sign each persona in through allauth's own login form (and the second factor for the
    staff personas that have one), once; return their session keys to reuse in every test."""
    with_totp = {"staff", "library_editor"}
    sessions = {}
    for name, user in users.items():
        if user is None:
            continue
        client = Client()
        secret = None
        if name in with_totp:
            secret = generate_totp_secret()
            TOTP.activate(user, secret)
        response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        if secret is not None:
            assert response["Location"] == "/accounts/2fa/authenticate/", name
            response = client.post("/accounts/2fa/authenticate/", {"code": _totp_code(secret)})
        assert response.status_code == 302, (name, response.status_code)
        assert client.session.get("_auth_user_id") == str(user.pk), name
        sessions[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return sessions
