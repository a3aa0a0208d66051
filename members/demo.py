"""Demo content for `make run`: logins, plans, a few listed members and City Clusters.

Safe to run again: everything is looked up first and created only when missing.
"""

from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from vitals.dividend_scenarios import dividend_scenario_create
from vitals.dividends import Steps
from vitals.models import DividendScenario, Metro, PeerChoice
from vitals.services import peer_choice_save

from .accounts import new_username
from .models import (
    Cluster,
    ClusterInvitation,
    ClusterUpdate,
    JoinRequest,
    MemberMessage,
    Membership,
    Plan,
    Profile,
    Sector,
)
from .services import cluster_join, membership_set, profile_update, retention_texts_ensure

User = get_user_model()

STAFF_EMAIL, STAFF_PASSWORD = "staff@civicnet.example", "civicnet-staff-demo"
MEMBER_EMAIL, MEMBER_PASSWORD = "member@civicnet.example", "civicnet-member-demo"

PLANS = [
    {
        "slug": "individual-yearly",
        "name": "Individual",
        "kind": Plan.Kind.INDIVIDUAL,
        "interval": Plan.Interval.YEAR,
        "price_cents": 12000,
        "seats": 1,
        "sort_order": 10,
        "description": "Everything civicnet offers, for one person. Two months free against monthly.",
    },
    {
        "slug": "individual-monthly",
        "name": "Individual",
        "kind": Plan.Kind.INDIVIDUAL,
        "interval": Plan.Interval.MONTH,
        "price_cents": 1200,
        "seats": 1,
        "sort_order": 20,
        "description": "The same membership, paid month by month. Cancel any time.",
    },
    {
        "slug": "organisation-yearly",
        "name": "Organisation",
        "kind": Plan.Kind.ORGANISATION,
        "interval": Plan.Interval.YEAR,
        "price_cents": 90000,
        "seats": 10,
        "sort_order": 30,
        "description": "Ten named seats for a city department, nonprofit, company or campus.",
    },
    {
        "slug": "organisation-monthly",
        "name": "Organisation",
        "kind": Plan.Kind.ORGANISATION,
        "interval": Plan.Interval.MONTH,
        "price_cents": 9000,
        "seats": 10,
        "sort_order": 40,
        "description": "Ten named seats, paid month by month.",
    },
]

# Invented people: name, email, title, organisation, sector, city, bio.
DEMO_MEMBERS = [
    (
        "Rosa",
        "Delgado",
        "rosa.delgado@demo.civicnet.example",
        "Deputy Director of Planning",
        "City of Tucson",
        Sector.PUBLIC,
        "Tucson, AZ",
        "Works on water-wise zoning and turning vacant lots into shaded public space.",
    ),
    (
        "Marcus",
        "Bell",
        "marcus.bell@demo.civicnet.example",
        "Founder",
        "Porchlight Housing Co-op",
        Sector.NONPROFIT,
        "Cleveland, OH",
        "Builds resident-owned housing on Cleveland's east side; happy to share our land trust model.",
    ),
    (
        "Priya",
        "Raman",
        "priya.raman@demo.civicnet.example",
        "Associate Professor of Urban Economics",
        "Lakeshore State University",
        Sector.ACADEMIC,
        "Milwaukee, WI",
        "Studies how small-business lending shapes neighbourhood recovery.",
    ),
    (
        "Daniel",
        "Okafor",
        "daniel.okafor@demo.civicnet.example",
        "Head of Civic Products",
        "Gridline Software",
        Sector.PRIVATE,
        "Cleveland, OH",
        "Makes permit and inspection software that residents can actually use.",
    ),
    (
        "Hannah",
        "Lindqvist",
        "hannah.lindqvist@demo.civicnet.example",
        "Program Officer",
        "North Coast Community Fund",
        Sector.PHILANTHROPY,
        "Cleveland, OH",
        "Funds cross-sector teams working on transit access and jobs.",
    ),
    (
        "Tomás",
        "Ferreira",
        "tomas.ferreira@demo.civicnet.example",
        "Organiser",
        "Southside Neighbors United",
        Sector.CIVIC,
        "Tucson, AZ",
        "Runs block-by-block heat mapping with volunteers every summer.",
    ),
]

