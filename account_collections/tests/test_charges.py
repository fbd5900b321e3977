from datetime import date, timedelta

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CollectionsCommon

DUE = date(2026, 3, 2)


@tagged("post_install", "-at_install")
class TestCharges(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        # the figures below are worked at a 4 % reference rate for the first half of 2026
        cls._setup_eu_charges(cls.company)
        cls.charge_policy = cls.env["collection.policy"].create(
            {
                "name": "Charges",
                "company_id": cls.company.id,
                "level_ids": [
                    (0, 0, cls._level_vals("Fee", 10, create_activity=False, fee_amount=15.0)),
                    (0, 0, cls._level_vals("Interest", 30, create_activity=False, interest=True)),
                    (0, 0, cls._level_vals("More interest", 60, create_activity=False, interest=True)),
                ],
            }
        )
        cls.eur = cls.setup_other_currency("EUR", rates=[("2000-01-01", 1.0)])
        cls.gbp = cls.setup_other_currency("GBP", rates=[("2000-01-01", 1.0)])

    def _invoice_due_on(self, currency, amount, due):
        """A customer of the charges policy with an invoice of ``amount`` due on ``due``."""
        # the engine caches the rates table: what a test wrote to it goes with the test's rollback
        self.addCleanup(self.env.registry.clear_cache)
        customer = self._customer("Charged Customer", tz="UTC")
        customer.with_company(self.company).collection_policy_id = self.charge_policy
        with freeze_time(f"{due - timedelta(days=30)} 10:00:00"):
            invoice = self._invoice(customer, -30, amount, currency=currency)
        self.assertEqual(invoice.invoice_date_due, due)
        return customer, invoice

    def _customer_with_invoice(self, currency, amount):
        customer = self._customer("Charged Customer", tz="UTC")
        customer.with_company(self.company).collection_policy_id = self.charge_policy
        with freeze_time("2026-02-01 10:00:00"):
            invoice = self._invoice(customer, (date(2026, 2, 1) - DUE).days, amount, currency=currency)
        return customer, invoice

    def _run(self, day):
        with freeze_time(f"{day} 10:00:00"):
            self._run_collections(day)

    def _charges(self, customer):
        return self.env["account.move"].search(
            [("partner_id", "=", customer.id), ("collection_is_charge", "=", True)], order="id"
        )

    def test_late_fee_is_a_separate_invoice_linked_to_the_case(self):
        customer, invoice = self._customer_with_invoice(self.company.currency_id, 1000.0)
        self._run(DUE + timedelta(days=10))
        fee = self._charges(customer)
        self.assertEqual(len(fee), 1)
        self.assertEqual((fee.state, fee.amount_total), ("posted", 15.0))
        self.assertEqual(fee.collection_case_id, invoice.collection_case_id)
        self.assertEqual(invoice.amount_total, 1000.0, "the original invoice is never modified")
        self.assertIn(f"Fee: {fee.name} charged", fee.collection_case_id.event_ids.mapped("name"))

    def test_eu_interest_and_fixed_compensation(self):
        customer, invoice = self._customer_with_invoice(self.eur, 1000.0)
        self._run(DUE + timedelta(days=30))
        charge = self._charges(customer)[-1]
        # jumped the fee level; interest: 1000 x 12 % x 30 / 365 = 9.86, plus EUR 40 once
        self.assertEqual(sorted(charge.invoice_line_ids.mapped("price_unit")), [9.86, 40.0])
        self.assertEqual(charge.currency_id, self.eur)
        self.assertEqual(invoice.collection_interest_date, DUE + timedelta(days=30))

    def test_interest_is_never_charged_twice_for_the_same_period(self):
        customer, _invoice = self._customer_with_invoice(self.eur, 1000.0)
        self._run(DUE + timedelta(days=30))
        self._run(DUE + timedelta(days=60))
        second = self._charges(customer)[-1]
        # days 30 to 60 only, and no second compensation: 1000 x 12 % x 30 / 365 = 9.86
        self.assertEqual(second.invoice_line_ids.mapped("price_unit"), [9.86])

    def test_uk_interest_and_compensation_band(self):
        self.company.write({"collection_interest_regime": "uk", "collection_reference_rate": 5.0})
        self.addCleanup(self.env.registry.clear_cache)
        self._set_rate("uk", date(2026, 1, 1), 5.0)
        customer, _invoice = self._customer_with_invoice(self.gbp, 5000.0)
        self._run(DUE + timedelta(days=30))
        charge = self._charges(customer)[-1]
        # 5000 x 13 % x 30 / 365 = 53.42, plus GBP 70 for a debt between 1,000 and 10,000
        self.assertEqual(sorted(charge.invoice_line_ids.mapped("price_unit")), [53.42, 70.0])

    def test_missing_products_fail_the_charge_visibly(self):
        self.company.collection_fee_product_id = False
        customer, invoice = self._customer_with_invoice(self.company.currency_id, 1000.0)
        self._run(DUE + timedelta(days=10))
        self.assertFalse(self._charges(customer))
        failed = invoice.collection_case_id.event_ids.filtered(lambda e: e.state == "failed")
        self.assertIn("Set the late fee and interest products", failed.reason)

    def test_uk_interest_per_rate_period(self):
        """10,000 GBP overdue from 2023-05-01 to 2024-02-15 crosses three UK rate periods (base rate
        on 31 Dec 2022, 30 Jun 2023 and 31 Dec 2023, plus 8 points):

        - 2023-05-01 to 2023-07-01,  61 days at 3.50 + 8 = 11.50 %: 10,000 x 11.50 % x  61 / 365 = 192.19
        - 2023-07-01 to 2024-01-01, 184 days at 5.00 + 8 = 13.00 %: 10,000 x 13.00 % x 184 / 365 = 655.34
        - 2024-01-01 to 2024-02-15,  45 days at 5.25 + 8 = 13.25 %: 10,000 x 13.25 % x  45 / 365 = 163.36

        290 days, 1,010.89 of interest, and GBP 100 of compensation for a debt of 10,000 or more.
        """
        self.company.collection_interest_regime = "uk"
        customer, invoice = self._invoice_due_on(self.gbp, 10000.0, date(2023, 5, 1))
        self._run(date(2024, 2, 15))
        charge = self._charges(customer)[-1]
        interest = charge.invoice_line_ids.filtered(lambda line: line.name.startswith("Interest"))
        self.assertEqual(interest.mapped("price_unit"), [192.19, 655.34, 163.36])
        self.assertEqual(charge.amount_untaxed, 1110.89)
        self.assertIn("(61 days)", interest[0].name)
        self.assertIn("11.50% (reference rate 3.50% + 8.00 points)", interest[0].name)
        self.assertIn("(184 days)", interest[1].name)
        self.assertIn("13.00% (reference rate 5.00% + 8.00 points)", interest[1].name)
        self.assertIn("(45 days)", interest[2].name)
        self.assertIn("13.25% (reference rate 5.25% + 8.00 points)", interest[2].name)
        self.assertEqual(invoice.collection_interest_date, date(2024, 2, 15))

    def test_eu_interest_across_the_rate_change_of_january_2023(self):
        """1,000 EUR overdue from 2022-06-01 to 2023-03-01 under the EU regime (ECB main refinancing
        rate on 1 July 2022: 0.00, on 1 January 2023: 2.50, plus 8 points). Both halves of 2022
        are at 0.00, so they make one rate period:

        - 2022-06-01 to 2023-01-01, 214 days at 0.00 + 8 =  8.00 %: 1,000 x  8.00 % x 214 / 365 = 46.90
        - 2023-01-01 to 2023-03-01,  59 days at 2.50 + 8 = 10.50 %: 1,000 x 10.50 % x  59 / 365 = 16.97

        and EUR 40 of compensation.
        """
        customer, _invoice = self._invoice_due_on(self.eur, 1000.0, date(2022, 6, 1))
        self._run(date(2023, 3, 1))
        charge = self._charges(customer)[-1]
        self.assertEqual(charge.invoice_line_ids.mapped("price_unit"), [46.90, 16.97, 40.0])
        self.assertIn("(214 days)", charge.invoice_line_ids[0].name)
        self.assertIn("(59 days)", charge.invoice_line_ids[1].name)
        self.assertIn("10.50% (reference rate 2.50% + 8.00 points)", charge.invoice_line_ids[1].name)

    def test_a_half_year_missing_from_the_table_takes_the_fallback_rate(self):
        """1,000 EUR overdue from 2026-12-01 to 2027-02-01; the table stops at 2026 (2.15 from 1 July
        2026), the company's fallback reference rate is 4.00:

        - 2026-12-01 to 2027-01-01, 31 days at 2.15 + 8 = 10.15 %: 1,000 x 10.15 % x 31 / 365 = 8.62
        - 2027-01-01 to 2027-02-01, 31 days at 4.00 + 8 = 12.00 %: 1,000 x 12.00 % x 31 / 365 = 10.19
        """
        self.env["collection.reference.rate"].search([("date_from", ">=", date(2027, 1, 1))]).unlink()
        self._set_rate("eu", date(2026, 7, 1), 2.15)
        customer, _invoice = self._invoice_due_on(self.eur, 1000.0, date(2026, 12, 1))
        self._run(date(2027, 2, 1))
        charge = self._charges(customer)[-1]
        self.assertEqual(charge.invoice_line_ids.mapped("price_unit"), [8.62, 10.19, 40.0])
        self.assertIn("12.00% (reference rate 4.00% + 8.00 points)", charge.invoice_line_ids[1].name)

    def test_no_rate_and_no_fallback_fails_the_charge_visibly(self):
        self.env["collection.reference.rate"].search([("date_from", ">=", date(2027, 1, 1))]).unlink()
        self.company.collection_reference_rate = 0.0
        customer, invoice = self._invoice_due_on(self.eur, 1000.0, date(2026, 12, 1))
        self._run(date(2027, 2, 1))
        self.assertFalse(self._charges(customer), "no charge is invoiced with a rate made up")
        failed = invoice.collection_case_id.event_ids.filtered(lambda e: e.state == "failed")
        self.assertIn("No reference rate for the half-year from 01/01/2027 (EU late payment directive)", failed.reason)
        self.assertFalse(invoice.collection_interest_date, "the period stays to be charged once the rate is added")


@tagged("post_install", "-at_install")
class TestReferenceRates(CollectionsCommon):
    def test_shipped_rates_are_those_in_force_at_each_half_year(self):
        rate = self.env.ref
        self.assertEqual(rate("account_collections.reference_rate_eu_2022_07").rate, 0.0, "ECB hike of 27 July 2022")
        self.assertEqual(rate("account_collections.reference_rate_eu_2023_01").rate, 2.5)
        self.assertEqual(rate("account_collections.reference_rate_eu_2024_07").rate, 4.25)
        self.assertEqual(rate("account_collections.reference_rate_uk_2020_07").rate, 0.1, "base rate on 30 June 2020")
        self.assertEqual(rate("account_collections.reference_rate_uk_2023_01").rate, 3.5, "on 31 December 2022")
        Rate = self.env["collection.reference.rate"]
        for regime in ("eu", "uk"):
            shipped = Rate.search([("regime", "=", regime), ("date_from", "<", date(2026, 7, 1))])
            self.assertEqual(len(shipped), 15, f"{regime}: every half-year from 2019 to the first of 2026")
        self.assertEqual(
            Rate._fields["regime"].selection,
            self.env["res.company"]._fields["collection_interest_regime"].selection,
        )

    def test_a_rate_starts_a_half_year_and_holds_one_per_regime(self):
        Rate = self.env["collection.reference.rate"]
        with self.assertRaisesRegex(ValidationError, "must start a half-year"):
            Rate.create({"regime": "eu", "date_from": date(2027, 3, 1), "rate": 2.0})
        with self.assertRaisesRegex(IntegrityError, "regime_date_uniq"), mute_logger("odoo.sql_db"):
            Rate.create({"regime": "eu", "date_from": date(2023, 1, 1), "rate": 2.0})

    def test_managers_add_rates_users_read_them(self):
        Rate = self.env["collection.reference.rate"]
        self.assertTrue(Rate.with_user(self.collector).search([("regime", "=", "uk")]))
        with self.assertRaises(AccessError):
            Rate.with_user(self.collector).create({"regime": "uk", "date_from": date(2027, 1, 1), "rate": 3.0})
        self.addCleanup(self.env.registry.clear_cache)
        manager = Rate.with_user(self.collection_manager)
        added = manager.create({"regime": "uk", "date_from": date(2027, 1, 1), "rate": 3.0})
        self.assertEqual(Rate._rates_by_half_year("uk")[date(2027, 1, 1)], 3.0, "the engine sees the new rate")
        added.with_user(self.collection_manager).rate = 3.25
        self.assertEqual(Rate._rates_by_half_year("uk")[date(2027, 1, 1)], 3.25)

    def test_segments_cut_at_each_half_year_where_the_rate_changes(self):
        company = self.company_data["company"]
        company.write({"collection_interest_regime": "uk", "collection_reference_rate": 0.0})
        segments = self.env["collection.reference.rate"]._segments(company, date(2023, 5, 1), date(2024, 2, 15))
        self.assertEqual(
            segments,
            [
                (date(2023, 5, 1), date(2023, 7, 1), 3.5),
                (date(2023, 7, 1), date(2024, 1, 1), 5.0),
                (date(2024, 1, 1), date(2024, 2, 15), 5.25),
            ],
        )
        # 5.25 all 2024: one period across 1 July 2024
        segments = self.env["collection.reference.rate"]._segments(company, date(2024, 3, 1), date(2024, 9, 1))
        self.assertEqual(segments, [(date(2024, 3, 1), date(2024, 9, 1), 5.25)])
