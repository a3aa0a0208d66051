"""Places in City Clusters."""

from django.db import transaction

from ..models import Cluster, ClusterMembership


@transaction.atomic
def cluster_join(*, cluster: Cluster, user) -> ClusterMembership:
    membership, _ = ClusterMembership.objects.get_or_create(cluster=cluster, user=user)
    return membership


@transaction.atomic
def cluster_leave(*, cluster: Cluster, user) -> None:
    ClusterMembership.objects.filter(cluster=cluster, user=user).delete()
