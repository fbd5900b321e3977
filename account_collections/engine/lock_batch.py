from odoo.tools import SQL

from ..models.collection_stage import STOPPED_STAGE_CODES


class LockBatchStep:
    """Step: lock the cases of a batch that are still due."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _lock_batch(self, run, case_ids):
        """Lock the cases of ``case_ids`` still due (a collector's click: still open with a next
        level, at a stage where dunning goes on); cases another worker holds are skipped, not
        waited for. The locked cases are read fresh: they may have moved since the selection.

        :return: the locked ``collection.case`` records
        """
        self.env.flush_all()
        condition = (
            SQL(
                """c.state = 'open' AND c.next_level_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM collection_stage s WHERE s.id = c.stage_id AND s.code IN %s)""",
                STOPPED_STAGE_CODES,
            )
            if run.force
            else self._due_condition(run.today)
        )
        rows = self.env.execute_query(
            SQL(
                "SELECT c.id FROM collection_case c WHERE c.id = ANY(%s) AND %s ORDER BY c.id FOR UPDATE SKIP LOCKED",
                case_ids,
                condition,
            )
        )
        cases = self.env["collection.case"].browse([row[0] for row in rows])
        cases.invalidate_recordset()
        return cases
