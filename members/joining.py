"""Asking to join without paying online, and staff turning a request into a membership.

A new install has no payment provider: the plan cards offer "Ask to join" instead, the
request is recorded here, staff and the person are emailed, and staff approve it in the admin
into a complimentary or an invoiced membership (members.services keeps the audit history).
"""

import logging
from datetime import datetime, timedelta

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.emails import send_site_email
from core.tasks import enqueue_on_commit

from . import services
from .accounts import new_username
from .models import JoinRequest, Membership, MembershipEvent, Plan

logger = logging.getLogger(__name__)
User = get_user_model()
REVIEW_PERMISSION = "members.review_joinrequest"
SEND_JOIN_REQUEST_EMAILS = (
    "members.send_join_request_emails"  # the task that sends the emails (core.tasks.enqueue)
)
# Per client, in the shared cache: enough for a person who mistyped, too few to spam staff.
JOIN_REQUESTS_PER_HOUR = 5
APPROVE_COMPLIMENTARY = "complimentary"
APPROVE_INVOICED = "invoiced"


class JoinRequestError(ValidationError):
    """The request cannot be approved or declined as asked; the message says why."""


def join_request_reviewers():
    """Active staff who may approve requests: they get the "new request" email."""
    return (
        User.objects.with_perm(
            REVIEW_PERMISSION,
            include_superusers=True,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .filter(is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


@transaction.atomic
def join_request_create(
    *,
    name: str,
    email: str,
    plan: Plan | None,
    organisation: str = "",
    message: str = "",
    user=None,
) -> JoinRequest:
    """Record a request to join; the emails go out once it is committed."""
    join_request = JoinRequest.objects.create(
        name=name.strip(),
        email=email.strip().lower(),
        plan=plan,
        organisation=organisation.strip(),
        message=message.strip(),
        user=user if user is not None and user.is_authenticated else None,
    )
    enqueue_on_commit(SEND_JOIN_REQUEST_EMAILS, join_request.pk)
    return join_request


def join_request_send_emails(*, join_request_id: int) -> bool:
    """Tell staff about a new request and answer the person; False when already done."""
    with transaction.atomic():
        join_request = (
            JoinRequest.objects.select_for_update(of=("self",))
            .select_related("plan")
            .filter(pk=join_request_id, emails_sent_at=None)
            .first()
        )
        if join_request is None:
            return False
        context = {
            "join_request": join_request,
            "review_path": reverse("members_admin:join_request_review", args=[join_request.pk]),
        }
        reviewers = list(join_request_reviewers().values_list("email", flat=True))
        if reviewers:
            send_site_email(
                to=reviewers,
                subject=f"civicnet: {join_request.name} asks to join",
                template="members/email/join_request_staff",
                context=context,
                reply_to=[join_request.email],
            )
        else:
            logger.warning("Join request %s: no staff can review join requests", join_request.pk)
        send_site_email(
            to=[join_request.email],
            subject="civicnet: we have your request to join",
            template="members/email/join_request_received",
            context=context,
        )
        join_request.emails_sent_at = timezone.now()
        join_request.save(update_fields=["emails_sent_at"])
    return True


def join_request_account(join_request: JoinRequest):
    """The account a request is for: the one that asked, else the one with its address."""
    if join_request.user_id:
        return join_request.user
    return (
        User.objects.filter(
            Q(email__iexact=join_request.email)
            | Q(emailaddress__email__iexact=join_request.email, emailaddress__verified=True)
        )
        .distinct()
        .first()
    )


def invoiced_period_end(plan: Plan | None, *, now=None) -> datetime:
    """Where an invoiced membership ends: one interval of its plan (a year without a plan)."""
    now = now or timezone.now()
    days = 31 if plan is not None and plan.interval == Plan.Interval.MONTH else 365
    return now + timedelta(days=days)


@transaction.atomic
def join_request_approve(
    *,
    join_request: JoinRequest,
    actor,
    kind: str,
    until: datetime | None = None,
    note: str = "",
) -> Membership:
    """Turn a pending request into a membership: complimentary (no charge) or invoiced
    (staff bill it by hand; it runs one plan interval unless `until` says otherwise)."""
    join_request = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if join_request.status != JoinRequest.Status.PENDING:
        raise JoinRequestError("This request was already decided.")
    if kind not in (APPROVE_COMPLIMENTARY, APPROVE_INVOICED):
        raise JoinRequestError("Choose a complimentary or an invoiced membership.")
    user = join_request_account(join_request)
    account_created = user is None
    if account_created:
        user = _account_create(join_request)
    reason = note.strip() or f"Join request of {join_request.created_at:%Y-%m-%d}"
    if kind == APPROVE_COMPLIMENTARY:
        membership = services.membership_grant_complimentary(
            user=user, actor=actor, reason=reason, until=until
        )
        if join_request.plan is not None:
            membership.plan = join_request.plan
            membership.save(update_fields=["plan", "updated_at"])
    elif kind == APPROVE_INVOICED:
        membership = services.membership_set(
            user=user,
            status=Membership.Status.ACTIVE,
            current_period_end=until or invoiced_period_end(join_request.plan),
            plan=join_request.plan,
            actor=actor,
            note=f"Invoiced membership from a join request: {reason}",
            source=MembershipEvent.Source.STAFF,
        )
    join_request.status = JoinRequest.Status.APPROVED
    join_request.user = user
    join_request.decided_at = timezone.now()
    join_request.decided_by = actor
    join_request.staff_note = note.strip()
    join_request.save()
    email, name = user.email, join_request.name
    plan_name = join_request.plan.name if join_request.plan else ""

    def send_welcome():
        try:
            send_site_email(
                to=[email],
                subject="civicnet: welcome, your membership is active",
                template="members/email/join_request_approved",
                context={
                    "name": name,
                    "plan_name": plan_name,
                    "membership": membership,
                    # A new account has no password: the email lets them choose one.
                    "set_password_path": set_password_path(user) if account_created else "",
                    "login_code_path": reverse("account_request_login_code"),
                },
            )
        except Exception:  # the membership stands; staff see it and can write themselves
            logger.exception("Welcome email for join request %s not sent", join_request.pk)

    transaction.on_commit(send_welcome)
    return membership


def _account_create(join_request: JoinRequest):
    """An account for someone who asked to join before creating one: their address (staff
    approved the request it came from, and only its owner can use the email's link), their
    name, a generated username and no usable password until they choose one."""
    first_name, _, last_name = join_request.name.partition(" ")
    user = User(
        username=new_username(),
        email=join_request.email,
        first_name=first_name[:150],
        last_name=last_name.strip()[:150],
    )
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=join_request.email, verified=True, primary=True)
    return user


def set_password_path(user) -> str:
    """allauth's "choose a new password" link for the account (valid PASSWORD_RESET_TIMEOUT)."""
    key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
    return reverse(
        "account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"}
    ).replace("UID-KEY", key)


@transaction.atomic
def join_request_decline(*, join_request: JoinRequest, actor, note: str = "") -> JoinRequest:
    """Close a request without a membership (a duplicate, spam); nobody is emailed."""
    join_request = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if join_request.status != JoinRequest.Status.PENDING:
        raise JoinRequestError("This request was already decided.")
    join_request.status = JoinRequest.Status.DECLINED
    join_request.decided_at = timezone.now()
    join_request.decided_by = actor
    join_request.staff_note = note.strip()
    join_request.save()
    return join_request
