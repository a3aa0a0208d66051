"""The access matrix: every URL pattern the resolver knows × every persona.

Each case stands for one URL pattern (several cases may share one), with a concrete URL
built from the real objects of `matrix_world` and the rule of who gets it. For each persona:
- allowed: a 2xx (or the redirect the case names), with the case's marker in the body;
- everyone else: denied (403, 404, or a redirect to sign in / to set up a second factor / to
  the admin's home) or, for a public page with a members-only part, the page without it;
- no response at all ever contains a case's `never` strings;
- every response to a signed-in persona says `Cache-Control: private`.
A pattern with no case fails `test_every_url_pattern_has_an_access_rule`, so a new URL can
not ship without deciding who may reach it.

One test per case runs all of its personas against the one world (each persona's requests
in a savepoint rolled back after it), and reports every failing cell at once.
"""

from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.security import conftest as w
from tests.security.personas import (
    ANONYMOUS,
    EDITOR_WITHOUT_2FA,
    EVERYONE,
    MEMBERS,
    PERSONAS,
    SIGNED_IN,
    STAFF_WITHOUT_2FA,
)

OK = "ok"  # a 2xx
DENY = "deny"  # 403, 404, or a redirect to sign in, to the admin's home or to set up 2FA
TEASER = "teaser"  # 200, without the members-only part (the case's marker)
NOBODY = frozenset()
STAFF = frozenset({"staff"})
ADMIN_USERS = frozenset({"staff", "library_editor"})
MEMBER_AREA = MEMBERS | STAFF  # the directory and rosters: members, and staff who run them
# Library files: active members, and the editors who manage them (document permissions).
LIBRARY_FILES = MEMBERS | ADMIN_USERS
# Third-party URL families whose many patterns share one rule: one case per view kind below
# stands for them. A project view under these prefixes still needs its own case.
FAMILIES = {"admin/": "Wagtail admin", "django-admin/": "Django admin"}
PROJECT_MODULES = ("civicnet", "members", "vitals", "events", "blog", "library", "core")
DENIED_REDIRECTS = (
    "/accounts/login/",
    "/admin/login/",
    "/django-admin/login/",
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
)


@dataclass(frozen=True)
class Case:
    pattern: str  # the resolver's route, as `url_patterns()` spells it
    url: str  # formatted with the world as `w` (and what `prepare` returns)
    allowed: frozenset
    label: str = ""
    method: str = "GET"
    data: dict = field(default_factory=dict)
    ok: object = OK  # what allowed personas get: OK, an exact status, or "redirect:<prefix>"
    denied: str = DENY  # what the others get: DENY or TEASER
    marker: object = None  # str or bytes: in the body of those who `see` it, nobody else's
    sees: frozenset | None = None  # who sees the marker (default: the allowed)
    never: tuple = ()  # in nobody's response
    others: dict = field(default_factory=dict)  # persona -> outcome, overriding the above
    prepare: object = None  # callable(world) -> dict of extra URL fields, run in the test

    @property
    def id(self) -> str:
        return f"{self.method} {self.pattern}" + (f" [{self.label}]" if self.label else "")

    def expected(self, persona: str):
        if persona in self.others:
            return self.others[persona]
        return self.ok if persona in self.allowed else self.denied

    @property
    def personal(self) -> bool:
        """Not the same for everyone: a shared cache must never keep a signed-in copy."""
        return self.allowed != EVERYONE or self.sees is not None or bool(self.others)

    def sees_marker(self, persona: str) -> bool:
        return persona in (self.allowed if self.sees is None else self.sees)


def _new_attachment(world):
    """A throwaway attachment for the delete case (deleting removes the file on disk)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from events import services

    attachment = services.submission_attach(
        submission=world.entry,
        user=world.users["member"],
        upload=SimpleUploadedFile("spare.pdf", b"%PDF-1.4 spare"),
    )
    return {"spare": attachment.pk}


def _member2_on_the_team(world):
    from events import services

    services.team_invitation_accept(invitation=world.invitation, user=world.users["member2"])
    return {}


def _join_request(world):
    from members.models import JoinRequest

    join_request = JoinRequest.objects.create(name="Asker", email="asker@example.org")
    return {"join_request": join_request.pk}


def _home_metros(world):
    """Everyone's profile names a home metro, so My metro and its brief have one to show."""
    from members.services import profile_update

    for user in world.users.values():
        if user is not None:
            profile_update(user=user, home_metro=world.metro)
    return {}


def _members_scenario(world):
    """A City Dividends scenario "member" saved: nobody else may see, download or delete it."""
    from decimal import Decimal

    from vitals.dividend_scenarios import dividend_scenario_create
    from vitals.dividends import Steps

    scenario = dividend_scenario_create(
        user=world.users["member"],
        metro=world.metro,
        steps=Steps(
            attainment_points=Decimal("2"), miles=Decimal("1"), poverty_points=Decimal("1")
        ),
    )
    return {"scenario": scenario.pk}


def _member_message(world):
    from members import messaging
    from members.models import MemberMessage

    message = MemberMessage.objects.create(
        sender=world.users["member2"],
        recipient=world.users["member"],
        subject="Marker-message-subject",
        body="A note.",
    )
    return {"token": messaging.report_token(message)}


def _member_leads_the_cluster(world):
    from members.models import Cluster

    Cluster.objects.filter(pk=world.cluster.pk).update(lead=world.users["member"])
    return {}


def _cluster_invitation(world):
    from members.services import cluster_invitation_token, cluster_invite

    invitation = cluster_invite(
        cluster=world.cluster, invited_by=world.users["member"], email="invitee@example.org"
    )
    return {"token": cluster_invitation_token(invitation)}


def _import_in_progress(world):
    from django.core.cache import cache

    from vitals.tasks import progress_key

    cache.set(progress_key("matrix-token"), {"state": "running", "done": 1, "total": 2}, 60)
    return {}


_PAID_MEMBERS = dict.fromkeys(("past_due_grace", "member", "member2"), "redirect:/account/")
_NOT_ORG_ADMIN = dict.fromkeys(SIGNED_IN - {"org_admin"}, "redirect:/account/")
# allauth sends a signed-in person who opens a sign-in or sign-up page to their account.
_TO_ACCOUNT = dict.fromkeys(SIGNED_IN, "redirect:/account/")

