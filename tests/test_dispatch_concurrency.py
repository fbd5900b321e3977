"""The engine's cron path on real connections: a crash after a batch wrote, two runs at once,
two dispatch workers at once. Committed data, as two cron workers would see it, cleaned up after.

The runs are scoped to the test's customers (refresh, due cases) and leave the demo data's
agreements and pauses alone: what is tested is the batching, the commits and the locks.
"""

from contextlib import ExitStack, contextmanager
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.modules import module as odoo_module
from odoo.tests import tagged

from .common_committed import CommittedCasesCase


@tagged("post_install", "-at_install")
class TestCommittedEngine(CommittedCasesCase):
    CUSTOMERS = ("Crash Test One Ltd", "Crash Test Two Ltd")

    # ------------------------------------------------------------------ helpers
    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    @contextmanager
    def _scoped_runs(self):
        """Runs with one case per batch, that see only the test's customers, with the cron's
        per-batch commits (which the engine turns off while tests run)."""
        Case, Engine = type(self.env["collection.case"]), type(self.env["collection.engine"])
        select_due = Case._select_due_case_ids
        partner_ids, case_ids = self.partner_ids, self.case_ids

        def select_test_cases(cases, companies, today):
            return [case_id for case_id in select_due(cases, companies, today) if case_id in case_ids]

        with ExitStack() as stack:
            stack.enter_context(patch.object(Case, "_batch_size", lambda cases: 1))
            stack.enter_context(patch.object(Engine, "_partners_to_refresh", lambda engine, companies: partner_ids))
            stack.enter_context(patch.object(Case, "_select_due_case_ids", select_test_cases))
            stack.enter_context(patch.object(Engine, "_settle_agreements", lambda engine, run: None))
            stack.enter_context(patch.object(Case, "_log_paused", lambda cases, companies, today: None))
            stack.enter_context(patch.object(odoo_module, "current_test", False))
            yield

    def _level_events(self, cr):
        """{(case, level, channel, summary): count} of the level events of the test's cases."""
        cr.execute(
            """
            SELECT case_id, level_id, channel, name, count(*) FROM collection_event
             WHERE case_id = ANY(%s) AND level_id IS NOT NULL
             GROUP BY case_id, level_id, channel, name
            """,
            [self.case_ids],
        )
        return {row[:4]: row[4] for row in cr.fetchall()}

    def _emails_per_case(self, cr):
        cr.execute(
            """
            SELECT case_id, count(*) FROM collection_event
             WHERE case_id = ANY(%s) AND channel = 'email' AND level_id IS NOT NULL GROUP BY case_id
            """,
            [self.case_ids],
        )
        return dict(cr.fetchall())

    def _levels(self, cr):
        cr.execute("SELECT id, level_id FROM collection_case WHERE id = ANY(%s) ORDER BY id", [self.case_ids])
        return dict(cr.fetchall())

    # ------------------------------------------------------------------ crash safety
    def test_cron_crash_after_a_batch_wrote_keeps_the_committed_batches(self):
        """The second batch dies after writing its case and its events: the cron's transaction
        ends in a rollback; the first batch was committed and stays, the second is gone whole, and
        the next cron run does only what is left, sending each level once."""
        first, second = self.case_ids
        Event = type(self.env["collection.event"])
        original = Event._log
        batches = []

        def crash_after_writing_second_batch(events, vals_list):
            logged = original(events, vals_list)
            if any(vals.get("level_id") for vals in vals_list):
                batches.append(sorted(set(logged.case_id.ids)))
                if len(batches) == 2:
                    events.env.flush_all()
                    raise RuntimeError("worker killed")
            return logged

        with self._scoped_runs(), self.registry.cursor() as cr:
            with patch.object(Event, "_log", crash_after_writing_second_batch):
                with self.assertRaisesRegex(RuntimeError, "worker killed"):
                    self._env(cr)["collection.case"]._cron_run_collections()
            cr.rollback()  # what the cron runner does with a failed job
        self.assertEqual(batches, [[first], [second]])
        with self.registry.cursor() as cr:
            levels = self._levels(cr)
            self.assertTrue(levels[first], "the first batch was committed")
            self.assertFalse(levels[second], "the second batch is rolled back, the case included")
            self.assertEqual(self._emails_per_case(cr), {first: 1}, "and the events it had written")
        with self._scoped_runs(), self.registry.cursor() as cr:
            self._env(cr)["collection.case"]._cron_run_collections()
        with self.registry.cursor() as cr:
            self.assertTrue(all(self._levels(cr).values()))
            self.assertEqual(self._emails_per_case(cr), {first: 1, second: 1}, "each level sent exactly once")
            self.assertFalse({key: n for key, n in self._level_events(cr).items() if n > 1}, "no duplicate event")

    # ------------------------------------------------------------------ two runs at once
    def test_two_runs_at_once_split_the_cases(self):
        """Run A is in its first batch (case 1 locked, not committed) when run B, on another
        connection, runs run_collections from start to end: B does case 2 and skips case 1
        instead of waiting for it; A, going on, finds case 2 done. Each case gets its level once."""
        first, second = self.case_ids
        Case = type(self.env["collection.case"])
        execute_batch = Case._execute_batch
        counts_b = []

        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:

            def batch_then_other_run(cases, case_ids, today, counts, force=False):
                execute_batch(cases, case_ids, today, counts, force=force)
                if cases.env.cr is cr_a and not counts_b:
                    cr_b.execute("SET LOCAL lock_timeout = '5s'")  # B waiting on A would be the bug
                    counts_b.append(self._env(cr_b)["collection.case"].run_collections())
                    cr_b.commit()

            with self._scoped_runs(), patch.object(Case, "_execute_batch", batch_then_other_run):
                counts_a = self._env(cr_a)["collection.case"]._run_collections(commit=True)
            cr_a.commit()
        self.assertEqual(counts_b[0]["cases"], 1, "B did case 2 and skipped the case A held")
        self.assertEqual(counts_a["cases"], 1, "A did case 1 and found case 2 done by B")
        with self.registry.cursor() as cr:
            self.assertEqual(self._emails_per_case(cr), {first: 1, second: 1}, "each level sent exactly once")
            self.assertFalse({key: n for key, n in self._level_events(cr).items() if n > 1}, "no duplicate event")

    # ------------------------------------------------------------------ two dispatch workers
    def test_two_dispatch_workers_skip_each_others_emails(self):
        """Dispatch A renders its first batch (event 1 locked) when dispatch B starts: B renders
        event 2, skips event 1 instead of waiting for it, and no reminder is rendered twice."""
        with self.registry.cursor() as cr:
            env = self._env(cr)
            Case = env["collection.case"].with_context(collection_date=str(self.today))
            counts = Case._empty_counts()
            Case._execute_batch(self.case_ids, self.today, counts)
            self.assertEqual(counts["queued"], 2)
        Event = type(self.env["collection.event"])
        render = Event._render_queued_emails
        counts_b = []

        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:

            def render_then_other_worker(events, counts):
                render(events, counts)
                if events.env.cr is cr_a and not counts_b:
                    cr_b.execute("SET LOCAL lock_timeout = '5s'")  # B waiting on A would be the bug
                    counts_b.append(self._env(cr_b)["collection.event"]._dispatch_emails(case_ids=self.case_ids))
                    cr_b.commit()

            with self._scoped_runs(), patch.object(Event, "_render_queued_emails", render_then_other_worker):
                # as the cron does: each batch committed, the next one on a fresh snapshot
                counts_a = self._env(cr_a)["collection.event"]._dispatch_emails(case_ids=self.case_ids, commit=True)
            cr_a.commit()
        self.assertEqual(counts_a, {"queued": 1, "failed": 0, "skipped": 0}, "A rendered its event only")
        self.assertEqual(counts_b[0], {"queued": 1, "failed": 0, "skipped": 0}, "B rendered the other one")
        with self.registry.cursor() as cr:
            cr.execute(
                """
                SELECT e.case_id, count(m.id) FROM collection_event e
                  JOIN mail_mail m ON m.id = e.mail_mail_id
                 WHERE e.case_id = ANY(%s) AND e.channel = 'email' GROUP BY e.case_id
                """,
                [self.case_ids],
            )
            self.assertEqual(dict(cr.fetchall()), dict.fromkeys(self.case_ids, 1))
            cr.execute(
                """
                SELECT count(*) FROM mail_mail m JOIN mail_message msg ON msg.id = m.mail_message_id
                 WHERE msg.model = 'collection.case' AND msg.res_id = ANY(%s)
                """,
                [self.case_ids],
            )
            self.assertEqual(cr.fetchone()[0], 2, "one email per reminder in the mail queue, none twice")
