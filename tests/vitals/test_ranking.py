import csv
import io
from collections import defaultdict
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.vitals.factories import import_files, observations
from vitals.models import Indicator, Metro, PeerGroup, Ranking
from vitals.ranking import percentile_of
from vitals.selectors import (
    headline_series,
    overall_positions,
    position_stability,
    positions_from,
    ranked_metro_count,
)

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[2] / "vitals" / "data"


def ranks(indicator: str, *, source: str = "acs1", year: int = 2019, group: str = "1m-plus"):
    return dict(
        Ranking.objects.filter(
            peer_group__slug=group, indicator__code=indicator, source__code=source, year=year
        ).values_list("metro__cbsa_code", "rank")
    )


def test_ties_share_the_best_rank_and_the_next_rank_is_skipped():
    import_files(
        observations_csv=observations(
            "10001,college_attainment,2019,2019,0.40,,acs1",
            "10002,college_attainment,2019,2019,0.30,,acs1",
            "10003,college_attainment,2019,2019,0.30,,acs1",
            "10004,college_attainment,2019,2019,0.20,,acs1",
        )
    )

    assert ranks("college_attainment") == {"10001": 1, "10002": 2, "10003": 2, "10004": 4}
    percentiles = dict(
        Ranking.objects.filter(peer_group__slug="1m-plus").values_list(
            "metro__cbsa_code", "percentile"
        )
    )
    assert percentiles == pytest.approx(
        {"10001": 100, "10002": 200 / 3, "10003": 200 / 3, "10004": 0}
    )


def test_lower_is_better_indicators_rank_the_smallest_value_first():
    import_files(
        observations_csv=observations(
            "10001,poverty_rate,2019,2019,0.10,,acs1",
            "10002,poverty_rate,2019,2019,0.20,,acs1",
            "10003,poverty_rate,2019,2019,0.15,,acs1",
        )
    )

    assert ranks("poverty_rate") == {"10001": 1, "10003": 2, "10002": 3}


def test_metros_without_a_value_are_unranked_not_last():
    import_files(
        observations_csv=observations(
            "10001,transit_use,2019,2019,0.05,,acs1",
            "10002,transit_use,2019,2019,0.10,,acs1",
        )
    )

    assert ranks("transit_use") == {"10002": 1, "10001": 2}
    assert set(Ranking.objects.values_list("ranked_count", flat=True)) == {2}


def test_different_sources_and_years_are_never_ranked_together():
    import_files(
        observations_csv=observations(
            "10001,college_attainment,2019,2019,0.40,,acs1",
            "10002,college_attainment,2019,2019,0.30,,acs1",
            "10001,college_attainment,2019,2015-2019,0.20,,acs5",
            "10002,college_attainment,2019,2015-2019,0.50,,acs5",
            "10001,college_attainment,2017,2013-2017,0.10,,acs5",
        )
    )

    assert ranks("college_attainment", source="acs1") == {"10001": 1, "10002": 2}
    assert ranks("college_attainment", source="acs5") == {"10002": 1, "10001": 2}
    assert ranks("college_attainment", source="acs5", year=2017) == {"10001": 1}


def test_ranks_are_within_the_peer_group_and_context_indicators_are_not_ranked():
    import_files(
        observations_csv=observations(
            "10001,college_attainment,2019,2019,0.40,,acs1",
            "10005,college_attainment,2019,2019,0.60,,acs1",
            "10001,population,2019,2019,5000000,,acs1",
        )
    )

    assert ranks("college_attainment") == {"10001": 1}  # 10005 has 400,000 people
    assert ranks("college_attainment", group="all") == {"10005": 1, "10001": 2}
    assert not Ranking.objects.filter(indicator__code="population").exists()


def test_a_single_metro_peer_group_ranks_it_first_at_the_top_percentile():
    PeerGroup.objects.create(slug="giants", name="Giants", min_population=4_500_000)
    import_files(observations_csv=observations("10001,poverty_rate,2019,2019,0.3,,acs1"))

    ranking = Ranking.objects.get(peer_group__slug="giants")
    assert (ranking.rank, ranking.ranked_count, ranking.percentile) == (1, 1, 100.0)


