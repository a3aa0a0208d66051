"""Demo data for `make run`: the real City Vitals figures shipped in vitals/data/."""

from pathlib import Path

from .dividends import dividend_constants_ensure_first
from .editions import edition_create, edition_publish
from .importing import collect_paths
from .models import Edition
from .services import vitals_import

DATA = Path(__file__).resolve().parent / "data"
# Two editions, so "what moved" has moves to show: the earlier one takes each indicator's
# latest figures up to 2018, the later one up to 2019. Both are frozen when the demo loads.
DEMO_EDITIONS = [
    (
        "City Vitals 2025",
        "2025",
        2018,
        "Demonstration edition, frozen from the figures up to 2018: college attainment and "
        "international talent from the ACS 5-year estimates ending 2017, patents 2015, "
        "per-capita income 2018. Transit use and poverty have no figure before 2019 here, so "
        "they are not part of this edition's overall score.",
    ),
    (
        "City Vitals 2026",
        "2026",
        2019,
        "Demonstration edition, frozen from the figures up to 2019: the ACS 1-year estimates "
        "for 2019, per-capita income 2019 and patents 2015 (the latest patent counts held). "
        "No newer ACS figures for metros are held yet.",
    ),
]


def load(stdout) -> None:
    files = [(path.name, path.read_text(encoding="utf-8")) for path in collect_paths(DATA)]
    report = vitals_import(files=files, imported_by="manage.py load_demo")
    if not report.ok:
        raise RuntimeError(
            "The shipped City Vitals data failed validation:\n"
            + "\n".join(map(str, report.problems))
        )
    if report.changed:
        counts = ", ".join(
            f"{label}: {c.created} new, {c.updated} changed" for label, c in report.counts.items()
        )
        stdout.write(f"City Vitals data loaded ({counts}).")
    else:
        stdout.write("City Vitals data already up to date.")
    if dividend_constants_ensure_first():
        stdout.write("City Dividends constants: version 1 saved.")
    for title, slug, through, notes in DEMO_EDITIONS:
        if Edition.objects.filter(slug=slug).exists():
            continue
        edition = edition_create(title=title, slug=slug, data_through=through, notes=notes)
        edition_publish(edition=edition)
        stdout.write(f"{title} published (figures up to {through}).")
