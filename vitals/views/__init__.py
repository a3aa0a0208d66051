"""City Vitals pages and downloads, one module per concern; vitals.urls names these."""

from .comparison import compare
from .downloads import metro_csv, rankings_csv, rankings_json
from .indicators import indicator
from .metros import badge, metro
from .my_metro import (
    figures_xlsx,
    my_metro,
    my_metro_brief,
    scenario_brief,
    scenario_delete,
    scenario_save,
)
from .ranking import methodology, rankings

__all__ = [
    "badge",
    "compare",
    "figures_xlsx",
    "indicator",
    "methodology",
    "metro",
    "metro_csv",
    "my_metro",
    "my_metro_brief",
    "rankings",
    "rankings_csv",
    "rankings_json",
    "scenario_brief",
    "scenario_delete",
    "scenario_save",
]
