"""One email to one person in the site's layout: a plain-text part and an HTML part.

Each email is a pair of templates, `<name>.txt` and `<name>.html`; the HTML one extends
`email/base.html` (the masthead, a single column, the footer). Both get `site_name` and
`site_url` besides the caller's context.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

SITE_NAME = "civicnet"


def email_context(context: dict | None = None) -> dict:
    return {"site_name": SITE_NAME, "site_url": settings.SITE_URL, **(context or {})}


def send_site_email(
    *,
    to: list[str],
    subject: str,
    template: str,
    context: dict | None = None,
    reply_to: list[str] | None = None,
) -> None:
    """Render `template`.txt and `template`.html and send them as one message."""
    context = email_context(context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        to=to,
        reply_to=reply_to,
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()
