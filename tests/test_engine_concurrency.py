"""Two engine workers on separate database connections split the work and never send twice."""

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged
from odoo.tools import split_every

from .common_committed import CommittedCasesCase


@tagged("post_install", "-at_install")
class TestTwoWorkers(CommittedCasesCase):
    """Uses committed data on real connections (as two cron workers would), cleaned up afterwards."""

    CUSTOMERS = ("Two Workers Ltd", "Second Worker Ltd")

    def setUp(self):
        super().setUp()
        self.case_id = self.case_ids[0]

    def _worker(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        return env["collection.engine"].with_context(collection_date=self.today)

    def _new_run(self, worker):
        return worker._new_run(self.today, worker.env.company)

    def _events_per_level(self, cr, case_ids):
        """(case, level, channel, summary) -> number of events, for the level events of ``case_ids``."""
        cr.execute(
            """
            SELECT case_id, level_id, channel, name, count(*) FROM collection_event
             WHERE case_id = ANY(%s) AND level_id IS NOT NULL
             GROUP BY case_id, level_id, channel, name
            """,
            [case_ids],
        )
        return {row[:4]: row[4] for row in cr.fetchall()}

    def test_second_worker_skips_locked_cases_and_nothing_is_sent_twice(self):
        self.assertTrue(all(self.case_ids), "the overdue invoices opened cases")
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            worker_a, worker_b = self._worker(cr_a), self._worker(cr_b)
            run_a, run_b = self._new_run(worker_a), self._new_run(worker_b)
            counts_a, counts_b = run_a.counts, run_b.counts
            cr_b.execute("SET LOCAL lock_timeout = '5s'")  # a wait here would be a bug, not a hang
            worker_a._run_batch(run_a, [self.case_id])
            worker_b._run_batch(run_b, [self.case_id])
            self.assertEqual(counts_a["cases"], 1)
            self.assertEqual(counts_b["cases"], 0, "the case locked by worker A is skipped, not waited for")
            cr_a.commit()
            cr_b.rollback()
            worker_b._run_batch(run_b, [self.case_id])
            self.assertEqual(counts_b["cases"], 0, "once A committed, the level is no longer due")
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM collection_event WHERE case_id = %s AND channel = 'email'", [self.case_id])
            self.assertEqual(cr.fetchone()[0], 1, "one email for the level, whatever the number of workers")
            duplicates = {key: n for key, n in self._events_per_level(cr, [self.case_id]).items() if n > 1}
            self.assertFalse(duplicates, "no event of the level is logged twice")

    def test_two_concurrent_runs_split_the_work(self):
        """Worker A is in the middle of a batch (case 1 locked, not committed) when worker B selects
        the due cases of the company and executes them batch by batch, as run_collections does after
        its refresh: B does every other due case, skips case 1 instead of waiting for it, and between
        them each case gets its level exactly once."""
        first, second = self.case_ids
        company = self.env.company
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            worker_a, worker_b = self._worker(cr_a), self._worker(cr_b)
            cr_b.execute("SET LOCAL lock_timeout = '5s'")  # B waiting on A's lock would be a bug, not a hang
            run_a = self._new_run(worker_a)
            counts_a = run_a.counts
            worker_a._run_batch(run_a, [first])
            self.assertEqual(counts_a["cases"], 1)
            run_b = worker_b._new_run(self.today, company)
            due_b = worker_b._select_due(run_b)
            self.assertIn(first, due_b, "A has not committed: for B, case 1 is still due")
            self.assertIn(second, due_b)
            counts_b = run_b.counts
            for batch in split_every(2, due_b):
                worker_b._run_batch(run_b, list(batch))
            self.assertEqual(counts_b["cases"], len(due_b) - 1, "B worked every due case but the one A holds")
            # what each worker did, seen from its own transaction
            done_a = self._events_per_level(cr_a, self.case_ids)
            done_b = self._events_per_level(cr_b, self.case_ids)
            self.assertEqual({key[0] for key in done_a}, {first}, "A worked case 1 only")
            self.assertEqual({key[0] for key in done_b}, {second}, "B skipped the case A holds and did the other")
            self.assertTrue(any(key[2] == "email" for key in done_a), "A sent case 1's reminder")
            self.assertTrue(any(key[2] == "email" for key in done_b), "B sent case 2's reminder")
            self.assertFalse({key: n for key, n in {**done_a, **done_b}.items() if n > 1}, "no duplicate event")
            # A commits; B, re-run on a fresh snapshot, finds nothing left to do on case 1
            cr_a.commit()
            cr_b.rollback()
            run_again = self._new_run(worker_b)
            counts_again = run_again.counts
            worker_b._run_batch(run_again, [first])
            self.assertEqual(counts_again["cases"], 0, "case 1's level is no longer due once A committed")
            cr_b.rollback()  # B also worked the company's other due cases: leave them as they were
        with self.registry.cursor() as cr:
            events = self._events_per_level(cr, self.case_ids)
            self.assertEqual({key[0] for key in events if key[2] == "email"}, {first})
            self.assertFalse({key: n for key, n in events.items() if n > 1}, "no duplicate event")
