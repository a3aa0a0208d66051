"""Signed tokens in newsletter links: unsubscribe (never expires), confirm (expires, single use)
and a recipient's own link to the web version of an edition meant for a restricted audience."""

from django.conf import settings
from django.core import signing

UNSUBSCRIBE_SALT = "newsletter.unsubscribe"
CONFIRM_SALT = "newsletter.confirm"
WEB_VERSION_SALT = "newsletter.web_version"

_unsubscribe_signer = signing.Signer(salt=UNSUBSCRIBE_SALT)
_web_version_signer = signing.Signer(salt=WEB_VERSION_SALT)


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


def web_version_token(edition_id: int, subscriber_id: int) -> str:
    """Opens one edition for one recipient; it never expires (the email is kept for years)."""
    return _web_version_signer.sign(f"{edition_id}.{subscriber_id}")


def read_web_version_token(token: str, *, edition_id: int) -> int | None:
    """The subscriber id the token was made for, if it is genuine and for this edition."""
    try:
        signed_edition, subscriber_id = _web_version_signer.unsign(token).split(".")
        if int(signed_edition) != edition_id:
            return None
        return int(subscriber_id)
    except (signing.BadSignature, ValueError):
        return None
