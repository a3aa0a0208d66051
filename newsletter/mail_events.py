"""What the mail provider reports through django-anymail's tracking webhooks.

`anymail.signals.tracking` carries one normalised event per report; NewsletterConfig.ready()
connects `anymail_tracking` to it. Bounces, complaints and unsubscribes suppress the address;
opens and clicks are counted by our own links (see `rendering`), not the provider's.
"""

from anymail.signals import AnymailTrackingEvent, EventType

from . import services

# Reported as "bounced" by anymail but temporary: Postmark's soft bounces and the like.
SOFT_BOUNCE_TYPES = {"SoftBounce", "Transient", "DnsError", "VirusNotification"}


def _is_soft_bounce(event: AnymailTrackingEvent) -> bool:
    raw = event.esp_event
    return isinstance(raw, dict) and raw.get("Type") in SOFT_BOUNCE_TYPES


def anymail_tracking(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    if event.event_type == EventType.BOUNCED and _is_soft_bounce(event):
        return
    services.provider_event_record(
        event_type=event.event_type,
        email=event.recipient or "",
        note=f"{esp_name}: {event.description or event.reject_reason or event.event_type}",
    )
