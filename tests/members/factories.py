import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from members.models import Membership
from members.services import membership_set, profile_update

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A person who signed up and verified their email address."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    username = factory.LazyAttribute(lambda user: user.email.split("@")[0])
    first_name = "Alex"
    last_name = "Rivera"
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(user, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )


def make_member(*, email: str, status: str = Membership.Status.ACTIVE, home_city: str = ""):
    user = UserFactory(email=email)
    membership_set(user=user, status=status, current_period_end=None)
    if home_city:
        profile_update(user=user, home_city=home_city)
    return user
