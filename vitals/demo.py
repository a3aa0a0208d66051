"""Demo data for `make run`: the real City Vitals figures shipped in vitals/data/."""

from pathlib import Path

from .dividends import dividend_constants_ensure_first
from .importing import collect_paths
from .services import vitals_import

DATA = Path(__file__).resolve().parent / "data"


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
