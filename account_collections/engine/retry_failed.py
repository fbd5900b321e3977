from collections import defaultdict

from odoo import fields
from odoo.tools import SQL

from ..models.collection_stage import STOPPED_STAGE_CODES


class RetryFailedStep:
    """Step: the level reminders that failed to render at an earlier run go out again.

    A broken template, since fixed or not: the reminder of the case's current level on that
    channel is sent again at each run until it goes out, under the same guards; the rest of the
    level (fees, letters, activities) ran when the level did and does not run twice.
    """

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _retry_failed(self, run):
        """Retry the failed reminders of ``run.companies``, batch by batch (a case that ran a level
        in this run is not retried now)."""
        retry_ids = [case_id for case_id in self._select_retry(run) if case_id not in run.due_ids]
        self._in_batches(run, retry_ids, self._retry_batch)

    def _retry_condition(self, today):
        """Cases still dunned whose current level's last reminder on a channel failed to render."""
        return SQL(
            """
            c.state = 'open'
              AND (c.paused_until IS NULL OR c.paused_until <= %(today)s)
              AND NOT EXISTS (SELECT 1 FROM collection_stage s
                               WHERE s.id = c.stage_id AND s.code IN %(stopped)s)
              AND EXISTS (%(failed)s)
            """,
            today=today,
            stopped=STOPPED_STAGE_CODES,
            failed=self._failed_render_query(SQL("e.case_id = c.id")),
        )

    def _failed_render_query(self, where):
        """The last reminder of each channel of the case's current level, where it failed to render."""
        return SQL(
            """
            SELECT e.case_id, e.channel FROM collection_event e
             WHERE %s AND e.state = 'failed' AND e.reason_code = 'render'
               AND e.level_id = (SELECT c2.level_id FROM collection_case c2 WHERE c2.id = e.case_id)
               AND NOT EXISTS (SELECT 1 FROM collection_event n
                                WHERE n.case_id = e.case_id AND n.level_id = e.level_id
                                  AND n.channel = e.channel AND n.id > e.id)
            """,
            where,
        )

    def _select_retry(self, run):
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT c.id FROM collection_case c
                 WHERE c.id IN (SELECT e.case_id FROM collection_event e
                                 WHERE e.state = 'failed' AND e.reason_code = 'render')
                   AND c.company_id = ANY(%s) AND %s
                 ORDER BY c.id
                """,
                run.companies.ids,
                self._retry_condition(run.today),
            )
        )
        return [row[0] for row in rows]

    def _retry_batch(self, run, case_ids):
        """Lock the cases still to retry, pass the guards, send their failed reminders again."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                "SELECT c.id FROM collection_case c WHERE c.id = ANY(%s) AND %s ORDER BY c.id FOR UPDATE SKIP LOCKED",
                case_ids,
                self._retry_condition(run.today),
            )
        )
        Case = self.env["collection.case"]
        cases = Case.browse([row[0] for row in rows])
        if not cases:
            return
        cases.invalidate_recordset()
        channels = self.env.execute_query(self._failed_render_query(SQL("e.case_id = ANY(%s)", cases.ids)))
        run.event_bases = {case.id: case._event_base() for case in cases}
        try:
            deferred = self._contact_guards(cases, fields.Datetime.now(), run.today)
            events = self._dedup_skips(
                [
                    self._event_vals(run, case, reason, state="skipped", reason=reason, reason_code=code)
                    for case, (reason, _retry, code) in deferred.items()
                ],
                run.today,
            )
            run.counts["skipped"] += len(deferred)
            to_retry = defaultdict(list)
            for case_id, channel in channels:
                case = Case.browse(case_id)
                if case not in deferred:
                    to_retry[(case.level_id, channel)].append(case_id)
            retried = []
            for (level, channel), level_case_ids in to_retry.items():
                level_cases = Case.browse(level_case_ids).with_prefetch(cases._prefetch_ids)
                contacts = self._retry_level_contact(run, level, channel, level_cases)
                retried += [vals["case_id"] for vals in contacts]
                events += contacts
            # the case row is written: a second run at the same time waits for this one, then sees the new events
            cases._write_engine_values({case_id: {"last_action_date": run.today} for case_id in set(retried)})
            self._log(run, events)
        finally:
            run.event_bases, run.recipients = {}, {}

    def _retry_level_contact(self, run, level, channel, cases):
        """The level's contact on ``channel`` again, for ``cases`` whose reminder on it failed to
        render; returns the event values. Channel addons (SMS) add theirs."""
        if channel == "email":
            return self._run_email(run, level, cases)
        return []
