"""Background work of City Vitals: applying a staged import, with progress staff can watch."""

from celery import shared_task
from django.core.cache import cache

from .services import staged_files, vitals_import

PROGRESS_SECONDS = 60 * 60


def progress_key(token: str) -> str:
    return f"vitals:import:{token}"


@shared_task(soft_time_limit=600, time_limit=660)
def import_staged_vitals(token: str, imported_by: str = "") -> None:
    """Apply the files staged under token. Safe to run twice: a re-import changes nothing."""
    key = progress_key(token)
    if (cache.get(key) or {}).get("state") == "done":
        return
    files = staged_files(token)
    if not files:
        cache.set(
            key,
            {"state": "failed", "message": "The uploaded files are gone; upload them again."},
            PROGRESS_SECONDS,
        )
        return

    def progress(label: str, done: int, total: int) -> None:
        cache.set(
            key,
            {"state": "running", "label": label, "done": done, "total": total},
            PROGRESS_SECONDS,
        )

    cache.set(
        key, {"state": "running", "label": "starting", "done": 0, "total": 0}, PROGRESS_SECONDS
    )
    report = vitals_import(files=files, imported_by=imported_by, progress=progress)
    if not report.ok:
        cache.set(
            key,
            {"state": "failed", "message": "; ".join(str(p) for p in report.problems[:20])},
            PROGRESS_SECONDS,
        )
        return
    cache.set(
        key,
        {
            "state": "done",
            "counts": {label: str(counts) for label, counts in report.counts.items()},
            "corrections": len(report.corrections),
            "changed": report.changed,
        },
        PROGRESS_SECONDS,
    )