PRIVATE_DEMO_MEMBER = "tomas.ferreira@demo.civicnet.example"

CLUSTERS = [
    {
        "slug": "greater-cleveland",
        "name": "Greater Cleveland",
        "region": "Cleveland, OH",
        "description": (
            "Members across Cuyahoga County meeting monthly on housing, transit and small-business "
            "recovery. We rotate hosts between city hall, a campus and a neighbourhood nonprofit."
        ),
        "lead": "marcus.bell@demo.civicnet.example",
        "people": [
            "marcus.bell@demo.civicnet.example",
            "daniel.okafor@demo.civicnet.example",
            "hannah.lindqvist@demo.civicnet.example",
            MEMBER_EMAIL,
        ],
    },
    {
        "slug": "sonoran-desert-cities",
        "name": "Sonoran Desert Cities",
        "region": "Tucson and Phoenix, AZ",
        "description": (
            "Planners, organisers and builders working on extreme heat, water and shade, sharing "
            "data and pilots across the region's cities."
        ),
        "lead": "rosa.delgado@demo.civicnet.example",
        "people": ["rosa.delgado@demo.civicnet.example", "tomas.ferreira@demo.civicnet.example"],
    },
]


def _demo_user(email: str, password: str | None, **fields):
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(username=new_username(), email=email, **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _metro(city: str):
    """The City Vitals metro whose principal city this is, when vitals' data is loaded."""
    name, _, state = city.partition(", ")
    return Metro.objects.filter(principal_city=name, states__contains=state).first()


def _ensure_member(user) -> None:
    if not hasattr(user, "membership"):
        membership_set(
            user=user,
            status=Membership.Status.ACTIVE,
            current_period_end=None,
            is_complimentary=True,
            note="Demo content",
        )


def plans_ensure() -> None:
    """The membership plans (a new deployment needs them too: see bootstrap_site)."""
    for plan in PLANS:
        Plan.objects.get_or_create(slug=plan["slug"], defaults=plan)


def load(stdout) -> None:
    plans_ensure()
    retention_texts_ensure()

    _demo_user(
        STAFF_EMAIL,
        STAFF_PASSWORD,
        first_name="Sam",
        last_name="Staff",
        is_staff=True,
        is_superuser=True,
    )
    member = _demo_user(MEMBER_EMAIL, MEMBER_PASSWORD, first_name="Maya", last_name="Member")
    if not hasattr(member, "profile"):
        profile_update(
            user=member,
            home_city="Cleveland, OH",
            home_metro=_metro("Cleveland, OH"),
            title="Director of Neighborhood Services",
            organisation="City of Cleveland",
            sector=Sector.PUBLIC,
            bio="Leads the city's neighbourhood services team; co-chairs the Greater Cleveland cluster.",
            directory_opt_in=True,
        )
    _ensure_member(member)
    demo_peer_choice(member)
    demo_dividend_scenario(member)

    for first, last, email, title, organisation, sector, city, bio in DEMO_MEMBERS:
        user = _demo_user(email, None, first_name=first, last_name=last)
        if not hasattr(user, "profile"):
            profile_update(
                user=user,
                title=title,
                organisation=organisation,
                sector=sector,
                home_city=city,
                home_metro=_metro(city),
                bio=bio,
                directory_opt_in=True,
            )
        _ensure_member(user)

    # The demo's people have been through the welcome step a new account is offered once.
    Profile.objects.filter(
        user__email__endswith="civicnet.example", welcomed_at__isnull=True
    ).update(welcomed_at=timezone.now())

    # One demo member keeps their organisation and city from other members.
    profile_update(
        user=User.objects.get(email=PRIVATE_DEMO_MEMBER), show_organisation=False, show_city=False
    )

    for spec in CLUSTERS:
        cluster, _ = Cluster.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "region": spec["region"],
                "metro": _metro(spec["region"]),
                "description": spec["description"],
                "lead": User.objects.filter(email=spec["lead"]).first(),
            },
        )
        for email in spec["people"]:
            user = User.objects.get(email=email)
            cluster_join(cluster=cluster, user=user)

    join_request_example()
    member_message_example(member)
    cluster_activity_example()