CASES = [
    # --- project: health, robots, sitemap, feedback, search --------------------------------
    Case("healthz", "/healthz", EVERYONE),
    Case("healthz/ready", "/healthz/ready", EVERYONE),
    Case("robots.txt", "/robots.txt", EVERYONE),
    Case(
        "sitemap.xml",
        "/sitemap.xml",
        EVERYONE,
        never=("/documents/", "/network/", "/library/unpublished/", "/accounts/"),
    ),
    Case(
        "feedback/<int:page_id>/",
        "/feedback/{w.about.pk}/",
        EVERYONE,
        method="POST",
        data={"helpful": "yes"},
        ok="redirect:/about/",
    ),
    Case(
        "search/",
        "/search/?q=playbook",
        EVERYONE,
        never=(w.LIBRARY_BODY,),
        label="library body never in results",
    ),
    # --- documents ---------------------------------------------------------------------------
    Case(
        "documents/<int:document_id>/<path:document_filename>",
        "/documents/{w.library_file.pk}/{w.library_file.filename}",
        LIBRARY_FILES,
        marker=w.LIBRARY_FILE,
        label="file of a members-only resource",
    ),
    Case(
        "documents/<int:document_id>/<path:document_filename>",
        "/documents/{w.loose_library_file.pk}/{w.loose_library_file.filename}",
        LIBRARY_FILES,
        marker=w.LIBRARY_FILE,
        label="file in the Members' library collection",
    ),
    Case(
        "documents/<int:document_id>/<path:document_filename>",
        "/documents/{w.public_file.pk}/{w.public_file.filename}",
        EVERYONE,
        marker=w.PUBLIC_FILE,
        label="public file",
    ),
    Case(
        "documents/^(\\d+)/(.*)$",
        "/documents/{w.library_file.pk}/{w.library_file.filename}",
        LIBRARY_FILES,
        marker=w.LIBRARY_FILE,
        label="Wagtail's own name for the gated URL",
    ),
    Case(
        "documents/authenticate_with_password/<int:restriction_id>/",
        "/documents/authenticate_with_password/999999/",
        NOBODY,
    ),
    # --- accounts (allauth) --------------------------------------------------------------------
    Case("accounts/login/", "/accounts/login/", EVERYONE, others=_TO_ACCOUNT),
    Case(
        "accounts/logout/",
        "/accounts/logout/",
        SIGNED_IN,
        others={ANONYMOUS: "redirect:/"},
    ),
    Case("accounts/inactive/", "/accounts/inactive/", EVERYONE),
    Case("accounts/signup/", "/accounts/signup/", EVERYONE, others=_TO_ACCOUNT),
    Case("accounts/reauthenticate/", "/accounts/reauthenticate/", SIGNED_IN),
    Case("accounts/email/", "/accounts/email/", SIGNED_IN),
    Case("accounts/confirm-email/", "/accounts/confirm-email/", EVERYONE),
    Case("accounts/password/change/", "/accounts/password/change/", SIGNED_IN),
    Case(
        "accounts/password/set/",
        "/accounts/password/set/",
        SIGNED_IN,
        ok="redirect:/accounts/password/change/",
        label="everyone here has a password already",
    ),
    Case("accounts/password/reset/", "/accounts/password/reset/", EVERYONE),
    Case("accounts/login/code/", "/accounts/login/code/", EVERYONE, others=_TO_ACCOUNT),
    Case(
        "accounts/login/code/confirm/",
        "/accounts/login/code/confirm/",
        NOBODY,
        others=_TO_ACCOUNT,
        label="no sign-in code was asked for",
    ),
    Case(
        "accounts/^confirm-email/(?P<key>[-:\\w]+)/$",
        "/accounts/confirm-email/not-a-real-key/",
        EVERYONE,
        label="a key that is not valid",
    ),
    Case(
        "accounts/password/reset/key/done/",
        "/accounts/password/reset/key/done/",
        EVERYONE,
    ),
    Case(
        "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        "/accounts/password/reset/key/1-not-a-key/",
        EVERYONE,
        label="a key that is not valid",
    ),
    Case("accounts/password/reset/done/", "/accounts/password/reset/done/", EVERYONE),
    Case("accounts/2fa/", "/accounts/2fa/", SIGNED_IN),
    Case(
        "accounts/2fa/authenticate/",
        "/accounts/2fa/authenticate/",
        NOBODY,
        others=_TO_ACCOUNT,
        label="no sign-in is waiting for a code",
    ),
    Case(
        "accounts/2fa/reauthenticate/",
        "/accounts/2fa/reauthenticate/",
        ADMIN_USERS,
        label="only those with an authenticator",
    ),
    # Changing the second factor needs a recent re-authentication (issue 11, finding 3).
    Case("accounts/2fa/totp/activate/", "/accounts/2fa/totp/activate/", NOBODY),
    Case("accounts/2fa/totp/deactivate/", "/accounts/2fa/totp/deactivate/", NOBODY),
    Case("accounts/2fa/recovery-codes/", "/accounts/2fa/recovery-codes/", NOBODY),
    Case("accounts/2fa/recovery-codes/generate/", "/accounts/2fa/recovery-codes/generate/", NOBODY),
    Case("accounts/2fa/recovery-codes/download/", "/accounts/2fa/recovery-codes/download/", NOBODY),
    # --- members: account, membership, network, clusters -------------------------------------
    Case("account/", "/account/", SIGNED_IN),
    Case("account/profile/", "/account/profile/", SIGNED_IN),
    Case("account/welcome/", "/account/welcome/", SIGNED_IN),
    Case(
        "account/export.json",
        "/account/export.json",
        SIGNED_IN,
        marker="member@example.org",
        sees=frozenset({"member"}),
        label="each person's own data only",
    ),
    Case("account/delete/", "/account/delete/", SIGNED_IN),
    Case("account/seats/", "/account/seats/", {"org_admin"}, others=_NOT_ORG_ADMIN),
    Case("membership/", "/membership/", EVERYONE),
    Case(
        "membership/checkout/<slug:plan>/",
        "/membership/checkout/individual-yearly/",
        SIGNED_IN,
        others={**_PAID_MEMBERS, "org_admin": "redirect:/account/"},
    ),
    Case("membership/join/", "/membership/join/?plan=individual-yearly", EVERYONE),
    Case("membership/join/sent/", "/membership/join/sent/", EVERYONE),
    Case("membership/welcome/", "/membership/welcome/", SIGNED_IN),
    Case("membership/cancelled/", "/membership/cancelled/", SIGNED_IN),
    Case(
        "membership/billing/",
        "/membership/billing/",
        SIGNED_IN,
        method="POST",
        ok="redirect:/account/",
    ),
    Case("membership/webhook/", "/membership/webhook/", NOBODY, method="POST", denied=400),
    Case(
        "network/",
        "/network/",
        MEMBER_AREA,
        marker=w.LISTED_ORG,
        never=(w.OPTED_OUT_ORG, w.LAPSED_IN_CLUSTER_ORG),
    ),
    Case(
        "network/<str:username>/",
        "/network/{w.users[member].username}/",
        MEMBER_AREA,
        marker=w.LISTED_ORG,
        label="a listed member",
    ),
    Case(
        "network/<str:username>/",
        "/network/{w.users[member2].username}/",
        NOBODY,
        others={"member2": OK},  # a person always sees their own whole profile
        marker=w.OPTED_OUT_ORG,
        sees=frozenset({"member2"}),
        label="a member who opted out",
    ),
    Case(
        "network/<str:username>/message/",
        "/network/{w.users[member].username}/message/",
        MEMBER_AREA,
        method="POST",
        data={"subject": "Hello", "body": "A note."},
        ok="redirect:/network/",
        others={"member": DENY},  # nobody writes to themselves
        label="write to a listed member",
    ),
    Case(
        "network/messages/report/<str:token>/",
        "/network/messages/report/{token}/",
        EVERYONE,
        marker="Marker-message-subject",
        prepare=_member_message,
        label="the signed link in the recipient's email",
    ),
    Case("clusters/", "/clusters/", EVERYONE),
    Case(
        "clusters/<slug:slug>/",
        "/clusters/{w.cluster.slug}/",
        EVERYONE,
        marker=w.LISTED_ORG,
        sees=MEMBER_AREA,
        never=(w.OPTED_OUT_ORG, w.LAPSED_IN_CLUSTER_ORG),
        label="roster: members and staff, opted-in active members only",
    ),
    Case(
        "clusters/<slug:slug>/join/",
        "/clusters/{w.other_cluster.slug}/join/",
        MEMBERS,
        method="POST",
        ok="redirect:/clusters/",
    ),
    Case(
        "clusters/<slug:slug>/leave/",
        "/clusters/{w.cluster.slug}/leave/",
        SIGNED_IN,
        method="POST",
        ok="redirect:/clusters/",
    ),
    Case(
        "clusters/<slug:slug>/updates/",
        "/clusters/{w.cluster.slug}/updates/",
        frozenset({"member"}),
        method="POST",
        data={"body": "We meet Tuesday."},
        ok="redirect:/clusters/",
        prepare=_member_leads_the_cluster,
        label="the cluster's lead only",
    ),
    Case(
        "clusters/<slug:slug>/invite/",
        "/clusters/{w.cluster.slug}/invite/",
        frozenset({"member"}),
        method="POST",
        data={"email": "invitee@example.org"},
        ok="redirect:/clusters/",
        prepare=_member_leads_the_cluster,
        label="the cluster's lead only",
    ),
    Case(
        "clusters/<slug:slug>/accept/<str:token>/",
        "/clusters/{w.cluster.slug}/accept/{token}/",
        MEMBERS,
        prepare=_cluster_invitation,
        label="the signed link of an invitation: members join",
    ),
    # --- City Vitals (open data) ---------------------------------------------------------------
    Case("vitals/", "/vitals/", EVERYONE),
    Case("vitals/rankings.csv", "/vitals/rankings.csv", EVERYONE),
    Case("vitals/api/rankings.json", "/vitals/api/rankings.json", EVERYONE),
    Case("vitals/methodology/", "/vitals/methodology/", EVERYONE),
    Case(
        "vitals/compare/",
        "/vitals/compare/?metro={w.metro.slug}&metro={w.other_metro.slug}",
        EVERYONE,
    ),
    Case("vitals/metros/<slug:slug>/", "/vitals/metros/{w.metro.slug}/", EVERYONE),
    Case(
        "vitals/metros/<slug:slug>/badge.svg", "/vitals/metros/{w.metro.slug}/badge.svg", EVERYONE
    ),
    Case("vitals/metros/<slug:slug>/data.csv", "/vitals/metros/{w.metro.slug}/data.csv", EVERYONE),
    Case("vitals/indicators/<slug:slug>/", "/vitals/indicators/{w.indicator.slug}/", EVERYONE),
    Case("vitals/dividends/", "/vitals/dividends/", EVERYONE),
    Case("vitals/editions/", "/vitals/editions/", EVERYONE),
    Case("vitals/editions/<slug:slug>/", "/vitals/editions/matrix/", EVERYONE),
    Case(
        "vitals/editions/<slug:slug>/",
        "/vitals/editions/matrix-draft/",
        NOBODY,
        label="a draft edition",
    ),
    Case("vitals/editions/<slug:slug>/moved/", "/vitals/editions/matrix/moved/", EVERYONE),
    Case(
        "vitals/editions/<slug:slug>/figures.csv", "/vitals/editions/matrix/figures.csv", EVERYONE
    ),
    Case(
        "vitals/editions/<slug:slug>/figures.json", "/vitals/editions/matrix/figures.json", EVERYONE
    ),
    Case(
        "vitals/metros/<slug:slug>/dividends/",
        "/vitals/metros/{w.metro.slug}/dividends/?attainment=2&miles=1.5",
        EVERYONE,
    ),
    # --- City Vitals for members: My metro, its brief, every figure as XLSX ---------------------
    Case(
        "vitals/my-metro/",
        "/vitals/my-metro/",
        MEMBER_AREA,
        marker="Save my metro and peers",
        prepare=_home_metros,
    ),
    Case(
        "vitals/my-metro/",
        "/vitals/my-metro/",
        MEMBER_AREA,
        method="POST",
        data={"compare_with": "group", "peer_group": "all"},
        ok="redirect:/vitals/my-metro/",
        prepare=_home_metros,
        label="save the peers",
    ),
    Case(
        "vitals/my-metro/brief.pdf",
        "/vitals/my-metro/brief.pdf",
        MEMBER_AREA,
        marker=b"%PDF",
        prepare=_home_metros,
    ),
    Case("vitals/city-vitals.xlsx", "/vitals/city-vitals.xlsx", MEMBER_AREA, marker=b"PK\x03\x04"),
    Case(
        "vitals/my-metro/scenarios/",
        "/vitals/my-metro/scenarios/",
        MEMBER_AREA,
        method="POST",
        data={"metro": "alpha-ny", "attainment": "2", "miles": "1.5"},
        ok="redirect:/vitals/my-metro/",
        label="save a City Dividends scenario",
    ),
    Case(
        "vitals/my-metro/scenarios/<int:pk>/brief.pdf",
        "/vitals/my-metro/scenarios/{scenario}/brief.pdf",
        frozenset({"member"}),
        marker=b"%PDF",
        prepare=_members_scenario,
        label="the member's own scenario only",
    ),
    Case(
        "vitals/my-metro/scenarios/<int:pk>/delete/",
        "/vitals/my-metro/scenarios/{scenario}/delete/",
        frozenset({"member"}),
        method="POST",
        ok="redirect:/vitals/my-metro/",
        prepare=_members_scenario,
        label="the member's own scenario only",
    ),
    # --- events --------------------------------------------------------------------------------
    Case("events/", "/events/", EVERYONE),
    Case("events/past/", "/events/past/", EVERYONE),
    Case("events/calendar.ics", "/events/calendar.ics", EVERYONE),
    Case("events/<slug:slug>.ics", "/events/{w.event.slug}.ics", EVERYONE),
    Case("events/<slug:slug>/", "/events/{w.event.slug}/", EVERYONE, label="published"),
    Case("events/<slug:slug>/", "/events/draft-event/", NOBODY, label="unpublished"),
    Case("events/<slug:slug>/register/", "/events/{w.event.slug}/register/", SIGNED_IN),
    Case(
        "events/<slug:slug>/cancel/",
        "/events/{w.event.slug}/cancel/",
        {"member"},
        method="POST",
        ok="redirect:/events/",
        label="only a registered person has a registration to cancel",
    ),
    Case(
        "events/<slug:slug>/join/",
        "/events/{w.event.slug}/join/",
        {"member"},
        ok="redirect:/events/{w.event.slug}/",
        label="a confirmed registrant, before the link opens, goes back to the event",
        never=("meet.example.org",),
    ),
    Case(
        "events/<slug:slug>/recording/",
        "/events/{w.attended_event.slug}/recording/",
        MEMBERS,
        ok="redirect:https://video.example.org/attended-meeting",
        label="members watch the recording through the site",
    ),
    Case(
        "events/calendar/<slug:token>.ics",
        "/events/calendar/{w.calendar_feed.token}.ics",
        EVERYONE,
        marker="Streets webinar",
        never=("meet.example.org",),
        label="the secret address is the key (calendar apps send no cookie)",
    ),
    Case(
        "events/calendar/<slug:token>.ics",
        "/events/calendar/not-a-feed-token.ics",
        NOBODY,
        label="unknown address",
    ),
    Case(
        "events/<slug:slug>/attendees/",
        "/events/{w.event.slug}/attendees/",
        STAFF,
        marker="member@example.org",
    ),
    Case(
        "events/<slug:slug>/attendees.csv",
        "/events/{w.event.slug}/attendees.csv",
        STAFF,
        marker="member@example.org",
    ),
    # --- series and waitlist offers -----------------------------------------------------------
    Case("events/series/<slug:slug>/", "/events/series/{w.series.slug}/", EVERYONE),
    Case("events/series/<slug:slug>/", "/events/series/no-such-series/", NOBODY, label="unknown"),
    Case(
        "events/series/<slug:slug>/register/",
        "/events/series/{w.series.slug}/register/",
        SIGNED_IN,
        method="POST",
        ok="redirect:/events/series/",
    ),
    Case(
        "events/series/<slug:slug>/occurrences/",
        "/events/series/{w.series.slug}/occurrences/",
        STAFF,
        marker="Dates of Data for Better Streets",
    ),
    Case(
        "events/<slug:slug>/offer/<str:token>/",
        "/events/{w.full_event.slug}/offer/{w.offer_token}/",
        SIGNED_IN,
        marker='type="submit">Accept the place',
        sees=frozenset({"member"}),
        label="only the person offered the place sees the button",
    ),
    Case(
        "events/<slug:slug>/waitlist/leave/",
        "/events/{w.full_event.slug}/waitlist/leave/",
        SIGNED_IN,
        marker='type="submit">Leave the waitlist',
        sees=frozenset({"member"}),
        label="only someone waiting can leave",
    ),
    # --- continuing education ----------------------------------------------------------------
    Case(
        "account/learning/",
        "/account/learning/",
        SIGNED_IN,
        marker=w.ATTENDED_EVENT,
        sees=frozenset({"member"}),
    ),
    Case(
        "account/learning/certificates/<slug:slug>.pdf",
        "/account/learning/certificates/{w.attended_event.slug}.pdf",
        {"member"},
        marker=b"%PDF",
        label="only the person who attended",
    ),
    Case(
        "account/learning/transcripts/<int:year>.pdf",
        "/account/learning/transcripts/{w.certificate.year}.pdf",
        {"member"},
        marker=b"%PDF",
        label="only a year with something on one's own record",
    ),
    Case(
        "account/learning/calendar/",
        "/account/learning/calendar/",
        SIGNED_IN,
        method="POST",
        data={"action": "renew"},
        ok="redirect:/account/learning/",
    ),
    Case(
        "verify/<slug:token>/",
        "/verify/{w.certificate.token}/",
        EVERYONE,
        marker=w.ATTENDED_EVENT,
        never=("member@example.org",),
        label="anyone holding a certificate's address can check it",
    ),
    Case("verify/<slug:token>/", "/verify/not-a-certificate/", NOBODY, label="unknown number"),
    Case(
        "verify/<slug:token>/revoke/",
        "/verify/{w.certificate.token}/revoke/",
        STAFF,
        marker="Revoke it",
    ),
    # --- Prize Challenges ----------------------------------------------------------------------
    Case("challenges/", "/challenges/", EVERYONE),
    Case("challenges/judging/", "/challenges/judging/", SIGNED_IN),
    Case(
        "challenges/judging/<int:pk>/",
        "/challenges/judging/{w.assignment.pk}/",
        {"judge"},
        marker=w.ENTRY_SUMMARY,
        label="the judge's own assignment",
    ),
    Case(
        "challenges/judging/<int:pk>/",
        "/challenges/judging/{w.other_assignment.pk}/",
        STAFF,
        marker=w.OTHER_ENTRY_SUMMARY,
        label="another challenge's judge (staff) assignment",
    ),
    Case(
        "challenges/attachments/<int:pk>/",
        "/challenges/attachments/{w.attachment.pk}/",
        {"member", "judge", "staff"},
        marker=w.ATTACHMENT,
        label="entrant, its judge, staff",
    ),
    Case(
        "challenges/attachments/<int:pk>/",
        "/challenges/attachments/{w.other_attachment.pk}/",
        {"member2", "staff"},
        marker=w.OTHER_ATTACHMENT,
        label="another challenge: not the judge's",
    ),
    Case("challenges/<slug:slug>/", "/challenges/{w.challenge.slug}/", EVERYONE),
    Case(
        "challenges/<slug:slug>/submit/",
        "/challenges/{w.challenge.slug}/submit/",
        MEMBERS,
        marker=w.ENTRY_SUMMARY,
        sees=frozenset({"member"}),
    ),
    Case(
        "challenges/<slug:slug>/submit/attachments/<int:pk>/delete/",
        "/challenges/{w.challenge.slug}/submit/attachments/{spare}/delete/",
        {"member"},
        method="POST",
        ok="redirect:/challenges/",
        prepare=_new_attachment,
    ),
    Case(
        "challenges/<slug:slug>/invitations/<slug:key>/",
        "/challenges/{w.challenge.slug}/invitations/{w.invitation.key}/",
        {"member2"},
        marker="invited you to join their team",
        label="only the person invited",
    ),
    Case(
        "challenges/<slug:slug>/submit/invitations/<int:pk>/withdraw/",
        "/challenges/{w.challenge.slug}/submit/invitations/{w.invitation.pk}/withdraw/",
        {"member"},
        method="POST",
        ok="redirect:/challenges/",
        label="only the entry's leader",
    ),
    Case(
        "challenges/<slug:slug>/submit/team/<int:user_id>/remove/",
        "/challenges/{w.challenge.slug}/submit/team/{w.users[member2].pk}/remove/",
        {"member", "member2"},
        method="POST",
        ok="redirect:/challenges/",
        prepare=_member2_on_the_team,
        label="the leader, or the teammate leaving",
    ),
    Case(
        "challenges/<slug:slug>/results/",
        "/challenges/{w.challenge.slug}/results/",
        STAFF,
        marker="Erie entry",
    ),
    # --- blog feeds ----------------------------------------------------------------------------
    Case("blog/feed/", "/blog/feed/", EVERYONE),
    Case("blog/feed/atom/", "/blog/feed/atom/", EVERYONE),
    Case("blog/category/<slug:slug>/feed/", "/blog/category/{w.category.slug}/feed/", EVERYONE),
    Case(
        "blog/category/<slug:slug>/feed/atom/",
        "/blog/category/{w.category.slug}/feed/atom/",
        EVERYONE,
    ),
    # --- newsletter ----------------------------------------------------------------------------
    Case("newsletter/subscribe/", "/newsletter/subscribe/", EVERYONE),
    Case("newsletter/subscribe/sent/", "/newsletter/subscribe/sent/", EVERYONE),
    Case(
        "newsletter/confirm/<str:token>/",
        "/newsletter/confirm/{w.confirmation_token}/",
        EVERYONE,
        label="the signed token is the credential",
    ),
    Case(
        "newsletter/unsubscribe/<str:token>/",
        "/newsletter/unsubscribe/{w.unsubscribe_token}/",
        EVERYONE,
        label="the signed token is the credential",
    ),
    Case(
        "newsletter/editions/<int:pk>/",
        "/newsletter/editions/{w.public_edition.pk}/",
        EVERYONE,
        marker=w.PUBLIC_EDITION,
        label="sent to all subscribers",
    ),
    Case(
        "newsletter/editions/<int:pk>/",
        "/newsletter/editions/{w.members_edition.pk}/",
        MEMBERS | STAFF,
        marker=w.MEMBERS_EDITION,
        label="sent to members only",
    ),
    Case(
        "newsletter/editions/<int:pk>/",
        "/newsletter/editions/{w.cluster_edition.pk}/",
        {"member", "staff"},
        marker=w.CLUSTER_EDITION,
        label="sent to one cluster",
    ),
    Case(
        "newsletter/editions/<int:pk>/",
        "/newsletter/editions/{w.draft_edition.pk}/",
        STAFF,
        marker=w.DRAFT_EDITION,
        label="draft",
    ),
    Case(
        "newsletter/",
        "/newsletter/",
        EVERYONE,
        marker="For members",
        sees=MEMBERS | STAFF,
        label="archive: members' editions for members and staff",
    ),
    Case(
        "newsletter/",
        "/newsletter/",
        EVERYONE,
        marker="For the cluster",
        sees=frozenset({"member", "staff"}),
        label="archive: a cluster's edition for its people and staff",
    ),
    Case(
        "newsletter/editions/<int:pk>/<str:token>/",
        "/newsletter/editions/{w.members_edition.pk}/{w.web_version_token}/",
        EVERYONE,
        marker=w.MEMBERS_EDITION,
        label="a recipient's own link: the signed token is the credential",
    ),
    Case(
        "newsletter/editions/<int:pk>/<str:token>/",
        "/newsletter/editions/{w.cluster_edition.pk}/{w.web_version_token}/",
        NOBODY,
        never=(w.CLUSTER_EDITION,),
        label="a token for another edition",
    ),
    Case(
        "newsletter/feed/",
        "/newsletter/feed/",
        EVERYONE,
        marker=w.PUBLIC_EDITION,
        never=("For members", "For the cluster", w.DRAFT_EDITION),
        label="public editions only, whoever asks",
    ),
    Case(
        "newsletter/feed/atom/",
        "/newsletter/feed/atom/",
        EVERYONE,
        marker=w.PUBLIC_EDITION,
        never=("For members", "For the cluster", w.DRAFT_EDITION),
        label="public editions only, whoever asks",
    ),
    Case(
        "newsletter/open/<str:token>.gif",
        "/newsletter/open/{w.open_token}.gif",
        EVERYONE,
        marker=b"GIF89a",
        label="a copy's tracking image: the signed token is the credential",
    ),
    Case(
        "newsletter/click/<str:token>/",
        "/newsletter/click/{w.click_token}/",
        EVERYONE,
        ok="redirect:https://vitals.example.org/rankings/",
        label="a copy's tracked link: the signed token is the credential",
    ),
    Case(
        "newsletter/click/<str:token>/",
        "/newsletter/click/{w.forged_click_token}/",
        NOBODY,
        denied=400,
        label="a token signed for another address: refused, never a redirect",
    ),
    Case(
        "newsletter/webhook/anymail/<slug:provider>/tracking/",
        "/newsletter/webhook/anymail/postmark/tracking/",
        NOBODY,
        method="POST",
        label="off while ANYMAIL_WEBHOOK_SECRET is unset",
    ),
    Case(
        "newsletter/webhook/bounces/",
        "/newsletter/webhook/bounces/",
        NOBODY,
        method="POST",
        label="off while NEWSLETTER_WEBHOOK_SECRET is unset",
    ),
    # --- library feeds (teasers only) ----------------------------------------------------------
    Case("library/feed/", "/library/feed/", EVERYONE, never=(w.LIBRARY_BODY,)),
    Case(
        "library/<slug:slug>/done/",
        "/library/{w.resource.slug}/done/",
        MEMBERS,
        method="POST",
        data={"action": "done"},
        ok="redirect:/library/{w.resource.slug}/",
        label="members mark a resource done",
    ),
    Case("library/feed/atom/", "/library/feed/atom/", EVERYONE, never=(w.LIBRARY_BODY,)),
    # --- public media --------------------------------------------------------------------------
    Case("^media/(?P<path>.*)$", "/media/{w.image.file.name}", EVERYONE, label="an original image"),
    Case("^media/(?P<path>.*)$", "/media/{w.rendition.file.name}", EVERYONE, label="a rendition"),
    Case(
        "^media/(?P<path>.*)$",
        "/media/{w.library_file.file.name}",
        NOBODY,
        never=(w.LIBRARY_FILE,),
        label="a members-only file's storage name: no URL maps onto private files",
    ),
    # --- Wagtail's front-end utilities ---------------------------------------------------------
    Case(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        "/_util/authenticate_with_password/999999/{w.about.pk}/",
        NOBODY,
    ),
    Case(
        "_util/login/",
        "/_util/login/",
        NOBODY,
        label="every sign-in goes through allauth (rate limits, second factor)",
    ),
    # --- the Wagtail page tree -----------------------------------------------------------------
    Case("^((?:[\\w\\-]+/)*)$", "/", EVERYONE, label="home"),
    Case("^((?:[\\w\\-]+/)*)$", "/about/", EVERYONE, label="standard page"),
    Case("^((?:[\\w\\-]+/)*)$", "/blog/", EVERYONE, label="blog index"),
    Case("^((?:[\\w\\-]+/)*)$", "{w.post.url}", EVERYONE, label="blog post"),
    Case("^((?:[\\w\\-]+/)*)$", "/blog/category/transit/", EVERYONE, label="blog category"),
    Case("^((?:[\\w\\-]+/)*)$", "/blog/tag/streets/", EVERYONE, label="blog tag"),
    Case("^((?:[\\w\\-]+/)*)$", "/blog/author/ada-writer/", EVERYONE, label="blog author"),
    Case("^((?:[\\w\\-]+/)*)$", "/blog/year/2026/", EVERYONE, label="blog year"),
    Case(
        "^((?:[\\w\\-]+/)*)$",
        "/library/",
        EVERYONE,
        never=(w.LIBRARY_BODY,),
        label="library index: teasers",
    ),
    Case(
        "^((?:[\\w\\-]+/)*)$",
        "/library/playbook/",
        MEMBERS,
        denied=TEASER,
        marker=w.LIBRARY_BODY,
        label="members-only resource page",
    ),
    Case(
        "^((?:[\\w\\-]+/)*)$",
        "/library/playbook/",
        MEMBERS,
        denied=TEASER,
        marker="/documents/{w.library_file.pk}/",
        label="members-only resource page: its file links",
    ),
    Case("^((?:[\\w\\-]+/)*)$", "/library/unpublished/", NOBODY, label="unpublished resource"),
    # --- project views inside the Wagtail admin -----------------------------------------------
    Case("admin/reports/page-feedback/", "/admin/reports/page-feedback/", STAFF),
    Case("admin/reports/library-downloads/", "/admin/reports/library-downloads/", STAFF),
    Case("admin/reports/network/", "/admin/reports/network/?days=90", STAFF, marker="Churn rate"),
    Case(
        "admin/reports/network.csv",
        "/admin/reports/network.csv?days=90",
        STAFF,
        marker="Active by sector",
    ),
    Case(
        "admin/reports/network/members/",
        "/admin/reports/network/members/?kind=active&days=90",
        STAFF,
        marker="At the end of",
    ),
    Case(
        "admin/reports/network/newsletter/",
        "/admin/reports/network/newsletter/?edition={w.public_edition.pk}&show=sent",
        STAFF,
        marker="Back to the dashboard",
    ),
    Case("admin/members/complimentary/", "/admin/members/complimentary/", STAFF),
    Case("admin/members/report/", "/admin/members/report/", STAFF),
    Case(
        "admin/members/join-requests/",
        "/admin/members/join-requests/",
        STAFF,
        marker="asker@example.org",
        prepare=_join_request,
    ),
    Case(
        "admin/members/join-requests/<int:pk>/",
        "/admin/members/join-requests/{join_request}/",
        STAFF,
        marker="asker@example.org",
        prepare=_join_request,
    ),
    Case("admin/members/report.csv", "/admin/members/report.csv", STAFF, marker=w.LISTED_ORG),
    Case("admin/vitals-import/", "/admin/vitals-import/", STAFF),
    Case(
        "admin/vitals-import/confirm/",
        "/admin/vitals-import/confirm/",
        STAFF,
        method="POST",
        ok="redirect:/admin/vitals-import/",
    ),
    Case(
        "admin/vitals-import/<str:token>/",
        "/admin/vitals-import/matrix-token/",
        STAFF,
        prepare=_import_in_progress,
    ),
    Case("admin/vitals-dividends/constants/", "/admin/vitals-dividends/constants/", STAFF),
    Case("admin/vitals-editions/", "/admin/vitals-editions/", STAFF),
    Case(
        "admin/newsletter/editions/<int:pk>/send/",
        "/admin/newsletter/editions/{w.draft_edition.pk}/send/",
        STAFF,
    ),
    Case(
        "admin/newsletter/editions/<int:pk>/progress.json",
        "/admin/newsletter/editions/{w.draft_edition.pk}/progress.json",
        STAFF,
    ),
    # --- the Wagtail admin (one rule for the family; each kind of view once) ------------------
    Case("admin/*", "/admin/", ADMIN_USERS, label="dashboard"),
    Case("admin/*", "/admin/pages/{w.library.pk}/", ADMIN_USERS, label="library explorer"),
    Case(
        "admin/*",
        "/admin/pages/{w.resource.pk}/edit/",
        ADMIN_USERS,
        label="edit a library page",
    ),
    Case(
        "admin/*",
        "/admin/pages/{w.resource.pk}/view_draft/",
        ADMIN_USERS,
        marker=w.LIBRARY_BODY,
        label="preview a library page",
    ),
    Case("admin/*", "/admin/pages/{w.about.pk}/edit/", STAFF, label="edit a page outside it"),
    Case(
        "admin/*",
        "/admin/pages/{w.home.pk}/",
        STAFF,
        # Wagtail sends an editor to the part of the tree they may explore.
        others={"library_editor": "redirect:/admin/pages/{w.library.pk}/"},
        label="explorer outside the library",
    ),
    Case("admin/*", "/admin/documents/", ADMIN_USERS, label="documents"),
    Case(
        "admin/*",
        "/admin/documents/edit/{w.library_file.pk}/",
        ADMIN_USERS,
        label="edit a library file",
    ),
    Case(
        "admin/*",
        "/admin/documents/edit/{w.public_file.pk}/",
        STAFF,
        label="edit a file outside the library",
    ),
    Case("admin/*", "/admin/images/", STAFF, label="images"),
    Case(
        "admin/*",
        "/admin/snippets/newsletter/edition/",
        STAFF,
        marker="For members",
        label="newsletter editions",
    ),
    Case(
        "admin/*",
        "/admin/snippets/newsletter/subscriber/",
        STAFF,
        marker="reader@example.org",
        label="newsletter subscribers",
    ),
    Case("admin/*", "/admin/snippets/members/plan/", STAFF, label="membership plans"),
    Case("admin/*", "/admin/snippets/events/event/", STAFF, label="events"),
    Case(
        "admin/*",
        "/admin/snippets/events/submission/",
        STAFF,
        marker="Erie entry",
        label="challenge entries",
    ),
    Case("admin/*", "/admin/snippets/vitals/metro/", STAFF, label="City Vitals metros"),
    Case(
        "admin/*",
        "/admin/users/?q=member2",
        STAFF,
        marker="member2",
        label="user accounts",
    ),
    Case("admin/*", "/admin/groups/", STAFF, label="groups"),
    # Wagtail filters the site history to what each user may edit.
    Case("admin/*", "/admin/reports/site-history/", ADMIN_USERS, label="Wagtail's reports"),
    # --- the Django admin (superusers) ---------------------------------------------------------
    Case("django-admin/*", "/django-admin/", STAFF, label="index"),
    Case(
        "django-admin/*",
        "/django-admin/members/membership/?q=member2",
        STAFF,
        marker="member2",
        label="memberships",
    ),
    Case("django-admin/*", "/django-admin/auth/user/", STAFF, label="user accounts"),
]


