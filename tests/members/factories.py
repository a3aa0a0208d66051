from functools import cache

import factory
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from members.models import Cluster, Membership, Plan
from members.services import membership_set, profile_update

PASSWORD = "correct horse battery staple"


@cache
def _hash_with(hasher: str) -> str:
    return make_password(PASSWORD)


def _password_hash() -> str:
    # Hashing is deliberately slow; every persona shares one hash of the same password.
    return _hash_with(settings.PASSWORD_HASHERS[0])


class UserFactory(factory.django.DjangoModelFactory):
    """A person who signed up and verified their email address."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    username = factory.LazyAttribute(lambda user: user.email.split("@")[0])
    first_name = "Alex"
    last_name = "Rivera"
    password = factory.LazyFunction(_password_hash)

    @factory.post_generation
    def verified_email(user, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )


def make_member(
    *,
    email: str,
    status: str = Membership.Status.ACTIVE,
    home_city: str = "",
    current_period_end=None,
    **profile,
):
    user = UserFactory(email=email)
    membership_set(user=user, status=status, current_period_end=current_period_end)
    if home_city or profile:
        profile_update(user=user, home_city=home_city, **profile)
    return user


def make_plan(**fields) -> Plan:
    defaults = {
        "slug": "individual-yearly",
        "name": "Individual",
        "kind": Plan.Kind.INDIVIDUAL,
        "interval": Plan.Interval.YEAR,
        "price_cents": 12000,
        "stripe_price_id": "price_individual_year",
    }
    defaults.update(fields)
    plan, _ = Plan.objects.get_or_create(slug=defaults.pop("slug"), defaults=defaults)
    return plan


def make_cluster(**fields) -> Cluster:
    defaults = {
        "name": "Greater Cleveland",
        "slug": "greater-cleveland",
        "region": "Cleveland, OH",
        "description": "Members across Cuyahoga County.",
    }
    defaults.update(fields)
    return Cluster.objects.create(**defaults)
