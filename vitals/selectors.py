"""Reads other apps ask of `vitals`."""


def ranked_metro_count() -> int:
    """How many metros City Vitals ranks. No metro data is modelled yet (issue 5)."""
    return 0