def test_percentile_is_the_share_of_other_ranked_metros_beaten():
    assert percentile_of(1, 5) == 100
    assert percentile_of(5, 5) == 0
    assert percentile_of(2, 5) == 75
    assert percentile_of(1, 1) == 100


def make_three_indicators():
    """Percentiles by hand (4 metros each, higher is better except poverty):
    college 10001:100 10002:66.7 10003:33.3 10004:0
    transit 10001:0   10002:33.3 10003:100  10004:66.7
    poverty 10001:50  10002:100  10003:0    10004 missing -> 10001 rank 2 of 3 = 50
    """
    import_files(
        observations_csv=observations(
            "10001,college_attainment,2019,2019,0.40,,acs1",
            "10002,college_attainment,2019,2019,0.30,,acs1",
            "10003,college_attainment,2019,2019,0.20,,acs1",
            "10004,college_attainment,2019,2019,0.10,,acs1",
            "10001,transit_use,2019,2019,0.01,,acs1",
            "10002,transit_use,2019,2019,0.02,,acs1",
            "10003,transit_use,2019,2019,0.04,,acs1",
            "10004,transit_use,2019,2019,0.03,,acs1",
            "10001,poverty_rate,2019,2019,0.15,,acs1",
            "10002,poverty_rate,2019,2019,0.10,,acs1",
            "10003,poverty_rate,2019,2019,0.20,,acs1",
        )
    )
    Indicator.objects.filter(code__in=["college_attainment", "transit_use", "poverty_rate"]).update(
        is_headline=True
    )
    peer_group = PeerGroup.objects.get(slug="1m-plus")
    indicators = list(Indicator.objects.filter(is_headline=True))
    return peer_group, indicators, headline_series(peer_group=peer_group, indicators=indicators)


def by_code(positions):
    codes = dict(Metro.objects.values_list("id", "cbsa_code"))
    return {codes[metro_id]: row for metro_id, row in positions.items()}


def test_overall_score_is_the_mean_percentile_over_the_indicators_a_metro_has():
    peer_group, _, series = make_three_indicators()

    positions = by_code(overall_positions(peer_group=peer_group, series=series))

    assert {code: row["score"] for code, row in positions.items()} == pytest.approx(
        {"10001": 50.0, "10002": 200 / 3, "10003": 400 / 9, "10004": 100 / 3}
    )
    assert {code: row["position"] for code, row in positions.items()} == {
        "10002": 1,
        "10001": 2,
        "10003": 3,
        "10004": 4,
    }
    assert positions["10004"]["indicators"] == 2


def test_reweighting_changes_the_overall_order():
    peer_group, indicators, series = make_three_indicators()
    transit = next(i for i in indicators if i.code == "transit_use")
    weights = {i.pk: (3.0 if i == transit else 1.0) for i in indicators}

    positions = by_code(overall_positions(peer_group=peer_group, series=series, weights=weights))

    # 10003: (33.3 + 3*100 + 0) / 5 = 66.7; 10002: (66.7 + 100 + 100) / 5 = 53.3
    assert positions["10003"]["position"] == 1
    assert positions["10003"]["score"] == pytest.approx(200 / 3)


def test_a_metro_with_figures_for_less_than_half_the_weight_has_no_overall_position():
    peer_group, indicators, series = make_three_indicators()
    poverty = next(i for i in indicators if i.code == "poverty_rate")
    weights = {i.pk: (4.0 if i == poverty else 1.0) for i in indicators}

    positions = by_code(overall_positions(peer_group=peer_group, series=series, weights=weights))

    assert "10004" not in positions  # has 2 of 6 weight units


def test_stability_gives_the_best_and_worst_position_leaving_one_indicator_out():
    peer_group, indicators, series = make_three_indicators()

    stability = by_code(
        position_stability(
            peer_group=peer_group, series=series, weights={i.pk: 1 for i in indicators}
        )
    )

    # 10001 without college: (0+50)/2=25 -> 4th; without transit: 75 -> 2nd; without poverty: 50 -> 2nd/3rd
    assert stability["10001"][1] == 4
    assert stability["10001"][0] <= 2


