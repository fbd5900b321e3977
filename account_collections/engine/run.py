"""What one run of the engine carries from step to step."""

from dataclasses import dataclass, field
from datetime import date


def empty_counts():
    """What a run (or a collector's button that contacts customers) did: the counts it returns."""
    return {"cases": 0, "sent": 0, "queued": 0, "skipped": 0, "failed": 0}


@dataclass
class EngineRun:
    """One run of the engine, passed down its steps instead of context keys.

    :param today: the run date (a ``date``; only server code builds a run)
    :param companies: the ``res.company`` records the run works on
    :param commit: commit after each batch (the cron; never inside tests)
    :param force: a collector's click: the cases' next level now, whatever its date (a manual
        level included), under the same guards
    :param thank: send the thank-you email to cases the refresh closes as paid
    :param counts: what the run did, returned to the caller
    :param due_ids: the cases the run selected as due: their failed reminders are not retried
        by the same run (their level just ran, or another worker holds them)
    :param due_customers: {case id: (company id, customer id)} of the due cases: a customer's
        cases of a company stay in one batch (see ``_select_due``)
    :param event_bases: {case id: the values every event of the case starts from}, read once
        per batch (see ``collection.engine._event_vals``)
    :param activities: [(level, case)] of the activities the batch's levels planned, scheduled
        together at the end of the batch (``_schedule_activities``)
    :param activity_users: the collectors given an activity since the last commit, whose
        activity counter refreshes once per transaction (see ``_notify_activity_users``)
    :param recipients: {case id: who its reminder email goes to and copies}, resolved once per
        batch (see ``_group_reminders``)
    :param addresses: {customer id: [(partner id, formatted address)]}: who the reminders of
        the due customers go to, resolved once per run (see ``_resolve_addresses``)
    :param reminder_leads: {case id: the case whose reminder email it goes out with}, for the
        customers with several cases emailed in the batch (see ``_group_reminders``)
    :param working_days: the companies' working-day rules (calendar, public holidays), read once
        per run (see ``_working_day_rules``)
    """

    today: date
    companies: object
    commit: bool = False
    force: bool = False
    thank: bool = True
    counts: dict = field(default_factory=empty_counts)
    due_ids: set = field(default_factory=set)
    due_customers: dict = field(default_factory=dict)
    event_bases: dict = field(default_factory=dict)
    activities: list = field(default_factory=list)
    activity_users: set = field(default_factory=set)
    working_days: dict = field(default_factory=dict)
    recipients: dict = field(default_factory=dict)
    addresses: dict = field(default_factory=dict)
    reminder_leads: dict = field(default_factory=dict)
