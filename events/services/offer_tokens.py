"""The signed key in a waitlist offer's accept link."""

from django.core import signing

from ..models import Registration

OFFER_SALT = "events.waitlist-offer"


def offer_token(registration: Registration) -> str:
    """The signed key of one offer: the registration and the moment it was offered, so a
    link from an earlier offer never accepts a later one."""
    return signing.dumps([registration.pk, registration.offered_at.timestamp()], salt=OFFER_SALT)


def offer_from_token(token: str) -> tuple[int, float] | None:
    try:
        pk, offered = signing.loads(token, salt=OFFER_SALT)
        return int(pk), float(offered)
    except (signing.BadSignature, TypeError, ValueError):
        return None
