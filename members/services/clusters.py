"""Places in City Clusters, the lead's updates and invitations."""

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.emails import send_site_email
from core.tasks import enqueue_on_commit

from ..models import Cluster, ClusterInvitation, ClusterMembership, ClusterUpdate

SEND_CLUSTER_INVITATION = "members.send_cluster_invitation"  # the task (core.tasks.enqueue)
INVITATION_SALT = "members.cluster-invitation"
INVITATION_DAYS = 30


@transaction.atomic
def cluster_join(*, cluster: Cluster, user) -> ClusterMembership:
    membership, _ = ClusterMembership.objects.get_or_create(cluster=cluster, user=user)
    return membership


@transaction.atomic
def cluster_leave(*, cluster: Cluster, user) -> None:
    ClusterMembership.objects.filter(cluster=cluster, user=user).delete()


@transaction.atomic
def cluster_update_post(*, cluster: Cluster, author, body: str) -> ClusterUpdate:
    return ClusterUpdate.objects.create(cluster=cluster, author=author, body=body.strip())


@transaction.atomic
def cluster_invite(*, cluster: Cluster, invited_by, email: str) -> ClusterInvitation:
    """Record the invitation; the email goes out once it is committed."""
    invitation = ClusterInvitation.objects.create(
        cluster=cluster, invited_by=invited_by, email=email.strip().lower()
    )
    enqueue_on_commit(SEND_CLUSTER_INVITATION, invitation.pk)
    return invitation


def cluster_invitation_token(invitation: ClusterInvitation) -> str:
    return signing.dumps(invitation.pk, salt=INVITATION_SALT)


def cluster_invitation_from_token(token: str, *, cluster: Cluster) -> ClusterInvitation | None:
    """The invitation a link names, or None when forged, too old or for another cluster."""
    try:
        pk = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return ClusterInvitation.objects.filter(pk=pk, cluster=cluster).first()


def cluster_invitation_send(*, invitation_id: int) -> bool:
    """Email the invitation; False when already sent."""
    with transaction.atomic():
        invitation = (
            ClusterInvitation.objects.select_for_update(of=("self",))
            .select_related("cluster", "invited_by")
            .filter(pk=invitation_id, emailed_at__isnull=True)
            .first()
        )
        if invitation is None:
            return False
        cluster = invitation.cluster
        lead_name = (
            invitation.invited_by.get_full_name() if invitation.invited_by else ""
        ) or "The cluster's lead"
        accept_path = reverse(
            "members:cluster_accept", args=[cluster.slug, cluster_invitation_token(invitation)]
        )
        send_site_email(
            to=[invitation.email],
            subject=f"civicnet: {lead_name} invites you to {cluster.name}",
            template="members/email/cluster_invitation",
            context={"cluster": cluster, "lead_name": lead_name, "accept_path": accept_path},
        )
        invitation.emailed_at = timezone.now()
        invitation.save(update_fields=["emailed_at"])
    return True


@transaction.atomic
def cluster_invitation_accept(*, invitation: ClusterInvitation, user) -> ClusterMembership:
    membership = cluster_join(cluster=invitation.cluster, user=user)
    if invitation.accepted_at is None:
        invitation.accepted_at, invitation.accepted_by = timezone.now(), user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership
