from datetime import date, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import CollectionsCommon

DUE = date(2026, 3, 2)


@tagged("post_install", "-at_install")
class TestCharges(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.write(
            {
                "collection_fee_product_id": cls.env.ref("account_collections.product_late_fee").id,
                "collection_interest_product_id": cls.env.ref("account_collections.product_late_interest").id,
                "collection_reference_rate": 4.0,
                "collection_interest_margin": 8.0,
                "collection_interest_regime": "eu",
            }
        )
        cls.company.partner_id.tz = "UTC"
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
