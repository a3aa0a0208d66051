"""The dashboard's active members and MRR at three moments (one LATERAL query on PostgreSQL)
give the same figures as the ORM's reading of the same history, on generated histories."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Membership, MembershipEvent, Payment, grace_period
from members.selectors import memberships_active_at, memberships_active_at_orm
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db

STATUSES = [status for status, _ in Membership.Status.choices]
CURRENCIES = ["usd", "eur", "gbp"]


def _history(seed: int, now) -> None:
    """Forty memberships with random audit rows and payments over a year: every status,
    periods ending before and after the moments, past due inside and outside the grace
    period, yearly payments, refunds, other currencies, rows at the very same instant, and
    memberships with no history or no payment at all."""
    rng = random.Random(seed)
    events, payments = [], []
    for n in range(40):
        membership = Membership.objects.create(user=UserFactory(email=f"m{seed}-{n}@example.org"))
        moments = sorted(
            now - timedelta(days=rng.uniform(0, 400)) for _ in range(rng.randint(0, 5))
        )
        if moments and rng.random() < 0.2:
            moments.append(moments[-1])  # two changes at once: the later row wins
        for at in moments:
            events.append(
                MembershipEvent(
                    membership=membership,
                    created_at=at,
                    source="stripe",
                    to_status=rng.choice(STATUSES),
                    current_period_end=rng.choice(
                        [None, at + timedelta(days=rng.uniform(-10, 60))]
                    ),
                )
            )
        for p in range(rng.randint(0, 4)):
            payments.append(
                Payment(
                    membership=membership,
                    kind=rng.choice([Payment.Kind.PAYMENT] * 3 + [Payment.Kind.REFUND]),
                    stripe_id=f"in_{seed}_{n}_{p}",
                    amount_cents=rng.randint(100, 50_000),
                    currency=rng.choice(CURRENCIES),
                    months=rng.choice([1, 1, 12]),
                    created_at=rng.choice(moments)
                    if moments and rng.random() < 0.3
                    else now - timedelta(days=rng.uniform(0, 400)),
                )
            )
    MembershipEvent.objects.bulk_create(events)
    Payment.objects.bulk_create(payments)


@pytest.mark.parametrize("seed", range(6))
def test_the_one_query_figures_match_the_orms(seed):
    now = timezone.now()
    _history(seed, now)
    moments = {
        "before": now - timedelta(days=180),
        "start": now - timedelta(days=90),
        "end": now,
        # A past-due change just inside the grace period of this moment counts.
        "grace": now - timedelta(days=30) + grace_period() / 2,
    }

    for currencies in (["usd"], CURRENCIES, ["usd", "jpy"]):
        assert memberships_active_at(moments, currencies) == memberships_active_at_orm(
            moments, currencies
        ), (seed, currencies)


def test_the_figures_are_not_all_empty():
    """The generated histories do hold active members and MRR in several currencies."""
    now = timezone.now()
    _history(99, now)
    figures = memberships_active_at({"end": now}, CURRENCIES)["end"]
    assert figures["active"] > 0
    assert sum(1 for cents in figures["mrr_by_currency"].values() if cents) >= 2
