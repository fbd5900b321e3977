"""Committed customers, invoices and cases on real connections, as cron workers see them, cleaned
up afterwards: the set-up of the engine's concurrency and cron-path tests."""

from datetime import timedelta

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import TransactionCase


class CommittedCasesCase(TransactionCase):
    """One overdue invoice, hence one open case, per name of ``CUSTOMERS``, committed on a
    cursor of its own; the contact window is open all day while the test runs."""

    CUSTOMERS = ()

    def setUp(self):
        super().setUp()
        self.setup_cr = self.registry.cursor()
        self.addCleanup(self.setup_cr.close)
        env = api.Environment(self.setup_cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        self.company_id = company.id
        self.saved_window = (
            company.collection_window_start,
            company.collection_window_end,
            company.collection_contact_weekends,
        )
        # any hour of any day is a contact time: the tests do not depend on when they run
        company.write(
            {"collection_window_start": 0.0, "collection_window_end": 24.0, "collection_contact_weekends": True}
        )
        self.setup_cr.execute("SELECT COALESCE(MAX(id), 0) FROM ir_cron_trigger")
        self.last_trigger_id = self.setup_cr.fetchone()[0]
        self.today = fields.Date.context_today(env["res.partner"])
        self.partner_ids, self.invoice_ids, self.case_ids = [], [], []
        for name in self.CUSTOMERS:
            partner = env["res.partner"].create({"name": name, "email": "ap@committed.example.com", "tz": "UTC"})
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "invoice_date": self.today - timedelta(days=20),
                    "invoice_date_due": self.today - timedelta(days=15),
                    "invoice_line_ids": [Command.create({"name": "Work", "price_unit": 300.0, "tax_ids": []})],
                }
            )
            invoice.action_post()
            self.partner_ids.append(partner.id)
            self.invoice_ids.append(invoice.id)
            self.case_ids.append(invoice.collection_case_id.id)
        self.assertTrue(all(self.case_ids), "the overdue invoices opened cases")
        self.assertEqual(self.case_ids, sorted(self.case_ids))
        self.setup_cr.commit()
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        cr = self.registry.cursor()
        with cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env.ref("base.main_company").write(
                dict(
                    zip(
                        ("collection_window_start", "collection_window_end", "collection_contact_weekends"),
                        self.saved_window,
                        strict=True,
                    )
                )
            )
            # the log is append-only through the ORM: remove the test's rows directly
            cr.execute("DELETE FROM collection_event WHERE case_id = ANY(%s)", [self.case_ids])
            cr.execute("DELETE FROM mail_message WHERE model = 'collection.case' AND res_id = ANY(%s)", [self.case_ids])
            cr.execute(
                "DELETE FROM mail_followers WHERE res_model = 'collection.case' AND res_id = ANY(%s)", [self.case_ids]
            )
            cr.execute(
                "DELETE FROM mail_activity WHERE res_model = 'collection.case' AND res_id = ANY(%s)", [self.case_ids]
            )
            cr.execute("DELETE FROM ir_cron_trigger WHERE id > %s", [self.last_trigger_id])
            invoices = env["account.move"].browse(self.invoice_ids)
            invoices.with_context(collection_no_refresh=True).button_draft()
            invoices.unlink()
            cr.execute("DELETE FROM collection_case WHERE id = ANY(%s)", [self.case_ids])
            env["res.partner"].browse(self.partner_ids).unlink()