def cluster_activity_example() -> None:
    """The Greater Cleveland lead's updates and an invitation (recorded, not emailed)."""
    cluster = Cluster.objects.get(slug="greater-cleveland")
    for days_ago, body in [
        (12, "Thanks to everyone who came to city hall last week. Notes are in the shared folder."),
        (3, "Next meeting: the east side land trust walk. Bring good shoes and questions."),
    ]:
        ClusterUpdate.objects.get_or_create(
            cluster=cluster,
            body=body,
            defaults={
                "author": cluster.lead,
                "created_at": timezone.now() - timedelta(days=days_ago),
            },
        )
    ClusterInvitation.objects.get_or_create(
        cluster=cluster,
        email="priya.raman@demo.civicnet.example",
        defaults={"invited_by": cluster.lead, "emailed_at": timezone.now()},
    )


def member_message_example(member) -> None:
    """One message a demo member sent Maya through her profile (logged, not emailed), and a
    demo member who takes no messages."""
    sender = User.objects.get(email="marcus.bell@demo.civicnet.example")
    MemberMessage.objects.get_or_create(
        sender=sender,
        recipient=member,
        subject="Land trust visit in March",
        defaults={
            "body": "Maya, would the neighbourhood services team like to join our land trust "
            "walk on the east side in March? Happy to plan it around your schedule.",
            "emailed_at": timezone.now(),
        },
    )
    profile_update(
        user=User.objects.get(email="priya.raman@demo.civicnet.example"), accepts_messages=False
    )


# The demo member's own peers on My metro: Cleveland's fellow Great Lakes metros (CBSA codes).
DEMO_PEER_METROS = ["19820", "41180", "38300", "17140", "18140", "33340", "15380"]


def demo_peer_choice(member) -> None:
    """The demo member's My metro: their home metro (Cleveland, from the profile) against
    their own list of Great Lakes peers, so it works on first sign-in."""
    peers = list(Metro.objects.filter(cbsa_code__in=DEMO_PEER_METROS))
    if peers and not PeerChoice.objects.filter(user=member).exists():
        peer_choice_save(user=member, metro=None, peer_metros=peers)


def demo_dividend_scenario(member) -> None:
    """A City Dividends scenario saved on the demo member's My metro: Cleveland, two points
    more graduates, a mile less driving a day and a point less poverty."""
    cleveland = Metro.objects.filter(cbsa_code="17410").first()
    if cleveland is None or DividendScenario.objects.filter(user=member).exists():
        return
    dividend_scenario_create(
        user=member,
        metro=cleveland,
        steps=Steps(
            attainment_points=Decimal("2"), miles=Decimal("1"), poverty_points=Decimal("1")
        ),
        name="Two points more graduates",
    )


def join_request_example() -> None:
    """One request waiting for staff, as the "Ask to join" form records it (no email sent)."""
    JoinRequest.objects.get_or_create(
        email="priya.raman@demo.civicnet.example",
        defaults={
            "name": "Priya Raman",
            "organisation": "Fresno Housing Collaborative",
            "plan": Plan.objects.filter(slug="individual-yearly").first(),
            "message": "I coordinate a housing coalition in Fresno and would like to join the "
            "Central Valley conversations. Could you invoice our coalition?",
            "emails_sent_at": timezone.now(),
        },
    )
