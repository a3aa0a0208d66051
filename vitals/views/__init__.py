"""City Vitals pages and downloads, one module per concern; vitals.urls names these."""

from .comparison import compare
from .downloads import metro_csv, rankings_csv, rankings_json
from .indicators import indicator
from .metros import badge, metro
from .ranking import methodology, rankings

__all__ = [
    "badge",
    "compare",
    "indicator",
    "methodology",
    "metro",
    "metro_csv",
    "rankings",
    "rankings_csv",
    "rankings_json",
]
