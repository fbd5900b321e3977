from datetime import datetime, time, timedelta

from .working_days import WORKING_DAYS_HORIZON


class LogStep:
    """Step: the collections log, the case's history: one event per contact attempt (queued,
    sent, failed, skipped, with reason and reason code) and per change, written together for
    the batch."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _event_vals(self, run, case, name, **values):
        """Values of an event of ``case``: from what the batch read of it once (``run.event_bases``)."""
        base = run.event_bases.get(case.id) or case._event_base()
        return {**base, "name": name, **values}

    def _log(self, run, events):
        """Append the batch's events to the log, in one INSERT (see ``collection.event._log``)."""
        return self.env["collection.event"]._log(events)

    def _dedup_skips(self, events, today):
        """Log a deferral once a day per case, level and reason, however often the cron runs; a
        deferral to the next working day (its reason names that day) once for the whole stretch
        of days off before it."""
        if not events:
            return events
        start = datetime.combine(today, time.min)
        logged = {
            (event.case_id.id, event.level_id.id, event.reason)
            for event in self.env["collection.event"].search(
                [
                    ("case_id", "in", [vals["case_id"] for vals in events]),
                    ("state", "=", "skipped"),
                    "|",
                    ("date", ">=", start),
                    "&",
                    ("reason_code", "=", "non_working_day"),
                    # the days off before a working day are at most the calendar's horizon
                    ("date", ">=", start - timedelta(days=WORKING_DAYS_HORIZON)),
                ]
            )
        }
        return [vals for vals in events if (vals["case_id"], vals["level_id"], vals["reason"]) not in logged]
