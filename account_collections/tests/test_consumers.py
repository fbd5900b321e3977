"""Consumers (individuals, or customers with a consumer tag of the company) and businesses:
statutory interest and the fixed compensation for businesses only unless the company opts in,
and a call limit per debt for consumers (by default 7 call attempts in 7 days, none in the
7 days after a conversation)."""

from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CollectionsCommon

DUE = date(2026, 3, 2)  # a Monday
DAY = DUE + timedelta(days=10)


@tagged("post_install", "-at_install")
class TestConsumers(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        # the interest below is worked at a 4 % reference rate for the first half of 2026
        cls._setup_eu_charges(cls.company)
        cls.charges = cls.env["collection.policy"].create(
            {
                "name": "Charges",
                "company_id": cls.company.id,
                "level_ids": [
                    (
                        0,
                        0,
                        cls._level_vals("Fee and interest", 30, create_activity=False, fee_amount=15.0, interest=True),
                    )
                ],
            }
        )
        cls.calls = cls.env["collection.policy"].create(
            {"name": "Calls", "company_id": cls.company.id, "level_ids": [(0, 0, cls._level_vals("Call", 10))]}
        )
        cls.eur = cls.setup_other_currency("EUR", rates=[("2000-01-01", 1.0)])
        cls.b2c = cls.env["res.partner.category"].create({"name": "Retail customer"})

    def _debtor(self, name, policy, is_company=True, currency=None, **vals):
        partner = self.env["res.partner"].create({"name": name, "is_company": is_company, "tz": "UTC", **vals})
        partner.with_company(self.company).collection_policy_id = policy
        with freeze_time("2026-02-01 10:00:00"):
            self._invoice(partner, (date(2026, 2, 1) - DUE).days, 1000.0, currency=currency or self.eur)
        opened = DUE + timedelta(days=1)
        with freeze_time(f"{opened} 10:00:00"):
            self.env["collection.case"].with_context(collection_date=opened).refresh_cases()
        return partner

    def _run(self, day):
        with freeze_time(f"{day} 10:00:00"):
            self._run_collections(day)

    def _charge_lines(self, partner):
        charge = self.env["account.move"].search([("partner_id", "=", partner.id), ("collection_is_charge", "=", True)])
        return sorted(charge.invoice_line_ids.mapped("price_unit"))

    # ------------------------------------------------------------------ interest and compensation
    def test_a_business_pays_interest_and_compensation_a_consumer_only_the_fee(self):
        business = self._debtor("Mike Traders", self.charges)
        consumer = self._debtor("November Smith", self.charges, is_company=False)
        tagged_consumer = self._debtor("Oscar Household", self.charges, category_id=[(6, 0, self.b2c.ids)])
        self.company.collection_consumer_category_ids = self.b2c
        self._run(DUE + timedelta(days=30))
        # 1000 x 12 % x 30 / 365 = 9.86, plus EUR 40 once, plus the level's fee
        self.assertEqual(self._charge_lines(business), [9.86, 15.0, 40.0])
        self.assertEqual(self._charge_lines(consumer), [15.0], "an individual: the fee only")
        self.assertEqual(self._charge_lines(tagged_consumer), [15.0], "a company with a consumer tag: the fee only")

    def test_consumers_pay_interest_when_the_company_opts_in(self):
        self.company.collection_consumer_interest = True
        consumer = self._debtor("Papa Smith", self.charges, is_company=False)
        self._run(DUE + timedelta(days=30))
        self.assertEqual(self._charge_lines(consumer), [9.86, 15.0, 40.0])

    # ------------------------------------------------------------------ logged calls
    def _log(self, partner, when, outcome="no_answer", direction="outbound"):
        with freeze_time(when):
            return self._case(partner).with_user(self.collector).action_log_call(outcome, direction=direction)

    def test_seven_call_attempts_in_seven_days_per_consumer_debt(self):
        consumer = self._debtor("Quebec Smith", self.calls, is_company=False)
        business = self._debtor("Romeo Traders", self.calls)
        for n in range(7):
            self._log(consumer, f"{DAY} {9 + n}:00:00")
            self._log(business, f"{DAY} {9 + n}:00:00")
        case = self._case(consumer)
        with self.assertRaisesRegex(UserError, f"Cannot log a call on {case.display_name}: call limit reached: 7 call"):
            self._log(consumer, f"{DAY + timedelta(days=6)} 20:00:00")
        self._log(business, f"{DAY} 18:00:00")  # a business: no limit
        self._log(consumer, f"{DAY + timedelta(days=1)} 12:00:00", direction="inbound")  # the customer calls
        self._log(consumer, f"{DAY + timedelta(days=7)} 09:30:00")  # the first attempt is 7 days old
        self.assertEqual(len(case.event_ids.filtered(lambda e: e.channel == "call")), 9)

    def test_no_call_in_the_seven_days_after_a_conversation(self):
        consumer = self._debtor("Sierra Smith", self.calls, is_company=False)
        self._log(consumer, f"{DAY} 10:00:00", outcome="reached")
        case = self._case(consumer)
        with self.assertRaisesRegex(UserError, f"{case.display_name}: a conversation with the consumer on {DAY}"):
            self._log(consumer, f"{DAY + timedelta(days=6)} 10:00:00")
        self._log(consumer, f"{DAY + timedelta(days=3)} 10:00:00", direction="inbound")  # they may call us
        self.company.collection_call_pause_days = 2
        self._log(consumer, f"{DAY + timedelta(days=6)} 10:00:00", outcome="no_answer")

    # ------------------------------------------------------------------ the engine's call activity
    def test_the_engine_schedules_no_call_that_would_break_the_limit(self):
        consumer = self._debtor("Tango Smith", self.calls, is_company=False)
        business = self._debtor("Uniform Traders", self.calls)
        for partner in (consumer, business):
            self._log(partner, f"{DAY - timedelta(days=2)} 10:00:00", outcome="refused")
        self._run(DAY)
        case = self._case(consumer)
        self.assertEqual(case.level_id.name, "Call", "the level ran")
        self.assertFalse(case.activity_ids, "no call activity within 7 days of the conversation")
        skip = case.event_ids.filtered(lambda e: e.reason_code == "call_limit")
        self.assertEqual((skip.state, skip.channel), ("skipped", "call"))
        self.assertIn("a conversation with the consumer on", skip.reason)
        self.assertEqual(self._case(business).activity_ids.activity_type_id, self.activity_call, "a business")

    def test_the_engine_schedules_calls_within_the_attempts_allowed(self):
        self.company.write({"collection_call_max_attempts": 2, "collection_call_period_days": 3})
        consumer = self._debtor("Victor Smith", self.calls, is_company=False)
        self._log(consumer, f"{DAY - timedelta(days=1)} 10:00:00")
        self._log(consumer, f"{DAY - timedelta(days=1)} 11:00:00")
        self._run(DAY)
        case = self._case(consumer)
        self.assertFalse(case.activity_ids)
        self.assertIn("2 call attempts on this debt in 3 days", case.event_ids.filtered("reason_code").reason)
