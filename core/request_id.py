"""One request id per unit of work, on every log line it writes, across web and tasks.

The web request's id (its X-Request-ID, or a new one) is held in a context variable while the
request runs; tasks it enqueues carry it in their headers, and a worker running one of them
logs under the same id, so one search finds a request and all the work it started.
"""

import contextvars
import logging
import re
import uuid

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# An id a client sends is only kept when it is short and plain: it lands in logs and headers.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current() -> str:
    return _current.get()


def activate(request_id: str | None) -> contextvars.Token:
    """Make `request_id` (or a new one, when it is missing or unsafe) the current id."""
    if not request_id or not _ACCEPTABLE.match(request_id):
        request_id = uuid.uuid4().hex
    return _current.set(request_id)


def deactivate(token: contextvars.Token) -> None:
    _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record written while an id is current."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None) and _current.get():
            record.request_id = _current.get()
        return True
