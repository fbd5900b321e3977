from datetime import date, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import MockEmail, mail_new_test_user

from .common import CollectionsCommon

DUE = date(2026, 3, 2)  # a Monday
DAY = DUE + timedelta(days=10)  # the first level's day


@tagged("post_install", "-at_install")
class TestRecipients(CollectionsCommon, MockEmail):
    """Who receives a reminder: the collections contact, else the invoice addresses, else the
    customer; the copies the level asks for; one reminder per customer and company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        company.partner_id.tz = "UTC"
        cls.policy = cls._email_policy("Recipients policy", [("First", 10), ("Second", 30)])
        cls.first, cls.second = cls.policy.level_ids.sorted("delay_days")
        cls.customer = cls._customer("Golf Traders", email="office@golf.example.com", tz="UTC")
        cls.customer.with_company(company).collection_policy_id = cls.policy
        cls.billing = cls.env["res.partner"].create(
            {"name": "Golf Billing", "type": "invoice", "parent_id": cls.customer.id, "email": "ap@golf.example.com"}
        )
        cls.controller = cls.env["res.partner"].create(
            {"name": "Gina Controller", "parent_id": cls.customer.id, "email": "gina@golf.example.com"}
        )
        cls.salesperson = mail_new_test_user(
            cls.env,
            login="salesperson",
            name="Sam Sales",
            email="sam@company.example.com",
            groups="base.group_user",
            company_id=company.id,
        )

    def _invoice_on(self, partner, amount, currency=None, due=DUE):
        with freeze_time(f"{due} 09:00:00"):
            invoice = self._invoice(partner, 0, amount, currency=currency, post=False)
            invoice.invoice_user_id = self.salesperson
            invoice.action_post()
        return invoice

    def _run_on(self, day=DAY):
        with freeze_time(f"{day} 10:00:00"):
            return self._run_collections(day)

    def _email_events(self, partner=None):
        return self.env["collection.event"].search(
            [("partner_id", "=", (partner or self.customer).id), ("channel", "=", "email")]
        )

    def test_the_invoice_address_receives_the_reminder(self):
        invoice = self._invoice_on(self.customer, 500.0)
        with freeze_time(f"{DAY} 10:00:00"):
            self.env["collection.case"].with_context(collection_date=DAY).refresh_cases()
            case = self._case(self.customer).with_context(collection_date=DAY)
            self.assertEqual(case.next_reminder_to, '"Golf Billing" <ap@golf.example.com>', "shown on the case")
            self.assertFalse(case.next_reminder_cc)
        self._run_on()
        event = self._email_events()
        self.assertEqual((event.state, event.email_to), ("queued", '"Golf Billing" <ap@golf.example.com>'))
        mail = event.mail_mail_id
        self.assertEqual(mail.recipient_ids, self.billing, "the invoice contact, not the company address")
        self.assertIn(invoice.name, mail.body_html)
        with self.mock_mail_gateway():
            mail.send()
        self.assertSentEmail(mail.email_from, [self.billing])
        self.assertEqual(event.state, "sent")

    def test_without_an_invoice_address_the_customer_receives_it(self):
        self.billing.type = "contact"
        self._invoice_on(self.customer, 500.0)
        self._run_on()
        event = self._email_events()
        self.assertEqual(event.mail_mail_id.recipient_ids, self.customer)
        self.assertEqual(event.email_to, '"Golf Traders" <office@golf.example.com>')

    def test_the_collections_contact_overrides_the_invoice_addresses(self):
        self.customer.collection_contact_id = self.controller
        self._invoice_on(self.customer, 500.0)
        self._run_on()
        event = self._email_events()
        self.assertEqual(event.mail_mail_id.recipient_ids, self.controller)
        self.assertEqual(event.email_to, '"Gina Controller" <gina@golf.example.com>')

    def test_the_collections_contact_is_a_contact_of_the_customer_with_an_email(self):
        stranger = self._customer("Hotel Stranger", email="desk@stranger.example.com")
        with self.assertRaisesRegex(ValidationError, "must be one of its contacts"):
            self.customer.collection_contact_id = stranger
        self.controller.email = False
        with self.assertRaisesRegex(ValidationError, "has no email address"):
            self.customer.collection_contact_id = self.controller

    def test_bounced_and_blacklisted_addresses_fall_to_the_next(self):
        self.customer.collection_contact_id = self.controller
        self.controller.message_bounce = 3
        self._invoice_on(self.customer, 500.0)
        with freeze_time(f"{DAY} 10:00:00"):
            self.env["collection.case"].with_context(collection_date=DAY).refresh_cases()
        case = self._case(self.customer)
        self.assertEqual(case.next_reminder_to, '"Golf Billing" <ap@golf.example.com>', "bounced: next in line")
        self.env["mail.blacklist"].create({"email": "ap@golf.example.com"})
        case.invalidate_recordset(["next_reminder_to"])
        self.assertEqual(case.next_reminder_to, '"Golf Traders" <office@golf.example.com>', "blacklisted: next")
        self.customer.message_bounce = 1
        case.invalidate_recordset(["next_reminder_to"])
        self.assertFalse(case.next_reminder_to)
        self.first.send_letter = True
        self._run_on()
        email = self._email_events()
        self.assertEqual((email.state, email.reason_code), ("skipped", "bounced"), "the last address left bounced")
        self.assertIn("office@golf.example.com", email.reason)
        self.assertFalse(email.mail_mail_id)
        letter = self.env["collection.event"].search([("case_id", "=", case.id), ("channel", "=", "letter")])
        self.assertEqual(letter.state, "queued", "the level's letter still goes")

    def test_an_address_that_bounced_before_the_dispatch_is_not_used(self):
        self._invoice_on(self.customer, 500.0)
        with freeze_time(f"{DAY} 10:00:00"):
            self.env["collection.case"].run_collections(date=str(DAY))
            event = self._email_events()
            self.assertEqual((event.state, event.email_to), ("queued", '"Golf Billing" <ap@golf.example.com>'))
            self.billing.message_bounce = 1
            self.env["collection.event"].sudo()._dispatch_emails()
        self.assertEqual(event.mail_mail_id.recipient_ids, self.customer, "resolved again when rendered")
        self.assertEqual(event.email_to, '"Golf Traders" <office@golf.example.com>', "the log says who it went to")
        self.customer.message_bounce = 1
        self.first.copy({"name": "Third", "delay_days": 20})
        self._run_on(DUE + timedelta(days=20))
        skipped = self._email_events() - event
        self.assertEqual((skipped.state, skipped.reason_code), ("skipped", "bounced"))

    def test_the_level_copies_the_salesperson_and_the_collector(self):
        self.first.write({"cc_salesperson": True, "cc_collector": True})
        self.customer.with_company(self.company_data["company"]).collection_user_id = self.collector
        self.collector.email = "colette@company.example.com"
        self._invoice_on(self.customer, 500.0)
        self._run_on()
        event = self._email_events()
        expected_cc = '"Sam Sales" <sam@company.example.com>, "Colette Collector" <colette@company.example.com>'
        self.assertEqual(event.email_cc, expected_cc, "every address used is on the log")
        mail = event.mail_mail_id
        self.assertEqual(mail.recipient_ids, self.billing, "the copies are not recipients")
        self.assertEqual(mail.email_cc, expected_cc)
        with self.mock_mail_gateway():
            mail.send()
        self.assertEqual(
            self._mails[0]["email_cc"],
            ['"Sam Sales" <sam@company.example.com>', '"Colette Collector" <colette@company.example.com>'],
            "copied on the email that went out",
        )

    def test_a_level_without_copies_copies_nobody(self):
        self.customer.with_company(self.company_data["company"]).collection_user_id = self.collector
        self._invoice_on(self.customer, 500.0)
        self._run_on()
        self.assertFalse(self._email_events().email_cc)
        self.assertFalse(self._email_events().mail_mail_id.email_cc)

    def _two_currencies(self):
        usd = self.company_data["company"].currency_id
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        older = self._invoice_on(self.customer, 700.0, currency=eur, due=DUE - timedelta(days=20))
        newer = self._invoice_on(self.customer, 300.0, currency=usd)
        return older, newer

    def test_two_currencies_get_one_reminder_with_both_totals(self):
        older, newer = self._two_currencies()
        counts = self._run_on()
        self.assertEqual(counts["cases"], 2)
        events = self._email_events()
        self.assertEqual(len(events), 2, "each case logs the reminder")
        self.assertEqual(set(events.mapped("state")), {"queued"})
        mail = events.mail_mail_id
        self.assertEqual(len(mail), 1, "one email for the customer")
        self.assertEqual(events.mail_message_id, mail.mail_message_id)
        self.assertEqual(set(events.mapped("email_to")), {'"Golf Billing" <ap@golf.example.com>'})
        eur_case = self._case(self.customer).filtered(lambda c: c.currency_id == older.currency_id)
        self.assertEqual(mail.res_id, eur_case.id, "sent on the most overdue case")
        self.assertEqual(set(events.level_id.mapped("name")), {"Second"}, "at the most overdue case's level")
        for invoice in older | newer:
            self.assertIn(invoice.name, mail.body_html)
        self.assertIn("Total due (EUR)", mail.body_html)
        self.assertIn("Total due (USD)", mail.body_html)
        cases = self._case(self.customer)
        self.assertEqual(
            {case.currency_id.name: case.level_id.name for case in cases},
            {"EUR": "Second", "USD": "First"},
            "each case's levels advance as without the grouping",
        )

    def test_one_reminder_for_two_currencies_is_one_contact_for_the_weekly_cap(self):
        self._two_currencies()
        self._run_on()
        cases = self._case(self.customer)
        with freeze_time(f"{DAY} 11:00:00"):
            Engine = self.env["collection.engine"].sudo()
            counts = Engine._recent_contact_counts(cases, fields.Datetime.now())
            self.assertEqual(counts, {self.customer.id: 1}, "two events, one email")
            self.company_data["company"].collection_weekly_cap = 1
            deferred = Engine._contact_guards(cases, fields.Datetime.now(), DAY)
        self.assertEqual({code for _reason, _retry, code in deferred.values()}, {"cap"})

    def test_a_template_written_for_one_case_sends_one_email_per_case(self):
        template = self.first.mail_template_id.copy()
        template.body_html = "<p>Dear <t t-out='object.partner_id.name'/>, you owe <t t-out='object.amount_due'/>.</p>"
        self.policy.level_ids.mail_template_id = template
        self._two_currencies()
        self._run_on()
        events = self._email_events()
        self.assertEqual(len(events), 2)
        self.assertEqual(len(events.mail_mail_id), 2, "each email says only its own case")
        self.assertEqual(events.mail_mail_id.mapped("res_id"), events.case_id.ids)

    def test_a_case_reminded_today_with_its_customers_other_case_is_not_reminded_again(self):
        _older, newer = self._two_currencies()
        self._run_on()
        usd_case = self._case(self.customer).filtered(lambda c: c.currency_id == newer.currency_id)
        self.assertEqual(usd_case.next_level_id, self.second)
        with freeze_time(f"{DAY} 11:00:00"):
            usd_case.with_user(self.collector).action_send_next_reminder()
        self.assertEqual(usd_case.level_id, self.second, "the level runs")
        events = self._email_events().filtered(lambda e: e.case_id == usd_case)
        self.assertEqual(len(events.mail_mail_id), 1, "no second email at the same level the same day")
        skipped = events.filtered(lambda e: e.state == "skipped")
        self.assertEqual((skipped.reason_code, skipped.level_id), ("reminded", self.second))

    def test_one_case_keeps_its_single_total(self):
        self._invoice_on(self.customer, 300.0)
        self._run_on()
        body = self._email_events().mail_mail_id.body_html
        self.assertIn("Total due<", body)
        self.assertNotIn("Total due (", body)

    def test_other_companies_and_customers_get_their_own_reminders(self):
        other = self._customer("Hotel Kilo", email="ap@kilo.example.com", tz="UTC")
        other.with_company(self.company_data["company"]).collection_policy_id = self.policy
        self._invoice_on(self.customer, 300.0)
        self._invoice_on(other, 200.0)
        self._run_on()
        mails = (self._email_events() | self._email_events(other)).mail_mail_id
        self.assertEqual(len(mails), 2)

    def test_batches_keep_a_customers_cases_together_without_growing_past_the_size(self):
        self.env["ir.config_parameter"].sudo().set_param("account_collections.batch_size", "3")
        together = {1: "a", 2: "a", 3: "b", 4: "b", 5: "c", 6: "d", 7: "d", 8: "d", 9: "d", 10: "e"}
        batches = list(self.env["collection.engine"]._split_batches(list(together), together))
        self.assertEqual(batches, [[1, 2], [3, 4, 5], [6, 7, 8, 9], [10]])

    def test_a_customers_cases_stay_in_one_batch(self):
        # a batch of one case: the customer's two cases, with another customer's case between
        # them by id, still go out as one reminder
        self.env["ir.config_parameter"].sudo().set_param("account_collections.batch_size", "1")
        other = self._customer("Hotel Kilo", email="ap@kilo.example.com", tz="UTC")
        other.with_company(self.company_data["company"]).collection_policy_id = self.policy
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        with freeze_time(f"{DAY} 09:00:00"):
            self._invoice_on(self.customer, 300.0)
            self.env["collection.case"].with_context(collection_date=DAY).refresh_cases()
            self._invoice_on(other, 200.0)
            self.env["collection.case"].with_context(collection_date=DAY).refresh_cases()
            self._invoice_on(self.customer, 700.0, currency=eur)
            self.env["collection.case"].with_context(collection_date=DAY).refresh_cases()
        cases = self._case(self.customer)
        self.assertEqual(len(cases), 2)
        self.assertGreater(max(cases.ids), self._case(other).id, "the other customer's case lies between")
        self._run_on()
        events = self._email_events()
        self.assertEqual(len(events), 2)
        self.assertEqual(len(events.mail_mail_id), 1)
        self.assertEqual(len(self._email_events(other).mail_mail_id), 1)

    def test_recipients_are_resolved_for_the_batch_at_once(self):
        """The recipients of a batch in a bounded number of queries, however many customers it has."""
        self.first.write({"cc_salesperson": True, "cc_collector": True})
        company = self.company_data["company"]

        def batch_queries(prefix, count):
            customers = self.env["res.partner"]
            for index in range(count):
                customer = self._customer(f"{prefix} {index}", email=f"{prefix}{index}@example.com", tz="UTC")
                customer.with_company(company).collection_policy_id = self.policy
                self.env["res.partner"].create(
                    {"name": "AP", "type": "invoice", "parent_id": customer.id, "email": f"ap{prefix}{index}@x.example"}
                )
                self._invoice_on(customer, 100.0)
                customers |= customer
            with freeze_time(f"{DAY} 10:00:00"):
                Case = self.env["collection.case"].sudo().with_context(collection_date=DAY)
                Case.refresh_cases()
                cases = Case.search([("partner_id", "in", customers.ids), ("state", "=", "open")])
                Engine = self.env["collection.engine"].sudo().with_context(collection_date=DAY)
                run = Engine._new_run(DAY, company)
                self.env.flush_all()
                self.env.invalidate_all()
                before = self.env.cr.sql_log_count
                Engine._run_batch(run, cases.ids)
                self.env.flush_all()
                queries = self.env.cr.sql_log_count - before
            self.assertEqual(run.counts["queued"], count)
            return queries

        few = batch_queries("few", 2)
        many = batch_queries("many", 8)
        self.assertLessEqual(many, few + 2, f"{few} queries for 2 customers, {many} for 8")
