from datetime import date, timedelta

from freezegun import freeze_time
from lxml import html as lxml_html

from odoo import Command, fields
from odoo.tests import HttpCase, tagged
from odoo.tools.misc import format_date

from odoo.addons.mail.tests.common import MockEmail, mail_new_test_user

from .common import CollectionsCommon

INVOICE_DATE = date(2026, 3, 2)  # 2 % if paid within 10 days (by 12 March), else net 30 (1 April)


class EarlyPaymentCommon(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        company.partner_id.tz = "UTC"
        cls.template = cls.env.ref("account_collections.mail_template_collection_reminder")
        cls.epd_policy = cls._email_policy("Early reminder policy", [("Due in four weeks", -25), ("Overdue", 10)])
        cls.term_epd = cls.env["account.payment.term"].create(
            {
                "name": "2/10 net 30",
                "company_id": company.id,
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 10,
                "early_pay_discount_computation": "included",
                "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
            }
        )
        cls.term_net = cls.env["account.payment.term"].create(
            {
                "name": "Net 30",
                "company_id": company.id,
                "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
            }
        )
        cls.customer = cls._customer("Echo Supplies", email="ap@echo.example.com", tz="UTC", lang="en_US")
        cls.customer.with_company(company).collection_policy_id = cls.epd_policy

    @classmethod
    def _term_invoice(cls, partner, term, amount, invoice_date):
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "invoice_payment_term_id": term.id,
                "invoice_line_ids": [
                    Command.create({"name": "Service", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        move.action_post()
        return move


@tagged("post_install", "-at_install")
class TestEarlyPayment(EarlyPaymentCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time(f"{INVOICE_DATE} 10:00:00"):
            cls.invoice_epd = cls._term_invoice(cls.customer, cls.term_epd, 1000.0, INVOICE_DATE)
            cls.invoice_net = cls._term_invoice(cls.customer, cls.term_net, 500.0, INVOICE_DATE)

    def _run(self, day):
        with freeze_time(f"{day} 10:00:00"):
            return self._run_collections(day)

    def _reminder(self):
        events = self.env["collection.event"].search(
            [("partner_id", "=", self.customer.id), ("channel", "=", "email")], order="id desc", limit=1
        )
        self.assertTrue(events.mail_mail_id, "a reminder email was queued")
        return lxml_html.fromstring(events.mail_mail_id.body_html)

    def test_discount_read_from_the_payment_term_line(self):
        term_line = self.invoice_epd.line_ids.filtered(lambda line: line.display_type == "payment_term")
        self.assertEqual(term_line.discount_date, date(2026, 3, 12))
        at = self.invoice_epd.with_context(collection_date=fields.Date.to_date("2026-03-06"))
        self.assertEqual(at.collection_epd_date, date(2026, 3, 12))
        self.assertAlmostEqual(at.collection_epd_amount, 980.0)
        self.assertAlmostEqual(at.collection_epd_amount, term_line.discount_amount_currency)
        last_day = self.invoice_epd.with_context(collection_date=fields.Date.to_date("2026-03-12"))
        self.assertEqual(last_day.collection_epd_date, date(2026, 3, 12), "the discount date itself still counts")
        after = self.invoice_epd.with_context(collection_date=fields.Date.to_date("2026-03-13"))
        self.assertFalse(after.collection_epd_date, "no discount once its date has passed")
        self.assertFalse(
            self.invoice_net.with_context(collection_date=fields.Date.to_date("2026-03-06")).collection_epd_date
        )

    def test_pre_due_reminder_states_discounted_amount_and_last_date(self):
        counts = self._run(date(2026, 3, 7))  # 25 days before the due date of 1 April
        self.assertEqual(counts["queued"], 1)
        body = self._reminder()
        rows = body.xpath("//tr[contains(@class, 'o_collection_epd')]")
        self.assertEqual(len(rows), 1, "only the invoice with an early-payment discount gets the line")
        text = " ".join(rows[0].text_content().split())
        self.assertIn("980.00", text)
        self.assertIn(self.invoice_epd.name, text)
        self.assertIn(format_date(self.env, date(2026, 3, 12), lang_code="en_US"), text)
        self.assertNotIn(self.invoice_net.name, text)

    def test_discount_not_stated_once_expired(self):
        self.assertEqual(self._run(date(2026, 3, 13))["queued"], 1, "pre-due reminder after the discount date")
        self.assertFalse(self._reminder().xpath("//tr[contains(@class, 'o_collection_epd')]"))

    def test_discount_not_stated_after_a_partial_payment(self):
        with freeze_time("2026-03-03 10:00:00"):
            self._pay(self.invoice_epd, amount=100.0, date=date(2026, 3, 3))
        self.assertEqual(self.invoice_epd.payment_state, "partial")
        self._run(date(2026, 3, 7))
        self.assertFalse(
            self._reminder().xpath("//tr[contains(@class, 'o_collection_epd')]"),
            "Odoo grants the early-payment discount only on a single full payment",
        )

    def test_reminder_letter_states_the_discount(self):
        self._run(date(2026, 3, 7))
        case = self._case(self.customer)
        content, _type = (
            self.env["ir.actions.report"]
            .with_context(collection_date=fields.Date.to_date("2026-03-07"))
            ._render_qweb_html("account_collections.action_report_collection_letter", case.ids)
        )
        tree = lxml_html.fromstring(content)
        rows = tree.xpath("//tr[contains(@class, 'o_collection_epd')]")
        self.assertEqual(len(rows), 1)
        self.assertIn("980.00", rows[0].text_content())
        self.assertIn("03/12/2026", rows[0].text_content())


@tagged("post_install", "-at_install")
class TestEarlyPaymentPortal(EarlyPaymentCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.env["res.partner"])
        cls.invoice_epd = cls._term_invoice(cls.customer, cls.term_epd, 1000.0, today - timedelta(days=2))
        cls.invoice_net = cls._term_invoice(cls.customer, cls.term_net, 500.0, today - timedelta(days=2))
        cls.discount_date = today + timedelta(days=8)
        mail_new_test_user(
            cls.env,
            login="portal_echo",
            groups="base.group_portal",
            partner_id=cls.customer.id,
            company_id=cls.company_data["company"].id,
            company_ids=[Command.set(cls.company_data["company"].ids)],
        )

    def test_portal_shows_discounted_amount_and_date(self):
        self.authenticate("portal_echo", "portal_echo")
        response = self.url_open("/my/collections")
        self.assertEqual(response.status_code, 200)
        tree = lxml_html.fromstring(response.text)
        notes = tree.xpath("//div[contains(@class, 'o_collection_epd')]")
        self.assertEqual(len(notes), 1, "only the invoice with an early-payment discount")
        row = notes[0].xpath("ancestor::tr")[0]
        self.assertIn(self.invoice_epd.name, row.text_content())
        text = " ".join(notes[0].text_content().split())
        self.assertIn("980.00", text)
        self.assertIn(format_date(self.env, self.discount_date, lang_code="en_US"), text)
