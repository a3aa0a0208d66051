import io

import pytest

from members import demo
from members.models import (
    Cluster,
    ClusterMembership,
    JoinRequest,
    Membership,
    MembershipEvent,
    Plan,
    Profile,
)
from members.selectors import directory_profiles

pytestmark = pytest.mark.django_db


def counts():
    return [
        model.objects.count()
        for model in (
            Plan,
            Cluster,
            ClusterMembership,
            Membership,
            MembershipEvent,
            Profile,
            JoinRequest,
        )
    ]


def test_members_demo_is_idempotent_and_fills_the_directory_and_clusters():
    demo.load(io.StringIO())
    first = counts()

    demo.load(io.StringIO())

    assert counts() == first
    assert Plan.objects.filter(is_active=True).count() == 4
    assert Cluster.objects.count() == 2
    assert JoinRequest.objects.filter(status=JoinRequest.Status.PENDING).count() == 1
    sectors = set(directory_profiles().values_list("sector", flat=True))
    assert len(sectors) >= 5
    assert all(cluster.lead for cluster in Cluster.objects.all())
