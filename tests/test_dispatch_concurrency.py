"""The engine's cron path on real connections: a crash after a batch wrote, two runs at once,
two dispatch workers at once. Committed data, as two cron workers would see it, cleaned up after.

The runs are scoped to the test's customers (refresh, due cases) and leave the demo data's
agreements and pauses alone: what is tested is the batching, the commits and the locks.
"""

from contextlib import ExitStack, contextmanager
from unittest.mock import patch

import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.modules import module as odoo_module
from odoo.tests import tagged
from odoo.tools import mute_logger

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
        Engine = type(self.env["collection.engine"])
        select_due = Engine._select_due
        partner_ids, case_ids = self.partner_ids, self.case_ids

        def select_test_cases(engine, run):
            return [case_id for case_id in select_due(engine, run) if case_id in case_ids]

        with ExitStack() as stack:
            stack.enter_context(patch.object(Engine, "_batch_size", lambda engine: 1))
            stack.enter_context(patch.object(Engine, "_partners_to_refresh", lambda engine, companies: partner_ids))
            stack.enter_context(patch.object(Engine, "_select_due", select_test_cases))
            stack.enter_context(patch.object(Engine, "_settle_agreements", lambda engine, run: None))
            stack.enter_context(patch.object(Engine, "_log_paused", lambda engine, run: None))
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
        Engine = type(self.env["collection.engine"])
        run_batch = Engine._run_batch
        counts_b = []

        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:

            def batch_then_other_run(engine, run, case_ids):
                run_batch(engine, run, case_ids)
                if engine.env.cr is cr_a and not counts_b:
                    cr_b.execute("SET LOCAL lock_timeout = '5s'")  # B waiting on A would be the bug
                    counts_b.append(self._env(cr_b)["collection.case"].run_collections())
                    cr_b.commit()

            with self._scoped_runs(), patch.object(Engine, "_run_batch", batch_then_other_run):
                counts_a = self._env(cr_a)["collection.case"]._run_collections(commit=True)
            cr_a.commit()
        self.assertEqual(counts_b[0]["cases"], 1, "B did case 2 and skipped the case A held")
        self.assertEqual(counts_a["cases"], 1, "A did case 1 and found case 2 done by B")
        with self.registry.cursor() as cr:
            self.assertEqual(self._emails_per_case(cr), {first: 1, second: 1}, "each level sent exactly once")
            self.assertFalse({key: n for key, n in self._level_events(cr).items() if n > 1}, "no duplicate event")

    # ------------------------------------------------------------------ two dispatch workers
    def _queue_reminders(self):
        """The run's reminder email of each test case, queued and committed, with the invoices'
        portal tokens the reminders link to (so that the workers write nothing but their emails and
        the events' outcomes: only the locks on the events keep them apart)."""
        with self.registry.cursor() as cr:
            env = self._env(cr)
            Engine = env["collection.engine"]
            run = Engine._new_run(self.today, env.company)
            Engine._run_batch(run, self.case_ids)
            self.assertEqual(run.counts["queued"], 2)
            Engine._ensure_invoice_access_tokens(env["collection.case"].browse(self.case_ids))

    @contextmanager
    def _counting_renders(self):
        """Every rendering of a reminder email, on whichever connection: [(cursor, case ids)]."""
        Template = type(self.env["mail.template"])
        create_mails = Template._collection_create_mails
        renders = []

        def counting(template, records):
            renders.append((records.env.cr, records.ids))
            return create_mails(template, records)

        with patch.object(Template, "_collection_create_mails", counting):
            yield renders

    def _renders_per_case(self, renders):
        rendered = [case_id for _cr, case_ids in renders for case_id in case_ids]
        return {case_id: rendered.count(case_id) for case_id in self.case_ids}

    def _mails_per_case(self, cr):
        """{case: emails in the mail queue} of the test's reminders, and their count in all."""
        cr.execute(
            """
            SELECT e.case_id, count(m.id) FROM collection_event e
              JOIN mail_mail m ON m.id = e.mail_mail_id
             WHERE e.case_id = ANY(%s) AND e.channel = 'email' GROUP BY e.case_id
            """,
            [self.case_ids],
        )
        per_case = dict(cr.fetchall())
        cr.execute(
            """
            SELECT count(*) FROM mail_mail m JOIN mail_message msg ON msg.id = m.mail_message_id
             WHERE msg.model = 'collection.case' AND msg.res_id = ANY(%s)
            """,
            [self.case_ids],
        )
        return per_case, cr.fetchone()[0]

    def test_two_dispatch_workers_skip_each_others_emails(self):
        """Dispatch A renders its first batch (event 1 locked) when dispatch B starts: B renders
        event 2, skips event 1 instead of waiting for it, and no reminder is rendered twice."""
        first, second = self.case_ids
        self._queue_reminders()
        Event = type(self.env["collection.event"])
        render = Event._render_queued_emails
        counts_b = []

        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b, self._counting_renders() as renders:

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
            # a third dispatch, once both are done, finds nothing left to render
            with self._scoped_runs(), self.registry.cursor() as cr_c:
                counts_c = self._env(cr_c)["collection.event"]._dispatch_emails(case_ids=self.case_ids)
        self.assertEqual(counts_a, {"queued": 1, "failed": 0, "skipped": 0}, "A rendered its event only")
        self.assertEqual(counts_b[0], {"queued": 1, "failed": 0, "skipped": 0}, "B rendered the other one")
        self.assertEqual(counts_c, {"queued": 0, "failed": 0, "skipped": 0}, "nothing is rendered again")
        self.assertEqual(
            [(cr, case_ids) for cr, case_ids in renders],
            [(cr_a, [first]), (cr_b, [second])],
            "each reminder rendered once, by one worker",
        )
        with self.registry.cursor() as cr:
            self.assertEqual(self._mails_per_case(cr), (dict.fromkeys(self.case_ids, 1), 2), "one email each")

    def test_a_dispatch_that_started_before_the_others_commit_never_renders_its_emails_again(self):
        """B's transaction began while A was rendering event 1; A commits it and goes on with event 2
        when B dispatches: B's snapshot still shows event 1 queued, yet B renders nothing (the
        database refuses B the row A changed since) and A's two reminders stay the only ones."""
        self._queue_reminders()
        Event = type(self.env["collection.event"])
        render = Event._render_queued_emails
        b_outcome = []

        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b, self._counting_renders() as renders:

            def render_with_other_worker(events, counts):
                if events.env.cr is cr_a and events.case_id.id == self.case_ids[1]:
                    # A committed event 1 and holds event 2: B dispatches on its old snapshot
                    try:
                        with mute_logger("odoo.sql_db"):  # the refused row is the expected outcome
                            b_outcome.append(
                                self._env(cr_b)["collection.event"]._dispatch_emails(case_ids=self.case_ids)
                            )
                    except psycopg2.errors.SerializationFailure as error:
                        b_outcome.append(error)
                    cr_b.rollback()
                render(events, counts)
                if events.env.cr is cr_a and events.case_id.id == self.case_ids[0]:
                    cr_b.execute("SET LOCAL lock_timeout = '5s'")  # B's transaction (and snapshot) begins
                    cr_b.execute("SELECT count(*) FROM collection_event")

            with self._scoped_runs(), patch.object(Event, "_render_queued_emails", render_with_other_worker):
                counts_a = self._env(cr_a)["collection.event"]._dispatch_emails(case_ids=self.case_ids, commit=True)
            cr_a.commit()
        self.assertEqual(len(b_outcome), 1)
        self.assertIsInstance(b_outcome[0], psycopg2.errors.SerializationFailure, "B fails (the cron tries later)")
        self.assertEqual(counts_a, {"queued": 2, "failed": 0, "skipped": 0})
        self.assertEqual([cr for cr, _case_ids in renders], [cr_a, cr_a], "B rendered nothing")
        self.assertEqual(self._renders_per_case(renders), dict.fromkeys(self.case_ids, 1))
        with self.registry.cursor() as cr:
            self.assertEqual(self._mails_per_case(cr), (dict.fromkeys(self.case_ids, 1), 2), "one email each")
