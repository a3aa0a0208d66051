"""Signed tokens in newsletter links: unsubscribe (never expires) and confirm (expires, single use)."""

from django.conf import settings
from django.core import signing

UNSUBSCRIBE_SALT = "newsletter.unsubscribe"
CONFIRM_SALT = "newsletter.confirm"

_unsubscribe_signer = signing.Signer(salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(subscriber_id: int) -> str:
    return _unsubscribe_signer.sign(str(subscriber_id))


def subscriber_id_from_unsubscribe_token(token: str) -> int | None:
    try:
        return int(_unsubscribe_signer.unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def confirmation_token(subscriber_id: int, nonce: str) -> str:
    return signing.dumps([subscriber_id, nonce], salt=CONFIRM_SALT)


def read_confirmation_token(token: str) -> tuple[int, str] | None:
    """(subscriber id, nonce), or None when the token is forged, garbled or too old."""
    try:
        subscriber_id, nonce = signing.loads(
            token, salt=CONFIRM_SALT, max_age=settings.NEWSLETTER_CONFIRM_DAYS * 86400
        )
        return int(subscriber_id), str(nonce)
    except (signing.BadSignature, ValueError, TypeError):
        return None
