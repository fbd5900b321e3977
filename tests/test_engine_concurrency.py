"""Two engine workers on separate database connections split the work and never send twice."""

from datetime import timedelta

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestTwoWorkers(TransactionCase):
    """Uses committed data on real connections (as two cron workers would), cleaned up afterwards."""

    def setUp(self):
        super().setUp()
        self.setup_cr = self.registry.cursor()
        self.addCleanup(self.setup_cr.close)
        env = api.Environment(self.setup_cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        self.saved_window = (company.collection_window_start, company.collection_window_end)
        company.write({"collection_window_start": 0.0, "collection_window_end": 24.0})
        partner = env["res.partner"].create({"name": "Two Workers Ltd", "email": "ap@two.example.com", "tz": "UTC"})
        today = fields.Date.context_today(partner)
        invoice = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "company_id": company.id,
                "invoice_date": today - timedelta(days=20),
                "invoice_date_due": today - timedelta(days=15),
                "invoice_line_ids": [Command.create({"name": "Work", "price_unit": 300.0, "tax_ids": []})],
            }
        )
        invoice.action_post()
        self.case_id = invoice.collection_case_id.id
        self.partner_id, self.invoice_id, self.today = partner.id, invoice.id, today
        self.setup_cr.commit()
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        cr = self.registry.cursor()
        with cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env.ref("base.main_company").write(
                dict(zip(("collection_window_start", "collection_window_end"), self.saved_window, strict=True))
            )
            # the log is append-only through the ORM: remove the test's rows directly
            cr.execute("DELETE FROM collection_event WHERE case_id = %s", [self.case_id])
            env["mail.mail"].search([("model", "=", "collection.case"), ("res_id", "=", self.case_id)]).unlink()
            env["mail.activity"].search([("res_model", "=", "collection.case"), ("res_id", "=", self.case_id)]).unlink()
            invoice = env["account.move"].browse(self.invoice_id)
            invoice.with_context(collection_no_refresh=True).button_draft()
            invoice.unlink()
            cr.execute("DELETE FROM collection_case WHERE id = %s", [self.case_id])
            env["res.partner"].browse(self.partner_id).unlink()

    def _worker(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        return env["collection.case"].with_context(collection_date=str(self.today))

    def test_second_worker_skips_locked_cases_and_nothing_is_sent_twice(self):
        self.assertTrue(self.case_id, "the overdue invoice opened a case")
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            worker_a, worker_b = self._worker(cr_a), self._worker(cr_b)
            counts_a, counts_b = worker_a._empty_counts(), worker_b._empty_counts()
            cr_b.execute("SET LOCAL lock_timeout = '5s'")  # a wait here would be a bug, not a hang
            worker_a._execute_batch([self.case_id], self.today, counts_a)
            worker_b._execute_batch([self.case_id], self.today, counts_b)
            self.assertEqual(counts_a["cases"], 1)
            self.assertEqual(counts_b["cases"], 0, "the case locked by worker A is skipped, not waited for")
            cr_a.commit()
            cr_b.rollback()
            worker_b._execute_batch([self.case_id], self.today, counts_b)
            self.assertEqual(counts_b["cases"], 0, "once A committed, the level is no longer due")
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM collection_event WHERE case_id = %s AND channel = 'email'", [self.case_id])
            self.assertEqual(cr.fetchone()[0], 1, "one email for the level, whatever the number of workers")
