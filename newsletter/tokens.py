"""Signed tokens in newsletter links: unsubscribe (never expires), confirm (expires, single use),
a recipient's own link to the web version of an edition meant for a restricted audience, and
the engagement links of one copy (its tracking image, its click redirects)."""

import base64
import functools
import hashlib
import hmac

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


@functools.lru_cache(maxsize=8)
def _click_hmac(secret: str):
    """A keyed HMAC ready to copy: a copy with a dozen links signs each one in microseconds."""
    key = hashlib.sha256(f"{CLICK_SALT}{secret}".encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def _click_signature(value: str, secret: str) -> str:
    mac = _click_hmac(secret).copy()
    mac.update(value.encode())
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def click_token(delivery_id: int, link_id: int, url: str) -> str:
    """Made of "<delivery>.<link>.<signature>": the signature covers the target URL too, so a
    token names one address for one copy, and any change to either is refused."""
    return click_token_maker()(delivery_id, link_id, url)


def click_token_maker():
    """`click_token` with the key looked up once, for signing many links in a row."""
    mac = _click_hmac(settings.SECRET_KEY)

    def make(delivery_id: int, link_id: int, url: str) -> str:
        value = f"{delivery_id}.{link_id}"
        signed = mac.copy()
        signed.update(f"{value}.{url}".encode())
        return f"{value}.{base64.urlsafe_b64encode(signed.digest()).rstrip(b'=').decode()}"

    return make


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
    """Signed with the current SECRET_KEY or one of SECRET_KEY_FALLBACKS, for this URL."""
    data = read_click_token(token)
    if data is None:
        return False
    delivery_id, link_id, signature = data
    value = f"{delivery_id}.{link_id}.{url}"
    return any(
        constant_time_compare(signature, _click_signature(value, secret))
        for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    )
