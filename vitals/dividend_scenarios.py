"""City Dividends scenarios members save on My metro: saving, deleting, and working out their
dividends again whenever they are shown.

A scenario keeps what the member chose (metro, steps, peer group, edition), not the dollars:
its figures are those its dividends page gives now. A scenario of an edition uses that
edition's frozen inputs, slope and constants, so its figures never change; a live one follows
the live figures and the current constants, and says which version it uses.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from .dividends import (
    Dividends,
    InputFigure,
    Steps,
    current_constants,
    dividend_constants_keep_first,
    dividends_for,
    edition_constants,
    input_figures,
    metro_inputs,
)
from .models import (
    MAX_DIVIDEND_SCENARIOS,
    DividendConstants,
    DividendScenario,
    Edition,
    EditionDividendInput,
    EditionTalentSlope,
    Metro,
    PeerGroup,
    TalentSlope,
)


class ScenarioLimitReached(ValidationError):
    pass


@transaction.atomic
def dividend_scenario_create(
    *,
    user,
    metro: Metro,
    steps: Steps,
    peer_group: PeerGroup | None = None,
    edition: Edition | None = None,
    name: str = "",
) -> DividendScenario:
    """Save a member's scenario; at most MAX_DIVIDEND_SCENARIOS each."""
    # Lock the person's row so two saves at once cannot both pass the limit.
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    if DividendScenario.objects.filter(user=user).count() >= MAX_DIVIDEND_SCENARIOS:
        raise ScenarioLimitReached(
            f"You have {MAX_DIVIDEND_SCENARIOS} saved scenarios, the most a member can keep. "
            "Delete one on your My metro page, then save this one."
        )
    if edition is not None and not edition.is_published:
        raise ValidationError("Only a published edition's figures can be saved.")
    dividend_constants_keep_first()
    constants = edition_constants(edition) if edition else current_constants()
    return DividendScenario.objects.create(
        user=user,
        metro=metro,
        peer_group=peer_group,
        edition=edition,
        attainment_points=steps.attainment_points,
        miles=steps.miles,
        poverty_points=steps.poverty_points,
        name=name.strip(),
        constants_version=constants.version,
    )


def dividend_scenario_delete(*, scenario: DividendScenario) -> None:
    scenario.delete()


def scenarios_of(user) -> list[DividendScenario]:
    return list(
        DividendScenario.objects.filter(user=user).select_related(
            "metro", "peer_group", "edition__dividend_constants"
        )
    )


@dataclass
class ScenarioResult:
    scenario: DividendScenario
    steps: Steps
    population: int | None  # None: the metro is not in the scenario's edition
    population_year: int | None
    dividends: Dividends | None
    constants: DividendConstants
    slope: TalentSlope | EditionTalentSlope | None
    peer_group_name: str
    url: str  # the scenario on its dividends page
    inputs: dict[str, InputFigure] | None = None  # only for the brief

    @property
    def title(self) -> str:
        return self.scenario.name or f"{self.scenario.metro.name}"

    @property
    def constants_changed(self) -> bool:
        return self.constants.version != self.scenario.constants_version


def scenario_url(scenario: DividendScenario, peer_slug: str = "") -> str:
    query = {
        name: f"{value.normalize():f}"  # 2.0 -> "2", 1.5 -> "1.5"
        for name, value in [
            ("attainment", scenario.attainment_points),
            ("miles", scenario.miles),
            ("poverty", scenario.poverty_points),
        ]
    }
    if peer_slug:
        query["peer"] = peer_slug
    if scenario.edition_id:
        query["edition"] = scenario.edition.slug
    return reverse("vitals:metro_dividends", args=[scenario.metro.slug]) + "?" + urlencode(query)


def scenario_results(
    scenarios: list[DividendScenario], *, with_inputs: bool = False
) -> list[ScenarioResult]:
    """Each scenario's dividends as its page gives them now. A fixed number of queries
    (three, and two more when any scenario is of an edition), however many scenarios;
    `with_inputs` (the brief of one live scenario) adds one for its figures."""
    if not scenarios:
        return []
    constants = current_constants()
    groups = list(PeerGroup.objects.all())
    default = next((g for g in groups if g.is_default), groups[0] if groups else None)
    live_slopes = {
        s.peer_group_id: s
        for s in TalentSlope.objects.select_related(
            "peer_group", "attainment_source", "income_source"
        )
    }
    edition_ids = {s.edition_id for s in scenarios if s.edition_id}
    frozen_slopes: dict[tuple[int, str], EditionTalentSlope] = {}
    frozen_defaults: dict[int, str] = {}
    frozen_inputs: dict[tuple[int, int], EditionDividendInput] = {}
    if edition_ids:
        for slope in EditionTalentSlope.objects.filter(
            peer_group__edition_id__in=edition_ids
        ).select_related("peer_group", "attainment_source", "income_source"):
            group = slope.peer_group
            frozen_slopes[(group.edition_id, group.slug)] = slope
            if group.is_default:
                frozen_defaults[group.edition_id] = group.slug
        pairs = Q(pk__in=[])
        for s in scenarios:
            if s.edition_id:
                pairs |= Q(edition_id=s.edition_id, metro_id=s.metro_id)
        frozen_inputs = {
            (i.edition_id, i.metro_id): i for i in EditionDividendInput.objects.filter(pairs)
        }

    results = []
    for s in scenarios:
        steps = Steps(
            attainment_points=s.attainment_points, miles=s.miles, poverty_points=s.poverty_points
        )
        group = s.peer_group or default
        if s.edition_id:
            slug = group.slug if group else frozen_defaults.get(s.edition_id, "")
            slope = frozen_slopes.get((s.edition_id, slug))
            used = edition_constants(s.edition)
            frozen = frozen_inputs.get((s.edition_id, s.metro_id))
            population = frozen.population if frozen else None
            population_year = frozen.population_year if frozen else None
            inputs = input_figures(frozen.figures) if frozen and with_inputs else None
            group_name = slope.peer_group.name if slope else (group.name if group else "")
        else:
            slope = live_slopes.get(group.pk) if group else None
            used = constants
            population, population_year = s.metro.population, s.metro.population_year
            inputs = metro_inputs(s.metro) if with_inputs else None
            group_name = group.name if group else ""
        dividends = (
            dividends_for(population=population, steps=steps, constants=used, slope=slope)
            if population is not None
            else None
        )
        results.append(
            ScenarioResult(
                scenario=s,
                steps=steps,
                population=population,
                population_year=population_year,
                dividends=dividends,
                constants=used,
                slope=slope,
                peer_group_name=group_name,
                url=scenario_url(s, s.peer_group.slug if s.peer_group else ""),
                inputs=inputs,
            )
        )
    return results
