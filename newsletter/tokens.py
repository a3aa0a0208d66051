"""Signed tokens in newsletter links: unsubscribe (never expires), confirm (expires, single use),
a recipient's own link to the web version of an edition meant for a restricted audience, and
the engagement links of one copy (its tracking image, its click redirects)."""

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

UNSUBSCRIBE_SALT = "newsletter.unsubscribe"
CONFIRM_SALT = "newsletter.confirm"
WEB_VERSION_SALT = "newsletter.web_version"
OPEN_SALT = "newsletter.open"
CLICK_SALT = "newsletter.click"

_unsubscribe_signer = signing.Signer(salt=UNSUBSCRIBE_SALT)
_web_version_signer = signing.Signer(salt=WEB_VERSION_SALT)
_open_signer = signing.Signer(salt=OPEN_SALT)
_click_signer = signing.Signer(salt=CLICK_SALT)


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


def open_token(delivery_id: int) -> str:
    return _open_signer.sign(str(delivery_id))


def read_open_token(token: str) -> int | None:
    try:
        return int(_open_signer.unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def click_token(delivery_id: int, link_id: int, url: str) -> str:
    """Made of "<delivery>.<link>.<signature>": the signature covers the target URL too, so a token
    names one address for one copy, and any change to either is refused."""
    value = f"{delivery_id}.{link_id}"
    return f"{value}.{_click_signer.signature(f'{value}.{url}')}"


def read_click_token(token: str) -> tuple[int, int, str] | None:
    """(delivery id, link id, signature) if the token is well formed; the signature is
    checked against the link's URL with `click_token_matches`."""
    parts = token.split(".")
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts[:2]):
        return None
    delivery_id, link_id = int(parts[0]), int(parts[1])
    if delivery_id > 2**62 or link_id > 2**62:
        return None
    return delivery_id, link_id, parts[2]


def click_token_matches(token: str, url: str) -> bool:
    data = read_click_token(token)
    if data is None:
        return False
    delivery_id, link_id, signature = data
    return constant_time_compare(
        signature, _click_signer.signature(f"{delivery_id}.{link_id}.{url}")
    )