def test_equal_scores_share_the_best_position_whatever_the_order_of_the_sum():
    # 1, 2 and 3 all score 50 (0.1 + 0.2 style sums may differ in the last bit); 4 is next.
    percentiles = {
        1: {10: 50.0, 20: 50.0},
        2: {10: 100 / 3 + 100 / 3 * 0.5, 20: 100 - (100 / 3 + 100 / 3 * 0.5)},
        3: {10: 0.0, 20: 100.0},
        4: {10: 10.0, 20: 20.0},
        5: {30: 90.0},  # figures for none of the weighted indicators: no position
    }

    positions = positions_from(percentiles, {10: 1.0, 20: 1.0, 30: 0})

    assert {m: row["position"] for m, row in positions.items()} == {1: 1, 2: 1, 3: 1, 4: 4}
    assert positions[4]["score"] == pytest.approx(15.0)
    assert positions[4]["indicators"] == 2


def test_overall_positions_use_the_stored_percentiles_of_a_fresh_import():
    peer_group, indicators, series = make_three_indicators()
    before = overall_positions(peer_group=peer_group, series=series)
    Ranking.objects.filter(peer_group=peer_group, metro__cbsa_code="10004").update(percentile=100)

    after = by_code(overall_positions(peer_group=peer_group, series=series))

    assert before and after["10004"]["position"] == 1  # nothing is kept between calls


def test_ranked_metro_count_counts_the_default_peer_groups_ranked_metros():
    make_three_indicators()

    assert ranked_metro_count() == 4


def competition_ranks(values: dict[str, float], higher_is_better: bool) -> dict[str, int]:
    """An independent rank: 1 + how many metros are strictly better."""
    result = {}
    for code, value in values.items():
        better = sum(
            1 for other in values.values() if (other > value if higher_is_better else other < value)
        )
        result[code] = better + 1
    return result


def test_stored_ranks_agree_with_an_independent_computation_over_the_shipped_data():
    call_command("import_vitals", str(DATA), stdout=io.StringIO(), verbosity=0)

    with open(DATA / "metros.csv", encoding="utf-8") as f:
        large = {row["cbsa_code"]: int(row["pop_2023"]) for row in csv.DictReader(f)}
    large = {code for code, population in large.items() if population >= 1_000_000}
    with open(DATA / "indicators.csv", encoding="utf-8") as f:
        direction = {row["code"]: row["higher_is_better"] for row in csv.DictReader(f)}
    series = defaultdict(dict)
    for path in sorted(DATA.glob("observations*.csv")):  # national rows ("US") are no metro
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["metro_cbsa_code"] in large and direction[row["indicator"]] in {"0", "1"}:
                    key = (row["indicator"], int(row["year"]), row["source_id"])
                    series[key][row["metro_cbsa_code"]] = float(row["value"])
    # patents per 10,000 residents: 2015 patents over 2020 population, computed here again
    patents, population = {}, {}
    with open(DATA / "observations.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if (
                row["metro_cbsa_code"] in large
                and row["indicator"] == "patents_granted"
                and row["year"] == "2015"
            ):
                patents[row["metro_cbsa_code"]] = float(row["value"])
            if (
                row["metro_cbsa_code"] in large
                and row["indicator"] == "population"
                and row["year"] == "2020"
            ):
                population[row["metro_cbsa_code"]] = float(row["value"])
    series[("patents_per_10k", 2015, "civicnet-derived")] = {
        code: round(patents[code] / population[code] * 10_000, 6) for code in patents
    }
    direction["patents_per_10k"] = "1"

    stored = defaultdict(dict)
    for indicator, year, source, code, rank in Ranking.objects.filter(
        peer_group__slug="1m-plus"
    ).values_list("indicator__code", "year", "source__code", "metro__cbsa_code", "rank"):
        stored[(indicator, year, source)][code] = rank

    assert set(stored) == set(series)
    for key, values in series.items():
        assert stored[key] == competition_ranks(values, direction[key[0]] == "1"), key
    assert len(series[("transit_use", 2019, "acs1-2019")]) == 54
    # Spot checks against the published figures
    assert stored[("transit_use", 2019, "acs1-2019")]["35620"] == 1  # New York
    assert ranked_metro_count() == 54
    # the new areas are ranked too, and the nation never is
    assert len(series[("arts_rec_estab_per_100k", 2019, "cbp2019-brookings")]) == 54
    assert ("core_income_ratio_3mi", 2019, "brookings-activity-centers") in stored
    assert not Ranking.objects.filter(metro__cbsa_code="US").exists()
