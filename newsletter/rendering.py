"""Turn an edition into email: HTML (table layout, inline styles) and plain text, rendered once.

The edition is rendered a single time per send with placeholders where each recipient's
unsubscribe link and web-version link go; building one recipient's message is then a string
replacement, which keeps delivery fast and every copy identical.

Engagement: when it is counted (NEWSLETTER_TRACKING, and the subscriber allows it), a copy's
HTML links go through signed redirects of that copy (`/newsletter/click/<token>/`) and it
carries a 1x1 image (`/newsletter/open/<token>.gif`). The frozen edition keeps the plain
links (the web version shows those); a batch rewrites them to placeholders once, and each copy
fills in its own tokens. The plain-text part always keeps the plain links.
"""

import binascii
import email.policy
import html
import re
import secrets
from dataclasses import dataclass
from email.header import Header
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import strip_tags
from wagtail.rich_text import expand_db_html

from events.selectors import upcoming_public_events

from .templatetags.newsletter_email import STYLES
from .tokens import (
    click_token_maker,
    open_token,
    unsubscribe_token,
    web_version_token,
)

UNSUBSCRIBE_PLACEHOLDER = "https://unsubscribe.invalid/__civicnet_unsubscribe__"
WEB_VERSION_PLACEHOLDER = "https://web-version.invalid/__civicnet_web_version__"
CLICK_PLACEHOLDER = "https://click.invalid/__civicnet_click__/"
OPEN_PLACEHOLDER = "https://open.invalid/__civicnet_open__"
_HREF = re.compile(r'href="(https?://[^"]+)"')
_CLICK = re.compile(re.escape(CLICK_PLACEHOLDER) + r"(\d+)")
_PLACEHOLDERS = (UNSUBSCRIBE_PLACEHOLDER, WEB_VERSION_PLACEHOLDER)


def absolute(url: str) -> str:
    if url.startswith(("http://", "https://", "mailto:")):
        return url
    return f"{settings.SITE_URL}/{url.lstrip('/')}"


def unsubscribe_url(subscriber_id: int, edition_id: int | None = None) -> str:
    """The subscriber's unsubscribe link; from an edition, it says which (for its figures)."""
    url = absolute(
        reverse("newsletter:unsubscribe", kwargs={"token": unsubscribe_token(subscriber_id)})
    )
    return f"{url}?edition={edition_id}" if edition_id else url


def web_version_url(edition, subscriber_id: int | None = None) -> str:
    """Where "read it in your browser" points. A public edition has one address for all; an
    edition for a restricted audience gives each recipient a signed link of their own, which
    opens it for them without an account and tells nobody else anything."""
    if subscriber_id is None or edition.is_public:
        return absolute(edition.get_absolute_url())
    token = web_version_token(edition.pk, subscriber_id)
    return absolute(
        reverse("newsletter:web_version_for", kwargs={"pk": edition.pk, "token": token})
    )


def _styled_rich_text(value) -> str:
    """Wagtail rich text with the email's inline styles on paragraphs and links."""
    markup = expand_db_html(value.source if hasattr(value, "source") else str(value))
    markup = re.sub(r"<p(\s[^>]*)?>", f'<p style="{STYLES["p"]}">', markup)
    markup = re.sub(r'href="/', f'href="{settings.SITE_URL}/', markup)
    return re.sub(r"<a ", f'<a style="{STYLES["link"]}" ', markup)


def _rich_text_as_text(value) -> str:
    markup = expand_db_html(value.source if hasattr(value, "source") else str(value))
    markup = re.sub(
        r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>',
        lambda m: f"{m.group(2)} ({absolute(html.unescape(m.group(1)))})",
        markup,
        flags=re.S,
    )
    markup = re.sub(r"<br\s*/?>", "\n", markup)
    markup = re.sub(r"</(p|h\d|li)>", "\n\n", markup)
    text = html.unescape(strip_tags(markup))
    return "\n\n".join(part.strip() for part in text.split("\n\n") if part.strip())


