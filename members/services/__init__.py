"""Writes of `members`, one module per concern; every public name is importable from here."""

from .accounts import AccountDeletionError, account_delete, user_delete_guard
from .clusters import (
    cluster_invitation_accept,
    cluster_invitation_from_token,
    cluster_invitation_send,
    cluster_invitation_token,
    cluster_invite,
    cluster_join,
    cluster_leave,
    cluster_update_post,
)
from .memberships import (
    RENEWAL_REMINDER_DAYS,
    membership_grant_complimentary,
    membership_revoke_complimentary,
    membership_send_renewal_reminder,
    membership_set,
    memberships_expire,
    renewal_reminder_due_ids,
    seat_add,
    seat_remove,
)
from .payments import payment_record_invoice, refund_record, refunds_record_charge
from .profiles import PHOTO_SIZE, profile_update
from .retention import SEND_RETENTION_EMAIL, retention_due, retention_send, retention_texts_ensure
from .subscriptions import (
    LIVE_SUBSCRIPTION_STATUSES,
    AlreadyProcessed,
    membership_set_customer,
    membership_sync_from_stripe,
    status_for_subscription,
    stripe_customer_ensure,
    stripe_event_record,
    stripe_event_seen,
    subscription_supersedes,
)

__all__ = [
    "LIVE_SUBSCRIPTION_STATUSES",
    "PHOTO_SIZE",
    "SEND_RETENTION_EMAIL",
    "RENEWAL_REMINDER_DAYS",
    "AccountDeletionError",
    "AlreadyProcessed",
    "account_delete",
    "cluster_invitation_accept",
    "cluster_invitation_from_token",
    "cluster_invitation_send",
    "cluster_invitation_token",
    "cluster_invite",
    "cluster_join",
    "cluster_leave",
    "cluster_update_post",
    "membership_grant_complimentary",
    "membership_revoke_complimentary",
    "membership_send_renewal_reminder",
    "retention_due",
    "retention_send",
    "retention_texts_ensure",
    "membership_set",
    "membership_set_customer",
    "membership_sync_from_stripe",
    "memberships_expire",
    "payment_record_invoice",
    "profile_update",
    "refund_record",
    "refunds_record_charge",
    "renewal_reminder_due_ids",
    "seat_add",
    "seat_remove",
    "status_for_subscription",
    "stripe_customer_ensure",
    "stripe_event_record",
    "stripe_event_seen",
    "subscription_supersedes",
    "user_delete_guard",
]
