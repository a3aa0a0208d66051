"""City Cluster pages: the metro and its figures, events, the lead's updates, invitations."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from wagtail import hooks

from core.page_cache import cached_fragment
from core.throttle import throttle_allow
from vitals.selectors import default_peer_group, headline_indicators, metro_profile

from . import services
from .forms import ClusterInviteForm, ClusterUpdateForm
from .models import Cluster, ClusterMembership
from .selectors import (
    can_see_member_area,
    cluster_roster,
    cluster_sector_mix,
    cluster_updates,
    clusters_with_counts,
    membership_is_active,
)
from .views import join_prompt, private

HEADLINE_FIGURES = 3
INVITATIONS_PER_DAY = 20


def _metro_figures(metro) -> list[dict]:
    """Up to three headline City Vitals figures of the cluster's metro.

    Computing them ranks every metro of the peer group, so they are kept in the cache until
    City Vitals' figures change: an import or a change of its settings clears every cached
    page (public_pages_changed with paths=None), which is the generation cached_fragment
    keys on. Only plain values are kept (no querysets)."""
    if metro is None:
        return []
    return cached_fragment(f"cluster-metro-figures:{metro.pk}", lambda: _figures_of(metro))


def _figures_of(metro) -> list[dict]:
    indicators = headline_indicators()[:HEADLINE_FIGURES]
    profile = metro_profile(metro=metro, peer_group=default_peer_group(), indicators=indicators)
    return [
        {"indicator": card["indicator"], "current": card["current"], "ranking": card["ranking"]}
        for card in profile["cards"]
        if card["current"]
    ]


def _cluster_sections() -> list[str]:
    """Templates other apps add to a cluster page through the "register_cluster_section"
    hook (events lists the cluster's upcoming events); members never imports them."""
    return [section() for section in hooks.get_hooks("register_cluster_section")]


def is_lead(cluster: Cluster, user) -> bool:
    return user.is_authenticated and cluster.lead_id == user.pk and membership_is_active(user)


def cluster(request, slug: str, *, update_form=None, invite_form=None, status=200):
    cluster = get_object_or_404(clusters_with_counts().select_related("metro"), slug=slug)
    can_see = can_see_member_area(request.user)
    is_member = membership_is_active(request.user)
    roster = [profile.directory_card() for profile in cluster_roster(cluster)] if can_see else None
    lead = is_lead(cluster, request.user)
    return render(
        request,
        "members/cluster.html",
        {
            "cluster": cluster,
            "can_see_members": can_see,
            "sector_mix": cluster_sector_mix(cluster),
            "people": roster,
            "unlisted_total": cluster.member_total - len(roster) if can_see else 0,
            "is_member": is_member,
            "joined": is_member
            and ClusterMembership.objects.filter(cluster=cluster, user=request.user).exists(),
            "metro_figures": _metro_figures(cluster.metro),
            "updates": list(cluster_updates(cluster)) if can_see else None,
            "cluster_sections": _cluster_sections(),
            "is_lead": lead,
            "update_form": (update_form or ClusterUpdateForm()) if lead else None,
            "invite_form": (invite_form or ClusterInviteForm()) if lead else None,
        },
        status=status,
    )


def _lead_only(request, cluster):
    if not request.user.is_authenticated or not membership_is_active(request.user):
        return join_prompt(request)
    if not is_lead(cluster, request.user):
        return render(request, "members/cluster_lead_only.html", {"cluster": cluster}, status=403)
    return None


@private
@require_POST
def cluster_update_post(request, slug: str):
    """The lead posts a short update on the cluster page."""
    cluster_obj = get_object_or_404(Cluster, slug=slug)
    refused = _lead_only(request, cluster_obj)
    if refused:
        return refused
    form = ClusterUpdateForm(request.POST)
    if not form.is_valid():
        return cluster(request, slug, update_form=form, status=400)
    services.cluster_update_post(
        cluster=cluster_obj, author=request.user, body=form.cleaned_data["body"]
    )
    messages.success(request, "Your update is posted.")
    return redirect(cluster_obj)


@private
@require_POST
def cluster_invite(request, slug: str):
    """The lead invites someone by email; the email carries a signed link to accept."""
    cluster_obj = get_object_or_404(Cluster, slug=slug)
    refused = _lead_only(request, cluster_obj)
    if refused:
        return refused
    form = ClusterInviteForm(request.POST)
    if not form.is_valid():
        return cluster(request, slug, invite_form=form, status=400)
    if not throttle_allow(
        action="cluster_invite",
        key=str(request.user.pk),
        limit=INVITATIONS_PER_DAY,
        seconds=86400,
        window_from_first_attempt=True,
    ):
        form.add_error(None, f"You have sent {INVITATIONS_PER_DAY} invitations today: the most.")
        return cluster(request, slug, invite_form=form, status=429)
    services.cluster_invite(
        cluster=cluster_obj, invited_by=request.user, email=form.cleaned_data["email"]
    )
    messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
    return redirect(cluster_obj)


@private
def cluster_accept(request, slug: str, token: str):
    """The invitation's link: signed-in members join with one click; others are told how."""
    cluster_obj = get_object_or_404(Cluster, slug=slug)
    invitation = services.cluster_invitation_from_token(token, cluster=cluster_obj)
    if invitation is None:
        return render(request, "members/cluster_accept.html", {"cluster": cluster_obj}, status=400)
    if not membership_is_active(request.user):
        return join_prompt(request)
    if request.method == "POST":
        services.cluster_invitation_accept(invitation=invitation, user=request.user)
        messages.success(request, f"You joined {cluster_obj.name}.")
        return redirect(cluster_obj)
    return render(
        request,
        "members/cluster_accept.html",
        {"cluster": cluster_obj, "invitation": invitation},
    )
