"""Reading ids and numbers out of request parameters: bad values are the visitor's mistake
(a 400 saying so), never a 500 from the database."""

from django.core.exceptions import BadRequest

# PostgreSQL's bigint: larger ids cannot exist, and would fail in the query.
MAX_ID = 2**63 - 1


def id_param(value, *, name: str) -> int:
    """A positive whole number from a GET or POST value, or BadRequest naming the field."""
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise BadRequest(f"“{name}” must be a whole number (an id).")
    return int(text)
