from odoo.tools import SQL


class LogPausedStep:
    """Step: say in the log that a level fell due while its case is paused."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _log_paused(self, run):
        """Log once, per case and level, a level that fell due while the case is paused."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT c.id
                  FROM collection_case c
                  JOIN collection_level l ON l.id = c.next_level_id
                 WHERE c.state = 'open' AND c.company_id = ANY(%(companies)s)
                   AND c.paused_until > %(today)s
                   AND c.oldest_due_date + l.delay_days <= %(today)s
                   AND NOT EXISTS (SELECT 1 FROM collection_event e
                                    WHERE e.case_id = c.id AND e.level_id = l.id AND e.reason_code = 'paused')
                """,
                companies=run.companies.ids,
                today=run.today,
            )
        )
        cases = self.env["collection.case"].browse([row[0] for row in rows])
        self._log(
            run,
            [
                self._event_vals(
                    run,
                    case,
                    self.env._("%(level)s waits: case paused", level=case.next_level_id.name),
                    state="skipped",
                    reason=self.env._("Paused until %(date)s", date=case.paused_until),
                    reason_code="paused",
                    level_id=case.next_level_id.id,
                )
                for case in cases
            ],
        )
