"""City Vitals' part of a person's data export: their My metro choice and saved City Dividends
scenarios. civicnet connects it to members' export signal (vitals sits below members, so it
never imports it); deleting the account deletes both with the user row (CASCADE)."""

from .models import DividendScenario, PeerChoice


def account_export(*, user, **kwargs) -> dict:
    choice = (
        PeerChoice.objects.filter(user=user)
        .select_related("metro", "peer_group")
        .prefetch_related("peer_metros")
        .first()
    )
    scenarios = DividendScenario.objects.filter(user=user).select_related(
        "metro", "peer_group", "edition"
    )
    return {
        "my_metro": choice
        and {
            "metro": choice.metro and choice.metro.name,
            "peer_group": choice.peer_group and choice.peer_group.name,
            "peer_metros": [metro.name for metro in choice.peer_metros.all()],
        },
        "dividend_scenarios": [
            {
                "name": s.name,
                "metro": s.metro.name,
                "peer_group": s.peer_group and s.peer_group.name,
                "edition": s.edition and str(s.edition),
                "attainment_points": s.attainment_points,
                "miles": s.miles,
                "poverty_points": s.poverty_points,
                "constants_version": s.constants_version,
                "saved_at": s.created_at,
            }
            for s in scenarios
        ],
    }