def _client(world, persona: str) -> Client:
    client = Client()
    if persona != ANONYMOUS:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[persona]
    return client


def _body(response) -> bytes:
    if response.streaming:
        # Consuming it closes it through the test client (which keeps the connection open).
        return b"".join(response.streaming_content)
    return response.content


def _as_bytes(value) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def _request(client: Client, case: Case, url: str):
    if case.method == "POST":
        return client.post(url, case.data)
    return client.get(url)


def _outcome_error(response, expected, world) -> str | None:
    """Why the response is not the expected outcome (None when it is)."""
    status, location = response.status_code, response.get("Location", "")
    if expected in (OK, TEASER):
        return None if 200 <= status < 300 else f"expected a 2xx, got {status} {location}"
    if expected == DENY:
        if status in (403, 404):
            return None
        if status in (301, 302, 303) and (
            location.startswith(DENIED_REDIRECTS) or location.rstrip("/") == "/admin"
        ):
            return None
        return f"expected a denial, got {status} {location}"
    if isinstance(expected, str) and expected.startswith("redirect:"):
        prefix = expected.removeprefix("redirect:").format(w=world)
        if status in (301, 302, 303) and location.startswith(prefix):
            return None
        return f"expected a redirect to {prefix}, got {status} {location}"
    return None if status == expected else f"expected {expected}, got {status} {location}"


def _check(case: Case, persona: str, response, expected, *, world, marker, sees_marker: bool):
    body = _body(response)
    problems = []
    error = _outcome_error(response, expected, world)
    if error:
        problems.append(error)
    if marker is not None:
        if sees_marker and 200 <= response.status_code < 300 and marker not in body:
            problems.append(f"the allowed response lacks {marker!r}")
        if not sees_marker and marker in body:
            problems.append(f"LEAK: {marker!r} is in the response")
    for secret in case.never:
        if _as_bytes(secret) in body:
            problems.append(f"LEAK: {secret!r} is in the response")
    if (
        persona != ANONYMOUS
        and case.personal
        and 200 <= response.status_code < 300
        and "private" not in response.get("Cache-Control", "")
    ):
        problems.append(f"no Cache-Control: private (got {response.get('Cache-Control')!r})")
    return problems


def _run_cell(world, case: Case, persona: str, expected, *, sees_marker: bool) -> list[str]:
    """One persona's requests, in a savepoint rolled back after them: what one persona's POST
    changes (or `prepare` sets up) is gone before the next persona's turn."""
    with transaction.atomic():
        try:
            return _run_cell_requests(world, case, persona, expected, sees_marker=sees_marker)
        finally:
            transaction.set_rollback(True)


def _run_cell_requests(world, case, persona, expected, *, sees_marker):
    extra = case.prepare(world) if case.prepare else {}
    url = case.url.format(w=world, **extra)
    marker = case.marker
    if isinstance(marker, str):
        marker = marker.format(w=world, **extra)
    marker = None if marker is None else _as_bytes(marker)
    client = _client(world, persona)
    rounds = 2 if persona == ANONYMOUS and case.method == "GET" and case.personal else 1
    for _ in range(rounds):  # the second may come from the page cache: it must say the same
        response = _request(client, case, url)
        problems = _check(
            case, persona, response, expected, world=world, marker=marker, sees_marker=sees_marker
        )
        if problems:
            return [f"{case.method} {url} as {persona}: " + "; ".join(problems)]
    return []


