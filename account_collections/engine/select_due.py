from odoo.tools import SQL

from ..models.collection_stage import STOPPED_STAGE_CODES


class SelectDueStep:
    """Step: the open cases whose next level is due."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _due_condition(self, today):
        """SQL on ``collection_case c``: open, next level automatic and due, not paused, not at a
        stage where internal dunning stops."""
        return SQL(
            """
            c.state = 'open'
              AND c.next_level_id IS NOT NULL
              AND c.next_action_date <= %(today)s
              AND (c.paused_until IS NULL OR c.paused_until <= %(today)s)
              AND NOT EXISTS (SELECT 1 FROM collection_stage s
                               WHERE s.id = c.stage_id AND s.code IN %(stopped)s)
              AND EXISTS (SELECT 1 FROM collection_level l WHERE l.id = c.next_level_id AND l.auto_execute)
            """,
            today=today,
            stopped=STOPPED_STAGE_CODES,
        )

    def _select_due(self, run):
        """Ids of the due cases of ``run.companies``, a customer's cases of a company next to each
        other (their reminders go out as one, see ``_group_reminders``): ``run.due_customers``
        holds each one's (company, customer), which keeps them in one batch (``_in_batches``)."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """SELECT c.id, c.company_id, c.partner_id FROM collection_case c
                    WHERE %s AND c.company_id = ANY(%s) ORDER BY c.company_id, c.partner_id, c.id""",
                self._due_condition(run.today),
                run.companies.ids,
            )
        )
        run.due_customers = {case_id: (company_id, partner_id) for case_id, company_id, partner_id in rows}
        return [row[0] for row in rows]