@dataclass(frozen=True)
class Item:
    title: str
    url: str
    meta: str
    text: str


def _sections(edition) -> list[dict]:
    """The edition's blocks, resolved to plain data both the HTML and text templates use."""
    sections = []
    for block in edition.body:
        value = block.value
        if block.block_type == "intro":
            sections.append(
                {
                    "kind": "intro",
                    "html": _styled_rich_text(value),
                    "text": _rich_text_as_text(value),
                }
            )
        elif block.block_type == "featured_posts":
            items = []
            for page in value["posts"]:
                post = page.specific if page else None
                if post is None or not post.live:
                    continue
                items.append(
                    Item(
                        title=post.title,
                        url=absolute(post.get_url() or post.url_path),
                        meta=" · ".join(
                            part
                            for part in (
                                getattr(post, "category_label", ""),
                                getattr(post, "date_label", ""),
                            )
                            if part
                        ),
                        text=getattr(post, "standfirst", ""),
                    )
                )
            if items:
                sections.append({"kind": "items", "heading": value["heading"], "items": items})
        elif block.block_type == "upcoming_events":
            items = [
                Item(
                    title=event.title,
                    url=absolute(event.url),
                    meta=f"{event.kind_label} · {event.when_label}",
                    text=event.summary,
                )
                for event in upcoming_public_events(limit=value["how_many"])
            ]
            if items:
                sections.append({"kind": "items", "heading": value["heading"], "items": items})
        elif block.block_type == "vitals_highlight":
            sections.append(
                {
                    "kind": "vitals",
                    "heading": value["heading"],
                    "figure": value["figure"],
                    "caption": value["caption"],
                    "url": absolute(value["link_url"]),
                }
            )
        elif block.block_type == "call_to_action":
            sections.append(
                {
                    "kind": "cta",
                    "heading": value["heading"],
                    "text": value["text"],
                    "button_label": value["button_label"],
                    "url": absolute(value["button_url"]),
                }
            )
    return sections


def edition_context(
    edition, *, unsubscribe_url: str = UNSUBSCRIBE_PLACEHOLDER, web_url: str | None = None
) -> dict:
    if web_url is None:
        web_url = absolute(edition.get_absolute_url()) if edition.pk else ""
    return {
        "edition": edition,
        "sections": _sections(edition),
        "web_url": web_url,
        "unsubscribe_url": unsubscribe_url,
        "site_url": settings.SITE_URL,
        "subscribe_url": absolute(reverse("newsletter:subscribe")),
    }


def render_edition(edition) -> tuple[str, str]:
    """(HTML, text) with the link placeholders, ready to personalise per recipient."""
    context = edition_context(edition, web_url=WEB_VERSION_PLACEHOLDER)
    html_body = render_to_string("newsletter/email/edition.html", context)
    text_body = render_to_string("newsletter/email/edition.txt", context)
    text_body = re.sub(r"\n{3,}", "\n\n", text_body).strip() + "\n"
    return html_body, text_body


def web_version_html(edition) -> str:
    """The edition as sent (or as it would be sent), with no personal unsubscribe link."""
    html_body = edition.rendered_html or render_edition(edition)[0]
    return _without_placeholders(html_body, edition)


def _without_placeholders(body: str, edition) -> str:
    """A copy for no one in particular: sign-up instead of unsubscribe, the plain address."""
    return body.replace(UNSUBSCRIBE_PLACEHOLDER, absolute(reverse("newsletter:subscribe"))).replace(
        WEB_VERSION_PLACEHOLDER, web_version_url(edition)
    )


def trackable_urls(html_body: str) -> list[str]:
    """The web links of an edition's HTML, in order, each once (not its unsubscribe and
    web-version links: those are the recipient's own and are never redirected)."""
    urls = (html.unescape(url) for url in _HREF.findall(html_body))
    return list(dict.fromkeys(url for url in urls if url not in _PLACEHOLDERS))