@pytest.fixture(autouse=True)
def _files_in_tmp(request, settings, tmp_path):
    """A test on the world keeps the world's file roots (tests/conftest.py would move both to
    each test's own empty folders, and every file of the world would be missing)."""
    if "matrix_world" in request.fixturenames:
        world = request.getfixturevalue("matrix_world")
        settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT = world.tmp_media, world.tmp_private
    else:
        settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT = tmp_path / "media", tmp_path / "private"


def _ids(cases):
    seen: dict[str, int] = {}
    ids = []
    for case in cases:
        seen[case.id] = seen.get(case.id, 0) + 1
        ids.append(case.id if seen[case.id] == 1 else f"{case.id} #{seen[case.id]}")
    return ids


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_access_matrix(matrix_world, db, case):
    """Every persona gets what the case says (all failing cells reported together)."""
    problems = [
        problem
        for persona in PERSONAS
        for problem in _run_cell(
            matrix_world,
            case,
            persona,
            case.expected(persona),
            sees_marker=case.sees_marker(persona),
        )
    ]

    assert not problems, "\n".join(problems)


PUBLIC_CASES = [
    case for case in CASES if case.method == "GET" and not case.personal and case.ok == OK
]


@pytest.mark.parametrize("case", PUBLIC_CASES, ids=_ids(PUBLIC_CASES))
def test_public_pages_are_private_when_a_member_is_signed_in(matrix_world, db, case):
    """A page everyone may see still shows a signed-in person's name and menu: never cached
    for others (a member stands for every signed-in persona)."""
    extra = case.prepare(matrix_world) if case.prepare else {}
    response = _client(matrix_world, "member").get(case.url.format(w=matrix_world, **extra))
    _body(response)

    assert 200 <= response.status_code < 300
    assert "private" in response.get("Cache-Control", ""), response.get("Cache-Control")


