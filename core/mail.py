"""What an error raised while handing one email to the mail server means for that email."""

import smtplib
from dataclasses import dataclass
from datetime import timedelta

TRANSIENT_NETWORK_ERRORS = (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError, OSError)
# Replies that are about the recipient's address itself, not our server or message.
ADDRESS_REFUSED_CODES = {550, 551, 553}


@dataclass(frozen=True)
class SendFailure:
    transient: bool  # a 4xx reply or a network error: the same email may go later
    description: str  # "550 5.1.1 no such user", for the record and the log
    code: int | None = None

    @property
    def address_refused(self) -> bool:
        """The server refused this address for good: never retry it, report it."""
        return not self.transient and self.code in ADDRESS_REFUSED_CODES


def send_failure(error: Exception, address: str) -> SendFailure:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = error.recipients.get(
            address, next(iter(error.recipients.values()), (550, b""))
        )
        return SendFailure(400 <= code < 500, f"{code} {_text(reply)}"[:300], code)
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        return SendFailure(400 <= code < 500, f"{code} {_text(error.smtp_error)}"[:300], code)
    if isinstance(error, TRANSIENT_NETWORK_ERRORS):
        return SendFailure(True, f"{type(error).__name__}: {error}"[:300])
    return SendFailure(False, f"{type(error).__name__}: {error}"[:300])


def retry_delay(attempt: int, *, base_seconds: int = 60, cap_seconds: int = 3600) -> timedelta:
    """Exponential backoff: base, 2 × base, 4 × base ... up to the cap."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempt - 1)))


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
