"""Demo logins for `make run`: a staff editor and a paying member."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from .models import Membership
from .services import membership_set, profile_update

User = get_user_model()

STAFF_EMAIL, STAFF_PASSWORD = "staff@civicnet.example", "civicnet-staff-demo"
MEMBER_EMAIL, MEMBER_PASSWORD = "member@civicnet.example", "civicnet-member-demo"


def _demo_user(email: str, password: str, **fields):
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(username=email.split("@")[0], email=email, **fields)
        user.set_password(password)
        user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def load(stdout) -> None:
    _demo_user(
        STAFF_EMAIL,
        STAFF_PASSWORD,
        first_name="Sam",
        last_name="Staff",
        is_staff=True,
        is_superuser=True,
    )
    member = _demo_user(MEMBER_EMAIL, MEMBER_PASSWORD, first_name="Maya", last_name="Member")
    profile_update(user=member, home_city="Cleveland, OH")
    if not hasattr(member, "membership"):
        membership_set(
            user=member,
            status=Membership.Status.ACTIVE,
            current_period_end=None,
            is_complimentary=True,
        )
    stdout.write(f"Demo staff login:  {STAFF_EMAIL} / {STAFF_PASSWORD}  (admin at /admin/)")
    stdout.write(f"Demo member login: {MEMBER_EMAIL} / {MEMBER_PASSWORD}")
