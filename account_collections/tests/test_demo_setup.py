"""What the suite sets up by itself so that every action works on a fresh database, and what
its demo data shows after install."""

from unittest import SkipTest

from odoo import Command
from odoo.tests import TransactionCase, tagged

from .common import CollectionsCommon

DEMO_LANGUAGES = ("fr_FR", "de_DE", "es_ES", "nl_NL", "it_IT")


@tagged("post_install", "-at_install")
class TestCompanyDefaults(CollectionsCommon):
    """A company with a chart of accounts, of which nobody touched the collections settings."""

    def test_company_with_a_chart_gets_a_bad_debt_account_and_the_write_off_journal(self):
        company = self.company_data["company"]
        account = company.collection_bad_debt_account_id
        self.assertEqual(account.with_context(lang="en_US").name, "Bad debts written off")
        self.assertEqual(account.account_type, "expense")
        self.assertIn(company, account.company_ids)
        self.assertEqual(company.collection_write_off_journal_id, self.company_data["default_journal_misc"])
        self.assertEqual(company.collection_fee_product_id, self.env.ref("account_collections.product_late_fee"))
        self.assertEqual(
            company.collection_interest_product_id, self.env.ref("account_collections.product_late_interest")
        )
        self.assertEqual(company.external_report_layout_id, self.env.ref("web.external_layout_standard"))

    def test_write_off_wizard_works_without_setting_anything(self):
        customer = self._customer("Lost Cause Ltd")
        invoice = self._invoice(customer, 200, 640.0)
        case = self._case(customer)
        wizard = (
            self.env["collection.write.off.wizard"]
            .with_user(self.collection_manager)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"case_id": case.id, "reason": "The customer went bankrupt"})
        )
        action = wizard.action_confirm()
        write_off = self.env["collection.write.off"].browse(action["res_id"])
        self.assertEqual(write_off.state, "posted")
        self.assertEqual(write_off.move_id.state, "posted")
        self.assertEqual(write_off.move_id.journal_id, self.company_data["default_journal_misc"])
        expense = write_off.move_id.line_ids.filtered(
            lambda line: line.account_id == self.company_data["company"].collection_bad_debt_account_id
        )
        self.assertEqual(expense.debit, 640.0)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual((case.state, case.stage_code), ("closed", "written_off"))

    def test_an_account_of_the_chart_for_bad_debts_is_used_rather_than_a_new_one(self):
        company = self.company_data["company"]
        company.collection_bad_debt_account_id.unlink()  # the one created when the chart was loaded
        self.assertFalse(company.collection_bad_debt_account_id)
        existing = self.env["account.account"].create(
            {
                "name": "Bad debt losses",
                "code": "654100",
                "account_type": "expense",
                "company_ids": [Command.set(company.ids)],
            }
        )
        accounts_before = self.env["account.account"].search_count([])
        company._collection_setup_defaults()
        self.assertEqual(company.collection_bad_debt_account_id, existing)
        company._collection_setup_defaults()
        self.assertEqual(self.env["account.account"].search_count([]), accounts_before, "no account created")

    def test_settings_made_are_kept(self):
        company = self.company_data["company"]
        expense = self.company_data["default_account_expense"]
        company.write({"collection_bad_debt_account_id": expense.id, "collection_fee_product_id": False})
        company._collection_setup_defaults()
        self.assertEqual(company.collection_bad_debt_account_id, expense)
        self.assertEqual(company.collection_fee_product_id, self.env.ref("account_collections.product_late_fee"))

    def test_chart_loaded_later_brings_the_account_and_the_journal(self):
        company = self.env["res.company"].create(
            {"name": "Chartless Trading", "country_id": self.env.ref("base.us").id}
        )
        # products and layout at once; no account without a chart of accounts
        self.assertEqual(company.collection_fee_product_id, self.env.ref("account_collections.product_late_fee"))
        self.assertTrue(company.external_report_layout_id)
        self.assertFalse(company.collection_bad_debt_account_id)
        self.assertFalse(company.collection_write_off_journal_id)

        self.env["account.chart.template"].sudo().try_loading("generic_coa", company=company, install_demo=False)
        account = company.collection_bad_debt_account_id
        self.assertEqual((account.account_type, account.company_ids), ("expense", company))
        journal = company.collection_write_off_journal_id
        self.assertEqual((journal.type, journal.company_id), ("general", company))
        self.assertNotIn(journal, company.currency_exchange_journal_id | company.tax_cash_basis_journal_id)


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """The demo database shows a working desk (skipped on a database without demo data)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref("account_collections.demo_policy_strict", raise_if_not_found=False):
            raise SkipTest("installed without demo data")

    def _case(self, invoice_xmlid):
        return self.env.ref(f"account_collections.{invoice_xmlid}").collection_case_id

    def test_languages_of_the_customers_are_active_and_each_customer_has_a_collector(self):
        active = set(self.env["res.lang"].search([]).mapped("code"))
        self.assertTrue(set(DEMO_LANGUAGES) <= active)
        cases = self.env["collection.case"].search([("company_id", "=", self.env.ref("base.main_company").id)])
        demo_cases = cases.filtered(lambda c: c.partner_id.get_external_id()[c.partner_id.id].startswith("account_"))
        self.assertGreaterEqual(len(demo_cases), 12)
        self.assertTrue(set(DEMO_LANGUAGES) <= set(demo_cases.partner_id.mapped("lang")))
        self.assertGreaterEqual(len(set(demo_cases.partner_id.mapped("tz"))), 8, "customers in many time zones")
        for case in demo_cases:
            self.assertTrue(case.user_id, case.display_name)
            self.assertTrue(case.user_id.has_group("account_collections.group_collection_user"), case.display_name)
        self.assertEqual(len(demo_cases.user_id), 3)

    def test_the_engine_ran_its_log_shows_sent_skipped_calls_and_queued_emails(self):
        events = self.env["collection.event"].search([("company_id", "=", self.env.ref("base.main_company").id)])
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() == "ok":
            letters = events.filtered(lambda e: e.channel == "letter" and e.state == "sent")
            self.assertGreaterEqual(len(letters), 2, "the run's letters were printed")
            self.assertTrue(all(letter.attachment_id for letter in letters))
        emails = events.filtered(lambda e: e.channel == "email" and e.level_id and e.mail_mail_id)
        self.assertGreaterEqual(len(emails), 3, "the run's reminders were dispatched to the mail queue")
        skipped = events.filtered(lambda e: e.state == "skipped")
        self.assertTrue(skipped and all(skipped.mapped("reason")))
        opted_out = self.env.ref("account_collections.demo_partner_alpine_sports")
        self.assertTrue(opted_out.collection_email_opt_out)
        self.assertIn("opt_out", skipped.filtered(lambda e: e.partner_id == opted_out).mapped("reason_code"))
        calls = events.filtered(lambda e: e.channel == "call")
        self.assertTrue(calls and set(calls.mapped("outcome")) >= {"promise", "no_answer"})
        self.assertTrue(all(call.user_id.has_group("account_collections.group_collection_user") for call in calls))

    def test_a_customer_opened_the_pay_link_of_its_reminder(self):
        clicks = self.env["collection.event"].search([("kind", "=", "link_click")])
        self.assertTrue(clicks, "a click on a reminder's tracked link is in the log")
        click = clicks[0]
        self.assertEqual((click.direction, click.channel), ("inbound", "email"))
        self.assertEqual(click.link_event_id.case_id, click.case_id)
        self.assertGreaterEqual(click.link_event_id.link_click_count, 1)
        self.assertTrue(click.link_tracker_id.count, "Odoo's tracker counted it")

    def test_a_promise_was_kept_and_one_broken(self):
        vega = self._case("demo_invoice_vega_retail_2")
        danube = self._case("demo_invoice_danube_hotels_1")
        self.assertEqual(vega.promise_ids.mapped("state"), ["kept"])
        self.assertIn("broken", danube.promise_ids.mapped("state"))
        self.assertTrue(danube.event_ids.filtered(lambda e: e.name.startswith("Promise broken")))

    def test_a_settlement_is_offered_and_an_invoice_contact_is_set(self):
        danube = self._case("demo_invoice_danube_hotels_1")
        settlement = self.env["collection.settlement"].search([("case_id", "=", danube.id)])
        self.assertEqual(settlement.state, "offered")
        self.assertLess(settlement.amount_settled, settlement.amount_due)
        contact = self.env.ref("account_collections.demo_partner_kessler_invoice")
        self.assertEqual(contact.type, "invoice")
        self.assertEqual(contact.commercial_partner_id, self.env.ref("account_collections.demo_partner_kessler_gmbh"))
        # the reminders go to the accounts payable address, as the case form shows
        self.assertEqual(danube.next_reminder_to, '"Danube Hotels Accounts Payable" <szamla@danubehotels.example.com>')

    def test_a_case_was_really_written_off(self):
        case = self._case("demo_invoice_maple_clinic_1")
        self.assertEqual((case.state, case.stage_code), ("closed", "written_off"))
        write_off = self.env["collection.write.off"].search([("case_id", "=", case.id)])
        self.assertEqual(write_off.state, "posted")
        self.assertEqual(write_off.move_id.state, "posted")
        self.assertIn(case.company_id.collection_bad_debt_account_id, write_off.move_id.line_ids.account_id)
        self.assertEqual(self.env.ref("account_collections.demo_invoice_maple_clinic_1").amount_residual, 0.0)

    def test_a_legal_case_with_its_file(self):
        case = self._case("demo_invoice_azure_interior_b2b_1")
        self.assertEqual(case.stage_code, "legal")
        self.assertEqual(case.legal_partner_id, self.env.ref("account_collections.demo_partner_lawyer"))
        self.assertTrue(case.legal_file_id.raw)
        self.assertTrue(case.legal_cost_ids)

    def test_the_demo_company_is_ready_for_every_action(self):
        company = self.env.ref("base.main_company")
        self.assertEqual(company.collection_bad_debt_account_id.account_type, "expense")
        self.assertTrue(company.collection_write_off_journal_id)
        self.assertTrue(company.collection_fee_product_id and company.collection_interest_product_id)
        self.assertTrue(company.external_report_layout_id)

    def test_a_customer_replied_to_a_reminder(self):
        replies = self.env["collection.event"].search(
            [
                ("company_id", "=", self.env.ref("base.main_company").id),
                ("channel", "=", "email"),
                ("direction", "=", "inbound"),
                ("kind", "=", False),
            ]
        )
        self.assertEqual(len(replies), 1, "one customer answered the run's reminder")
        self.assertEqual(replies.partner_id, self.env.ref("account_collections.demo_partner_pacific_print"))
        self.assertEqual(replies.mail_message_id.message_type, "email")
        self.assertEqual(replies.mail_message_id.author_id, replies.partner_id)
        case = replies.case_id
        self.assertEqual(case.pause_reason, "reply")
        self.assertTrue(case.awaiting_reply_since)
        reply_type = self.env.ref("account_collections.mail_activity_type_collection_reply")
        self.assertEqual(case.activity_ids.filtered(lambda a: a.activity_type_id == reply_type).user_id, case.user_id)
