from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import CollectionsCommon

DUE = date(2026, 3, 2)


@tagged("post_install", "-at_install")
class TestLettersAndStatement(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        company.partner_id.tz = "UTC"
        template = cls.env.ref("account_collections.mail_template_collection_reminder")
        cls.letter_policy = cls.env["collection.policy"].create(
            {
                "name": "Letters",
                "company_id": company.id,
                "level_ids": [
                    (
                        0,
                        0,
                        cls._level_vals(
                            "Reminder with invoices",
                            10,
                            create_activity=False,
                            send_email=True,
                            mail_template_id=template.id,
                            attach_invoices=True,
                            send_letter=True,
                        ),
                    ),
                ],
            }
        )
        cls.customer = cls._customer("India Imports", email="ap@india.example.com", tz="UTC", street="1 Dock Road")
        cls.customer.with_company(company).collection_policy_id = cls.letter_policy
        with freeze_time("2026-02-01 10:00:00"):
            cls.invoice = cls._invoice(cls.customer, (date(2026, 2, 1) - DUE).days, 750.0)
        # real PDFs: Odoo renders HTML in tests unless forced
        with freeze_time(f"{DUE + timedelta(days=10)} 10:00:00"):
            cls.env["collection.case"].run_collections(date=str(DUE + timedelta(days=10)))
            cls.env["collection.event"].with_context(force_report_rendering=True).sudo()._dispatch_emails()
        cls.case = cls.invoice.collection_case_id

    def test_letters_wait_in_the_print_queue_then_print_once(self):
        letter = self.case.event_ids.filtered(lambda e: e.channel == "letter")
        self.assertEqual(letter.state, "queued")
        queue = self.env["collection.event"].search([("channel", "=", "letter"), ("state", "=", "queued")])
        self.assertIn(letter, queue)
        action = queue.with_context(force_report_rendering=True).action_print_letters()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(letter.state, "sent")
        self.assertEqual(letter.attachment_id.res_id, self.case.id)
        self.assertTrue(letter.attachment_id.raw.startswith(b"%PDF"))
        with self.assertRaisesRegex(UserError, "Select letters waiting to be printed"):
            letter.action_print_letters()

    def test_reminder_email_attaches_the_invoice_pdf(self):
        mail = self.case.event_ids.filtered(lambda e: e.channel == "email").mail_mail_id
        pdfs = mail.attachment_ids.filtered(lambda a: a.res_model == "account.move" and a.res_id == self.invoice.id)
        self.assertEqual(len(pdfs), 1)
        self.assertTrue(pdfs.raw.startswith(b"%PDF"))

    def test_statement_printed_and_sent_from_the_case(self):
        action = self.case.with_context(discard_logo_check=True).action_print_statement()
        self.assertEqual(action["report_name"], "account_collections.report_customer_statement")
        self.assertEqual(action["context"]["active_ids"], self.customer.ids)
        send = self.case.action_send_statement()
        composer = Form(self.env["mail.compose.message"].with_context(force_report_rendering=True, **send["context"]))
        self.assertIn(self.customer, composer.partner_ids)
        self.assertIn("account statement", composer.subject)
        self.assertEqual(len(composer.attachment_ids), 1)
        self.assertTrue(composer.attachment_ids[0].raw.startswith(b"%PDF"))
