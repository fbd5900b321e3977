"""What one run of the engine carries from step to step."""

from dataclasses import dataclass, field
from datetime import date


def empty_counts():
    return {"cases": 0, "sent": 0, "queued": 0, "skipped": 0, "failed": 0}


@dataclass
class EngineRun:
    """One run of the engine, passed down its steps instead of context keys.

    :param today: the run date (a ``date``; only server code builds a run)
    :param companies: the ``res.company`` records the run works on
    :param commit: commit after each batch (the cron; never inside tests)
    :param force: a collector's click: the cases' next level now, whatever its date
    :param thank: send the thank-you email to cases the refresh closes as paid
    :param counts: what the run did, returned to the caller
    """

    today: date
    companies: object
    commit: bool = False
    force: bool = False
    thank: bool = True
    counts: dict = field(default_factory=empty_counts)
