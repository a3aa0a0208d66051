"""Reads of City Vitals that pages, downloads and other apps share.

Every function here runs a fixed number of queries, however many metros or years
there are; ranks and percentiles come from the stored `Ranking` table.
"""

from .downloads import DOWNLOAD_FIELDS, download_records, download_table
from .indicators import (
    indicator_rankings,
    indicator_series,
    indicators_by_area,
    sources_with_counts,
    unranked_metros,
)
from .metros import (
    METRO_DOWNLOAD_FIELDS,
    metro_choices,
    metro_comparison,
    metro_download_rows,
    metro_profile,
    nearest_metros,
)
from .national import Benchmark, benchmark, national_figures
from .rankings import (
    MIN_WEIGHT_SHARE,
    POPULATION_BANDS,
    WEIGHT_CHOICES,
    Column,
    Series,
    TableRow,
    areas_without_data,
    default_peer_group,
    headline_indicators,
    headline_series,
    latest_series,
    overall_positions,
    overall_ranking,
    peer_group_for,
    peer_groups,
    position_stability,
    ranked_metro_count,
    ranked_years,
    rankings_table,
    series_counts,
    series_rankings,
    sort_table_rows,
)

__all__ = [
    "Benchmark",
    "benchmark",
    "national_figures",
    "DOWNLOAD_FIELDS",
    "METRO_DOWNLOAD_FIELDS",
    "MIN_WEIGHT_SHARE",
    "POPULATION_BANDS",
    "WEIGHT_CHOICES",
    "Column",
    "Series",
    "TableRow",
    "areas_without_data",
    "default_peer_group",
    "download_records",
    "download_table",
    "headline_indicators",
    "headline_series",
    "indicator_rankings",
    "indicator_series",
    "indicators_by_area",
    "latest_series",
    "metro_choices",
    "metro_comparison",
    "metro_download_rows",
    "metro_profile",
    "nearest_metros",
    "overall_positions",
    "overall_ranking",
    "peer_group_for",
    "peer_groups",
    "position_stability",
    "ranked_metro_count",
    "ranked_years",
    "rankings_table",
    "series_counts",
    "series_rankings",
    "sort_table_rows",
    "sources_with_counts",
    "unranked_metros",
]
