from datetime import datetime, time

from odoo import Command, fields
from odoo.tools import SQL

from ..models.collection_stage import STOPPED_STAGE_CODES

# a skip that settles the month's statement: the customer may not be emailed at all
FINAL_SKIP_CODES = ("opt_out", "do_not_contact", "no_address")


class SendStatementsStep:
    """Step: the scheduled statements, once a month per customer and company.

    A customer's *Monthly Statement Day* (else its policy's) is the day it is emailed its statement
    (the customer statement template, its PDF attached). From that day on, until the statement of
    the month is queued or sent (by the run or by hand), each run passes it through the contact
    guards, as a reminder: a day off, outside the contact window or over the weekly cap, it is
    deferred (logged skipped, once a day) to the next run; opt-out, do not contact or no address
    skip it for the month. The queued statement is a ``collection.event`` (channel email, kind
    statement, no level) that the email dispatch renders with the reminders.
    """

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _send_statements(self, run):
        """Queue the statements due on ``run.today``, batch by batch."""
        self._in_batches(run, self._statement_due_ids(run), self._send_statements_batch)

    def _statement_due_ids(self, run):
        """One open case per customer and company whose statement day has come this month and whose
        statement of the month is neither queued nor sent nor skipped for good (one query)."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT MIN(c.id)
                  FROM collection_case c
                  JOIN res_partner p ON p.id = c.partner_id
                  LEFT JOIN collection_policy pol ON pol.id = c.policy_id
                  LEFT JOIN collection_stage st ON st.id = c.stage_id
                 WHERE c.state = 'open' AND c.company_id = ANY(%(companies)s)
                   AND (st.code IS NULL OR st.code NOT IN %(stopped)s)
                   AND COALESCE(NULLIF((p.collection_statement_day ->> c.company_id::text)::int, 0),
                                pol.statement_day, 0) BETWEEN 1 AND %(day)s
                   AND NOT EXISTS (
                        SELECT 1 FROM collection_event e
                         WHERE e.partner_id = c.partner_id AND e.company_id = c.company_id
                           AND e.kind = 'statement' AND e.direction = 'outbound' AND e.date >= %(month)s
                           AND (e.state IN ('queued', 'sent') OR e.reason_code IN %(final)s)
                   )
              GROUP BY c.partner_id, c.company_id
              ORDER BY 1
                """,
                companies=run.companies.ids,
                stopped=STOPPED_STAGE_CODES,
                day=run.today.day,
                month=datetime.combine(run.today.replace(day=1), time.min),
                final=FINAL_SKIP_CODES,
            )
        )
        return [row[0] for row in rows]

    def _send_statements_batch(self, run, case_ids):
        """The guards, then a queued statement event, or a skipped one with the reason."""
        cases = self.env["collection.case"].browse(case_ids)
        run.event_bases = {case.id: case._event_base() for case in cases}
        try:
            deferred = self._contact_guards(cases, fields.Datetime.now(), run.today, memo=run.working_days)
            run.counts["skipped"] += len(deferred)
            events = self._dedup_skips(
                [
                    self._statement_event_vals(run, case, reason, state="skipped", reason=reason, reason_code=code)
                    for case, (reason, _retry, code) in deferred.items()
                ],
                run.today,
            )
            for case in cases - cases.browse([case.id for case in deferred]):
                blocked = case._channel_block_reason("email")
                if blocked:
                    run.counts["skipped"] += 1
                    events.append(
                        self._statement_event_vals(
                            run,
                            case,
                            self.env._("Monthly statement: email not sent"),
                            state="skipped",
                            reason=blocked[1],
                            reason_code=blocked[0],
                        )
                    )
                else:
                    run.counts["queued"] += 1
                    events.append(
                        self._statement_event_vals(
                            run,
                            case,
                            self.env._("Monthly statement: email"),
                            state="queued",
                            invoice_ids=[Command.set(case.open_invoice_ids.ids)],
                        )
                    )
            self._log(run, events)
        finally:
            run.event_bases = {}

    def _statement_event_vals(self, run, case, name, **values):
        return self._event_vals(run, case, name, channel="email", kind="statement", level_id=False, **values)