def _tracked_template(html_body: str, links: dict[str, int]) -> str:
    """The HTML with each known link as a click placeholder and a tracking image at the end."""

    def swap(match):
        link_id = links.get(html.unescape(match.group(1)))
        return match.group(0) if link_id is None else f'href="{CLICK_PLACEHOLDER}{link_id}"'

    body = _HREF.sub(swap, html_body)
    pixel = (
        f'<img src="{OPEN_PLACEHOLDER}" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0;">'
    )
    return body.replace("</body>", f"{pixel}\n</body>", 1)


MSGID_DOMAIN = "civicnet.newsletter"


def delivery_message_id(edition_id: int, delivery_id: int) -> str:
    return f"<edition-{edition_id}-delivery-{delivery_id}@{MSGID_DOMAIN}>"


class _RawMessage:
    """What a mail backend needs from EmailMessage.message() when the bytes are ready."""

    def __init__(self, data: bytes):
        self._data = data

    def as_bytes(self, *args, **kwargs) -> bytes:
        return self._data

    def __bytes__(self) -> bytes:
        return self._data


class PreparedEdition:
    """An edition's email split into the parts shared by every copy, prepared once per batch.

    Building each copy through the standard library's email package costs several
    milliseconds of header parsing; here a copy is the shared headers plus the recipient's
    own (To, Message-ID, List-Unsubscribe) and the two bodies, quoted-printable encoded in C.
    List-Unsubscribe is written unfolded (RFC 8058 clients need the URL intact; the line stays
    far below the 998-character limit).
    """

    def __init__(self, edition, *, html_body: str, text_body: str, links=None):
        """`links` ({url: EditionLink id}) turns on engagement for the copies that allow it."""
        self.edition = edition
        self.html_body, self.text_body = html_body, text_body
        self.tracked_html = _tracked_template(html_body, links) if links else None
        self.link_urls = {link_id: url for url, link_id in (links or {}).items()}
        self._click_base = absolute(reverse("newsletter:click", kwargs={"token": "TOKEN"}))
        self._open_base = absolute(reverse("newsletter:open", kwargs={"token": "TOKEN"}))
        self._click_token = click_token_maker()

        def fold(name: str, value: str) -> str:
            if value.isascii():
                return email.policy.SMTP.fold(name, value)
            return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=chr(13) + chr(10))}\r\n"

        self.boundary = f"==civicnet-{secrets.token_hex(12)}=="
        self.shared_headers = (
            fold("From", settings.NEWSLETTER_FROM_EMAIL)
            + fold("Subject", edition.subject)
            + "MIME-Version: 1.0\r\n"
            + "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            + f"List-Id: civicnet newsletter <newsletter.{MSGID_DOMAIN}>\r\n"
            + "Precedence: bulk\r\n"
            + f"X-Civicnet-Edition: {edition.pk}\r\n"
            + f'Content-Type: multipart/alternative; boundary="{self.boundary}"\r\n'
        ).encode("ascii")
        part = 'Content-Type: {}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
        self.text_part_head = (f"--{self.boundary}\r\n" + part.format("text/plain")).encode()
        self.html_part_head = (f"\r\n--{self.boundary}\r\n" + part.format("text/html")).encode()
        self.closing = f"\r\n--{self.boundary}--\r\n".encode()

    @staticmethod
    def _qp(text: str) -> bytes:
        encoded = binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"))
        return encoded.replace(b"\n", b"\r\n")

    def recipient_bytes(
        self, *, email: str, subscriber_id: int, delivery_id: int, tracked: bool = False
    ) -> bytes:
        return self.mime_bytes(
            email=email,
            link=unsubscribe_url(subscriber_id, self.edition.pk),
            web_link=web_version_url(self.edition, subscriber_id),
            message_id=delivery_message_id(self.edition.pk, delivery_id),
            tracked_delivery_id=delivery_id if tracked else None,
        )

    def personalise(self, body: str, *, link: str, web_link: str) -> str:
        return body.replace(UNSUBSCRIBE_PLACEHOLDER, link).replace(
            WEB_VERSION_PLACEHOLDER, web_link
        )

    def personal_html(
        self, *, link: str, web_link: str, tracked_delivery_id: int | None = None
    ) -> str:
        """One copy's HTML: with its own click redirects and tracking image when tracked."""
        if tracked_delivery_id is None or self.tracked_html is None:
            return self.personalise(self.html_body, link=link, web_link=web_link)
        body = self.personalise(self.tracked_html, link=link, web_link=web_link)

        def redirect(match):
            link_id = int(match.group(1))
            token = self._click_token(tracked_delivery_id, link_id, self.link_urls[link_id])
            return self._click_base.replace("TOKEN", token)

        body = _CLICK.sub(redirect, body)
        pixel = self._open_base.replace("TOKEN", open_token(tracked_delivery_id))
        return body.replace(OPEN_PLACEHOLDER, pixel)

    def mime_bytes(
        self,
        *,
        email: str,
        link: str,
        web_link: str,
        message_id: str,
        tracked_delivery_id: int | None = None,
    ) -> bytes:
        return b"".join(
            (
                self.shared_headers,
                f"To: {email}\r\nDate: {formatdate(usegmt=True)}\r\n"
                f"Message-ID: {message_id}\r\nList-Unsubscribe: <{link}>\r\n\r\n".encode("ascii"),
                self.text_part_head,
                self._qp(self.personalise(self.text_body, link=link, web_link=web_link)),
                self.html_part_head,
                self._qp(
                    self.personal_html(
                        link=link, web_link=web_link, tracked_delivery_id=tracked_delivery_id
                    )
                ),
                self.closing,
            )
        )