def _needs_second_factor(case: Case, holder: str) -> bool:
    """Reached only through staff or editor rights (a signed-in nobody is refused)."""
    return case.expected(holder) != DENY and case.expected("registered") == DENY


def _without_second_factor(case: Case) -> list[str]:
    return [
        without
        for holder, without in (
            ("staff", STAFF_WITHOUT_2FA),
            ("library_editor", EDITOR_WITHOUT_2FA),
        )
        if _needs_second_factor(case, holder)
    ]


SECOND_FACTOR_CASES = [case for case in CASES if _without_second_factor(case)]


@pytest.mark.parametrize("case", SECOND_FACTOR_CASES, ids=_ids(SECOND_FACTOR_CASES))
def test_staff_rights_need_a_second_factor_whatever_the_url(matrix_world, db, case):
    problems = [
        problem
        for persona in _without_second_factor(case)
        for problem in _run_cell(matrix_world, case, persona, DENY, sees_marker=False)
    ]

    assert not problems, "\n".join(problems)


def _routes(resolver=None, prefix=""):
    """(route, callback module) of every URL pattern, includes flattened."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), getattr(entry.callback, "__module__", "")


def _rule_for(route: str, module: str) -> str | None:
    if any(case.pattern == route for case in CASES):
        return route
    for family in FAMILIES:
        if route.startswith(family) and not module.startswith(PROJECT_MODULES):
            return f"{family}*"
    return None


def test_every_url_pattern_has_an_access_rule():
    missing = [route for route, module in _routes() if _rule_for(route, module) is None]

    assert not missing, "no access rule for pattern(s): " + ", ".join(missing)


def test_every_rule_stands_for_a_pattern_that_exists():
    routes = {route for route, _ in _routes()}
    families = {f"{family}*" for family in FAMILIES}
    stale = {case.pattern for case in CASES} - routes - families

    assert not stale, "access rules for pattern(s) that no longer exist: " + ", ".join(stale)


def test_wagtails_front_end_login_form_cannot_sign_staff_in_without_the_second_factor(
    client, db, settings
):
    """/_util/login/ is Django's plain login form: no rate limit, no second factor. Every
    sign-in must go through allauth, like the admin login forms do."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from tests.members.factories import PASSWORD, UserFactory

    settings.STAFF_REQUIRE_2FA = True
    boss = UserFactory(email="boss@example.org", is_staff=True, is_superuser=True)
    TOTP.activate(boss, generate_totp_secret())

    response = client.post("/_util/login/", {"username": boss.username, "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/admin/").status_code != 200
