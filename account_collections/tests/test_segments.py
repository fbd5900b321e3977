from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestSegments(CollectionsCommon):
    """Policies assigned by who the customers are (tags, country, consumer or business, overdue
    amount) as well as by risk, in rule order; and invoices with a policy of their own, collected
    in a case of their own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.vip = cls.env["res.partner.category"].create({"name": "VIP"})
        cls.belgium = cls.env.ref("base.be")
        # every customer owes one invoice, 20 days overdue
        cls.vera = cls._customer("Vera Key Account", category_id=[Command.set(cls.vip.ids)])
        cls._invoice(cls.vera, 20, 5000.0)
        cls.bob = cls.env["res.partner"].create({"name": "Bob Private", "is_company": False})
        cls._invoice(cls.bob, 20, 300.0)
        cls.acme = cls._customer("Acme Brussels", country_id=cls.belgium.id)
        cls.acme_invoice = cls._invoice(cls.acme, 20, 800.0)
        cls.dave = cls._customer("Dave Trading")
        cls._invoice(cls.dave, 20, 900.0)
        cls.erin = cls._customer("Erin Industries")
        cls._invoice(cls.erin, 20, 2000.0)
        cls.customers = cls.vera | cls.bob | cls.acme | cls.dave | cls.erin

    @classmethod
    def _rule(cls, name, order, **criteria):
        return cls.env["collection.policy"].create(
            {
                "name": name,
                "company_id": cls.company.id,
                "assign_sequence": order,
                "level_ids": [Command.create(cls._level_vals(f"{name} call", 5))],
                **criteria,
            }
        )

    def _assign(self):
        return self.env["res.partner"]._assign_collection_policies(self.customers.ids, self.company, self.today)

    def _policy_of(self, partner):
        return partner.with_company(self.company).collection_policy_id

    # ------------------------------------------------------------------ the rules
    def test_each_criterion(self):
        by_tag = self._rule("Key accounts", 1, assign_category_ids=[Command.set(self.vip.ids)])
        consumers = self._rule("Consumers", 2, assign_customer_kind="consumer")
        by_country = self._rule("Belgium", 3, assign_country_ids=[Command.set(self.belgium.ids)])
        by_amount = self._rule(
            "Mid-size debts", 4, assign_customer_kind="business", assign_overdue_min=100.0, assign_overdue_max=1000.0
        )
        self.assertTrue(all((by_tag | consumers | by_country | by_amount).mapped("assign_rule")))
        self.assertEqual(self._assign(), 4)
        self.assertEqual(self._policy_of(self.vera), by_tag)
        self.assertEqual(self._policy_of(self.bob), consumers, "an individual is a consumer")
        self.assertEqual(self._policy_of(self.acme), by_country)
        self.assertEqual(self._policy_of(self.dave), by_amount, "900 overdue is in the band 100-1,000")
        self.assertFalse(self._policy_of(self.erin), "2,000 overdue: no rule, the company default")
        self.assertFalse(self.vera.with_company(self.company).collection_policy_manual, "set by the rules")
        self.assertEqual(self._case(self.dave).policy_id, by_amount, "the open case follows the new policy")

    def test_consumer_tag_of_the_company(self):
        private = self.env["res.partner.category"].create({"name": "Private client"})
        self.company.collection_consumer_category_ids = [Command.set(private.ids)]
        businesses = self._rule("Businesses", 1, assign_customer_kind="business")
        consumers = self._rule("Consumers", 2, assign_customer_kind="consumer")
        self.erin.category_id = [Command.link(private.id)]
        self._assign()
        self.assertEqual(self._policy_of(self.erin), consumers, "a company with a consumer tag is a consumer")
        self.assertEqual(self._policy_of(self.bob), consumers)
        self.assertEqual(self._policy_of(self.dave), businesses)

    def test_first_match_wins_in_order(self):
        large = self._rule("Large debts", 5, assign_overdue_min=1000.0)
        key = self._rule("Key accounts", 6, assign_category_ids=[Command.set(self.vip.ids)])
        # every criterion set must match: Vera is VIP but not in Belgium
        self._rule(
            "Belgian key accounts",
            1,
            assign_category_ids=[Command.set(self.vip.ids)],
            assign_country_ids=[Command.set(self.belgium.ids)],
        )
        self._assign()
        self.assertEqual(self._policy_of(self.vera), large, "both rules match: the first in order wins")
        self.assertEqual(self._policy_of(self.erin), large)
        key.assign_sequence = 2
        self._assign()
        self.assertEqual(self._policy_of(self.vera), key, "reordered: the key account rule comes first")
        self.assertEqual(self._policy_of(self.erin), large)
        self.assertIn("Key accounts", self.vera.message_ids[0].body)

    def test_risk_band_and_segment_combine(self):
        self.env["res.partner"]._recompute_collection_behaviour(self.company, self.today)
        # no payment history, 20 days overdue: 10 x 20 / 90 = 2
        self.assertEqual(self.acme.risk_score, 2)
        risky_belgians = self._rule(
            "Risky Belgians",
            1,
            risk_auto_assign=True,
            risk_score_min=50,
            assign_country_ids=[Command.set(self.belgium.ids)],
        )
        safe_businesses = self._rule(
            "Safe businesses", 2, risk_auto_assign=True, risk_score_max=10, assign_customer_kind="business"
        )
        self._assign()
        self.assertEqual(self._policy_of(self.acme), safe_businesses, "in Belgium but not in the risk band")
        risky_belgians.risk_score_min = 0
        self._assign()
        self.assertEqual(self._policy_of(self.acme), risky_belgians)
        self.assertIn("risk score 2 (band 0-100)", self.acme.message_ids[0].body)

    def test_hand_set_policy_wins(self):
        by_country = self._rule("Belgium", 1, assign_country_ids=[Command.set(self.belgium.ids)])
        self.acme.with_company(self.company).write({"collection_policy_id": self.policy.id})
        self.assertTrue(self.acme.with_company(self.company).collection_policy_manual)
        self._assign()
        self.assertEqual(self._policy_of(self.acme), self.policy, "chosen by hand: the rules leave it")
        # even a rule's policy chosen by hand stays when the customer no longer matches it
        self.dave.with_company(self.company).write({"collection_policy_id": by_country.id})
        self._assign()
        self.assertEqual(self._policy_of(self.dave), by_country)
        # clearing the policy by hand hands the customer back to the rules
        self.acme.with_company(self.company).write({"collection_policy_id": False})
        self._assign()
        self.assertEqual(self._policy_of(self.acme), by_country)

    def test_daily_run_applies_and_logs(self):
        key = self._rule("Key accounts", 1, assign_category_ids=[Command.set(self.vip.ids)])
        self._run_collections(self.today)
        self.assertEqual(self._policy_of(self.vera), key)
        case = self._case(self.vera)
        self.assertEqual(case.policy_id, key)
        self.assertIn("set to Key accounts by its assignment rule: tag VIP", self.vera.message_ids[0].body)
        self.assertTrue(case.event_ids.filtered(lambda e: "tag VIP" in e.name), "the change is in the case log")
        # the next run finds nothing to change: no new message
        messages = self.vera.message_ids
        self._run_collections(self.today)
        self.assertEqual(self.vera.message_ids, messages)
        # Vera loses the tag: the next run hands her back to the company default
        self.vera.category_id = [Command.clear()]
        self._run_collections(self.today)
        self.assertFalse(self._policy_of(self.vera))
        self.assertIn("matches no assignment rule", self.vera.message_ids[0].body)

    def test_apply_rules_now(self):
        self.env["res.partner"]._recompute_collection_behaviour(self.company, self.today)
        key = self._rule("Key accounts", 1, assign_category_ids=[Command.set(self.vip.ids)])
        key.with_user(self.collection_manager).action_apply_assignment_rules()
        self.assertEqual(self._policy_of(self.vera), key)
        self.assertFalse(self._policy_of(self.dave))

    def test_overdue_band_validation(self):
        with self.assertRaisesRegex(ValidationError, "overdue amount band"):
            self._rule("Bad", 1, assign_overdue_min=500.0, assign_overdue_max=100.0)
        with self.assertRaisesRegex(ValidationError, "overdue amount band"):
            self._rule("Negative", 1, assign_overdue_min=-1.0)
        open_ended = self._rule("Open-ended", 1, assign_overdue_min=500.0)
        self.assertTrue(open_ended.assign_rule, "0 as upper limit: no limit")

    # ------------------------------------------------------------------ invoices with their own policy
    def test_invoice_policy_own_case(self):
        contract = self._rule("Framework contract", 10)
        self.assertFalse(contract.assign_rule, "no criterion: given by hand only")
        by_country = self._rule("Belgium", 1, assign_country_ids=[Command.set(self.belgium.ids)])
        special = self._invoice(self.acme, 15, 400.0)
        other = self._invoice(self.acme, 20, 100.0)
        regular = self._case(self.acme)
        self.assertEqual(regular.open_invoice_count, 3)
        special.with_user(self.collector).write({"collection_policy_id": contract.id})
        own = self._case(self.acme, invoice_policy=contract)
        self.assertTrue(own, "the invoice left the customer's case for a case of its own")
        self.assertRecordValues(
            own, [{"policy_id": contract.id, "amount_due": 400.0, "open_invoice_count": 1, "state": "open"}]
        )
        self.assertEqual(own.invoice_ids, special)
        self.assertEqual(special.collection_case_id, own)
        self.assertRecordValues(regular, [{"amount_due": 900.0, "open_invoice_count": 2}])
        self.assertEqual(regular.invoice_ids, self.acme_invoice | other)
        # each case's letter lists its own invoices
        items = self.env["report.account_collections.report_collection_letter"]._open_items(own | regular)
        self.assertEqual(items[own.id], special)
        self.assertEqual(items[regular.id], self.acme_invoice | other)
        # the rules change the customer's case, not the contract's
        self._assign()
        self.assertEqual(regular.policy_id, by_country)
        self.assertEqual(own.policy_id, contract)
        self.assertFalse(own.event_ids.filtered(lambda e: "assignment rule" in e.name))
        # the run follows each case's policy: the contract's reminder on the contract's case
        self._run_collections(self.today)
        self.assertEqual(own.level_id, contract.level_ids)
        self.assertEqual(regular.level_id, by_country.level_ids)
        # the invoice back to the customer's policy: it merges into the customer's case
        special.with_user(self.collector).write({"collection_policy_id": False})
        self.assertEqual(own.state, "closed")
        self.assertRecordValues(regular, [{"amount_due": 1300.0, "open_invoice_count": 3}])
        self.assertEqual(special.collection_case_id, regular)

    def test_invoice_policy_at_the_daily_refresh(self):
        contract = self._rule("Framework contract", 10)
        invoices = self._invoice(self.dave, 15, 400.0) | self._invoice(self.dave, 30, 600.0)
        # written without the refresh (an import): the next run's refresh opens the case
        invoices.with_context(collection_no_refresh=True).write({"collection_policy_id": contract.id})
        self.assertFalse(self._case(self.dave, invoice_policy=contract))
        self._run_collections(self.today)
        own = self._case(self.dave, invoice_policy=contract)
        self.assertEqual(own.invoice_ids, invoices, "invoices with the same policy share their case")
        self.assertEqual(own.amount_due, 1000.0)
        self.assertEqual(self._case(self.dave).amount_due, 900.0)

    def test_invoice_policy_only_on_customer_invoices(self):
        contract = self._rule("Framework contract", 10)
        refund = self._invoice(self.acme, 0, 50.0, move_type="out_refund")
        with self.assertRaisesRegex(ValidationError, "not a customer invoice"):
            refund.write({"collection_policy_id": contract.id})