class NewsletterEmail(EmailMultiAlternatives):
    """One recipient's copy. Mail backends get bytes built by PreparedEdition."""

    prepared: PreparedEdition | None = None
    message_id = ""
    link = ""
    web_link = ""
    tracked_delivery_id: int | None = None

    def message(self, *, policy=email.policy.default):
        if self.prepared is None or not self.to[0].isascii():
            return super().message(policy=policy)
        return _RawMessage(
            self.prepared.mime_bytes(
                email=self.to[0],
                link=self.link,
                web_link=self.web_link,
                message_id=self.message_id,
                tracked_delivery_id=self.tracked_delivery_id,
            )
        )


def build_message(
    *,
    prepared: PreparedEdition,
    email: str,
    subscriber_id: int,
    delivery_id: int,
    tracked: bool = False,
) -> NewsletterEmail:
    """One recipient's copy, with RFC 8058 one-click unsubscribe headers; `tracked` gives it
    its click redirects and tracking image (when the batch prepared them)."""
    edition = prepared.edition
    link = unsubscribe_url(subscriber_id, edition.pk)
    web_link = web_version_url(edition, subscriber_id)
    message_id = delivery_message_id(edition.pk, delivery_id)
    tracked_delivery_id = delivery_id if tracked else None
    message = NewsletterEmail(
        subject=edition.subject,
        body=prepared.personalise(prepared.text_body, link=link, web_link=web_link),
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        to=[email],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"civicnet newsletter <newsletter.{MSGID_DOMAIN}>",
            "Precedence": "bulk",
            "Message-ID": message_id,
            "X-Civicnet-Edition": str(edition.pk),
        },
        alternatives=[
            (
                prepared.personal_html(
                    link=link, web_link=web_link, tracked_delivery_id=tracked_delivery_id
                ),
                "text/html",
            )
        ],
    )
    message.prepared, message.link, message.message_id = prepared, link, message_id
    message.web_link, message.tracked_delivery_id = web_link, tracked_delivery_id
    return message


def build_test_message(*, edition, email: str) -> EmailMultiAlternatives:
    html_body, text_body = render_edition(edition)
    message = EmailMultiAlternatives(
        subject=f"[Test] {edition.subject}",
        body=_without_placeholders(text_body, edition),
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        to=[email],
        headers={"Message-ID": make_msgid(domain=MSGID_DOMAIN)},
    )
    message.attach_alternative(_without_placeholders(html_body, edition), "text/html")
    return message
