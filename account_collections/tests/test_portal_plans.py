"""Payment plans proposed on the portal: the policy's limits, the proposal, the online payment."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from odoo import Command, fields, http
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, tagged

from odoo.addons.account_payment.tests.common import AccountPaymentCommon
from odoo.addons.mail.tests.common import mail_new_test_user

from .common import CollectionsCommon

PLAN_LIMITS = {
    "allow_portal_plans": True,
    "portal_plan_max_installments": 4,
    "portal_plan_max_days": 120,
    "portal_plan_min_installment": 100.0,
    "portal_plan_min_down_payment_pct": 0.0,
    "portal_plan_max_risk_score": 60,
    "portal_plan_max_broken": 0,
}


class PortalPlanCommon(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.policy.write(PLAN_LIMITS)
        cls.customer = cls._customer("Alpha Retail", email="ap@alpha.example.com")
        cls.other = cls._customer("Bravo Stores", email="ap@bravo.example.com")
        for customer in cls.customer | cls.other:
            customer.with_company(cls.company).collection_policy_id = cls.policy
        cls.invoice_old = cls._invoice(cls.customer, 30, 600.0)
        cls.invoice_new = cls._invoice(cls.customer, 15, 300.0)
        cls.invoice_other = cls._invoice(cls.other, 20, 700.0)
        cls.env["collection.case"].refresh_cases()
        cls.case = cls.invoice_old.collection_case_id

    @property
    def today(self):
        return fields.Date.context_today(self.env["res.partner"])

    def _plan(self, invoices=None, **vals):
        invoices = invoices or (self.invoice_old | self.invoice_new)
        return self.env["collection.payment.plan"].create(
            {
                "case_id": invoices.collection_case_id.id,
                "invoice_ids": [Command.set(invoices.ids)],
                "start_date": self.today,
                "installment_count": 3,
                "interval": "monthly",
                **vals,
            }
        )

    def _events(self, case=None, **domain):
        return self.env["collection.event"].search(
            [("case_id", "=", (case or self.case).id), *[(key, "=", value) for key, value in domain.items()]]
        )


@tagged("post_install", "-at_install")
class TestPortalPlanRules(PortalPlanCommon):
    """Each limit of the policy, as ``_policy_limit_reasons`` and ``action_activate`` apply it."""

    def test_within_the_limits_no_reason(self):
        plan = self._plan()  # 3 x 300 monthly, 60 days
        self.assertEqual(plan._policy_limit_reasons(self.today), [])
        plan.with_user(self.collector).action_activate()
        self.assertEqual(plan.state, "active")

    def test_policy_without_portal_plans_sets_no_limits(self):
        self.policy.allow_portal_plans = False
        plan = self._plan(installment_count=12)
        self.assertEqual(plan._policy_limit_reasons(self.today), [])
        plan.with_user(self.collector).action_activate()
        self.assertEqual(plan.state, "active")

    def test_too_many_installments(self):
        reasons = self._plan(installment_count=5, interval="weekly")._policy_limit_reasons(self.today)
        self.assertEqual(len(reasons), 1)
        self.assertIn("5 installments, more than the 4 allowed", reasons[0])

    def test_too_long(self):
        reasons = self._plan(installment_count=2, interval="monthly", start_date=self.today + timedelta(days=100))
        reasons = reasons._policy_limit_reasons(self.today)
        self.assertEqual(len(reasons), 1)
        self.assertIn("beyond the 120 days allowed", reasons[0])

    def test_installment_too_small(self):
        small = self._invoice(self.customer, 10, 250.0)
        reasons = self._plan(small, installment_count=3)._policy_limit_reasons(self.today)
        self.assertEqual(len(reasons), 1)
        self.assertIn("less than the minimum", reasons[0])

    def test_down_payment_too_low(self):
        self.policy.portal_plan_min_down_payment_pct = 20.0
        reasons = self._plan(down_payment=100.0)._policy_limit_reasons(self.today)
        self.assertEqual(len(reasons), 1)
        self.assertIn("less than the 20.0 % (", reasons[0])
        self.assertEqual(self._plan(down_payment=180.0)._policy_limit_reasons(self.today), [])

    def test_risky_customer(self):
        self.customer.risk_score = 61
        reasons = self._plan()._policy_limit_reasons(self.today)
        self.assertEqual(len(reasons), 1)
        self.assertIn("risk score is 61, above the 60 allowed", reasons[0])

    def test_broken_plans(self):
        broken = self._plan(self.invoice_new, installment_count=1)
        broken._write_workflow({"state": "broken"})
        reasons = self._plan(self.invoice_old)._policy_limit_reasons(self.today)
        self.assertEqual(len(reasons), 1)
        self.assertIn("broke 1 payment plans, more than the 0 allowed", reasons[0])
        self.policy.portal_plan_max_broken = 1
        self.assertEqual(self._plan(self.invoice_old)._policy_limit_reasons(self.today), [])

    def test_limits_are_validated(self):
        for field, value in [
            ("portal_plan_max_installments", 0),
            ("portal_plan_max_days", 0),
            ("portal_plan_min_installment", -1.0),
            ("portal_plan_min_down_payment_pct", 100.0),
            ("portal_plan_max_risk_score", 101),
            ("portal_plan_max_broken", -1),
        ]:
            with self.subTest(field=field), self.assertRaisesRegex(ValidationError, "Policy Test policy"):
                self.policy.write({field: value})

    def test_collector_refused_outside_the_limits_manager_override_logged(self):
        plan = self._plan(installment_count=6)
        self.assertIn("6 installments", plan.limit_reasons, "the form says why")
        with self.assertRaisesRegex(UserError, "outside the limits of policy Test policy: 6 installments"):
            plan.with_user(self.collector).action_activate()
        self.assertEqual(plan.state, "draft")
        plan.with_user(self.collection_manager).action_activate()
        self.assertEqual(plan.state, "active")
        override = self._events().filtered(lambda e: "beyond the limits" in e.name)
        self.assertEqual(len(override), 1)
        self.assertEqual(override.channel, "system")
        self.assertIn("Marc Manager", override.name)
        self.assertIn("6 installments", override.name)
        self.assertTrue(
            self.case.message_ids.filtered(lambda m: "beyond the limits" in (m.body or "")),
            "the override is in the case's chatter",
        )


@tagged("post_install", "-at_install")
class TestPortalPlans(PortalPlanCommon, AccountPaymentCommon, HttpCase):
    """The portal routes, as the customer's portal user (and another customer's)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        contact = cls.env["res.partner"].create({"name": "Alice Alpha", "parent_id": cls.customer.id})
        cls.portal_a = mail_new_test_user(
            cls.env,
            login="portal_plan_alpha",
            groups="base.group_portal",
            partner_id=contact.id,
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.portal_b = mail_new_test_user(
            cls.env,
            login="portal_plan_bravo",
            groups="base.group_portal",
            partner_id=cls.other.id,
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        (cls.portal_a | cls.portal_b).tz = "UTC"
        # the agreement templates are noupdate: a database installed before keeps its own version
        templates = cls.env.ref("account_collections.mail_template_payment_plan") | cls.env.ref(
            "account_collections.mail_template_payment_plan_reminder"
        )
        cls.env["mail.template.reset"].create({"template_ids": [Command.set(templates.ids)]}).reset_template()
        cls.provider.journal_id = cls.company_data["default_journal_bank"]
        cls.provider.company_id = cls.company

    def _propose(self, invoices, **data):
        values = {
            "csrf_token": http.Request.csrf_token(self),
            "invoice_ids": [str(i) for i in invoices.ids],
            "installment_count": "3",
            "interval": "monthly",
            "start_date": str(self.today),
            **data,
        }
        response = self.url_open("/my/collections/plan", data=values)
        self.assertEqual(response.status_code, 200)
        query = parse_qs(urlparse(response.url).query)
        return query.get("error", [None])[0], query.get("success", [None])[0]

    def _pay_online(self, line):
        """The customer's payment of ``line`` through the installment's payment route, as the payment
        form posts it (with a tampered amount), confirmed by the provider."""
        self.make_jsonrpc_request(
            f"/my/collections/installment/{line.id}/transaction",
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.payment_method_id,
                "token_id": None,
                "amount": 1.0,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": "/my/collections",
                "is_validation": False,
            },
        )
        tx = self.env["payment.transaction"].search([("collection_plan_line_id", "=", line.id)])
        self.assertEqual(len(tx), 1)
        with self.mocked_get_payment_method_information():
            tx._set_done()
            tx._post_process()
        return tx

    def _plans(self, case=None):
        return self.env["collection.payment.plan"].search([("case_id", "=", (case or self.case).id)])

    def test_page_offers_a_plan_for_the_overdue_invoices(self):
        self.authenticate("portal_plan_alpha", "portal_plan_alpha")
        page = self.url_open("/my/collections").text
        self.assertIn('action="/my/collections/plan"', page)
        for invoice in self.invoice_old | self.invoice_new:
            self.assertIn(f'name="invoice_ids" checked="checked" value="{invoice.id}"', page)
        self.assertNotIn(f'value="{self.invoice_other.id}"', page)
        self.policy.allow_portal_plans = False
        self.assertNotIn('action="/my/collections/plan"', self.url_open("/my/collections").text)

    def test_plan_within_the_limits_starts_and_is_emailed(self):
        self.authenticate("portal_plan_alpha", "portal_plan_alpha")
        error, success = self._propose(self.invoice_old | self.invoice_new)
        self.assertFalse(error)
        self.assertIn("has started", success)
        plan = self._plans()
        self.assertEqual(plan.state, "active")
        self.assertTrue(plan.portal_proposed)
        self.assertEqual(plan.line_ids.mapped("amount"), [300.0, 300.0, 300.0])
        self.assertEqual((self.invoice_old | self.invoice_new).mapped("collection_hold"), ["plan", "plan"])
        self.assertTrue(plan.user_id and not plan.user_id.share, "a collector follows it up")
        proposal = self._events(channel="portal")
        self.assertEqual(len(proposal), 1)
        self.assertEqual(proposal.direction, "inbound")
        email = self._events(channel="email")
        self.assertEqual(email.state, "queued", "the agreement is emailed at once")
        body = email.mail_mail_id.body_html
        for line in plan.line_ids:
            self.assertIn(line._portal_pay_path(), body, "a pay link per installment")
        self.assertFalse(plan.activity_ids)
        page = self.url_open("/my/collections").text
        self.assertIn(f'id="plan-{plan.id}"', page)
        self.assertIn(plan.line_ids[0]._portal_pay_path(), page, "the next installment can be paid")
        self.assertNotIn(plan.line_ids[2]._portal_pay_path(), page, "a later one is not due yet")

    def test_plan_outside_the_limits_waits_for_the_collector(self):
        self.authenticate("portal_plan_alpha", "portal_plan_alpha")
        error, success = self._propose(self.invoice_old | self.invoice_new, installment_count="6")
        self.assertFalse(error)
        self.assertIn("awaiting the approval", success)
        plan = self._plans()
        self.assertEqual(plan.state, "draft")
        self.assertTrue(plan.portal_proposed)
        self.assertFalse(self.invoice_old.collection_hold, "dunning goes on until the plan is approved")
        review = self.env.ref("account_collections.mail_activity_type_review_portal_plan")
        self.assertEqual(plan.activity_ids.activity_type_id, review)
        self.assertIn("6 installments", plan.activity_ids.note)
        self.assertFalse(self._events(channel="email"), "nothing is confirmed yet")
        page = self.url_open("/my/collections").text
        self.assertIn("o_collection_plan_awaiting", page)
        self.assertNotIn(plan.line_ids[0]._portal_pay_path(), page)
        self.assertNotIn('action="/my/collections/plan"', page, "no second proposal for the same invoices")
        # the collector may not approve it as it is; a manager may, and the review is closed
        with self.assertRaisesRegex(UserError, "6 installments"):
            plan.with_user(self.collector).action_activate()
        plan.with_user(self.collection_manager).action_activate()
        self.assertEqual(plan.state, "active")
        self.assertFalse(plan.activity_ids)

    def test_other_customers_invoices_refused(self):
        self.authenticate("portal_plan_alpha", "portal_plan_alpha")
        error, _success = self._propose(self.invoice_old | self.invoice_other)
        self.assertEqual(error, "This invoice is not one of your open invoices.")
        for bad in ("0", "-1", "abc", str(2**40)):
            error, _success = self._propose(self.invoice_old.browse(), invoice_ids=[bad])
            self.assertTrue(error)
        self.assertFalse(self._plans() | self._plans(self.invoice_other.collection_case_id))

    def test_terms_validated(self):
        self.authenticate("portal_plan_alpha", "portal_plan_alpha")
        cases = [
            ({"installment_count": "0"}, "from 1 to 60 installments"),
            ({"interval": "daily"}, "how often"),
            ({"start_date": str(self.today - timedelta(days=1))}, "first payment"),
            ({"start_date": "not a date"}, "first payment"),
            ({"down_payment": "900"}, "down payment must be"),
            ({"down_payment": "nan"}, "down payment must be"),
        ]
        for data, message in cases:
            with self.subTest(data=data):
                error, _success = self._propose(self.invoice_old, **data)
                self.assertIn(message, error)
        error, _success = self._propose(self.invoice_old.browse(), invoice_ids=[])
        self.assertIn("Choose the overdue invoices", error)
        self.assertFalse(self._plans())

    def test_not_overdue_or_held_invoice_refused(self):
        current = self._invoice(self.customer, -10, 100.0)
        self.authenticate("portal_plan_alpha", "portal_plan_alpha")
        error, _success = self._propose(self.invoice_old | current)
        self.assertIn(f"Invoice {current.name} cannot be part of this payment plan", error)
        self.assertFalse(self._plans())

    def test_installment_paid_online_updates_the_plan(self):
        self.authenticate("portal_plan_alpha", "portal_plan_alpha")
        self._propose(self.invoice_old | self.invoice_new, installment_count="2")
        plan = self._plans()
        self.assertEqual(plan.state, "active")
        first = plan.line_ids[0]
        self.assertEqual(first.amount, 450.0)
        # another customer cannot pay it, nor reach its payment form
        self.authenticate("portal_plan_bravo", "portal_plan_bravo")
        response = self.url_open(first._portal_pay_path())
        self.assertIn("/my/collections", response.url)
        self.assertIn("error=", response.url)

        self.authenticate("portal_plan_alpha", "portal_plan_alpha")
        response = self.url_open(first._portal_pay_path())
        self.assertEqual(response.status_code, 200)
        query = parse_qs(urlparse(response.history[0].headers["Location"]).query)
        self.assertEqual(float(query["amount"][0]), 450.0)
        self.assertEqual(int(query["invoice_id"][0]), self.invoice_old.id, "on the oldest invoice")
        self.assertIn(f"/my/collections/installment/{first.id}/transaction", response.text)

        tx = self._pay_online(first)
        self.assertEqual(tx.amount, 450.0, "the installment's amount, not the one the form posted")
        self.assertEqual(tx.invoice_ids, self.invoice_old | self.invoice_new)
        self.assertTrue(tx.payment_id)
        self.assertEqual(self.invoice_old.amount_residual, 150.0, "allocated to the oldest invoice first")
        self.assertEqual(self.invoice_new.amount_residual, 300.0)
        self.assertEqual(first.amount_paid, 450.0)
        self.assertEqual(first.state, "paid")
        self.assertEqual(plan.line_ids[1].state, "pending")
        self.assertEqual(plan.amount_paid, 450.0)
        paid = self._events(channel="portal").filtered(lambda e: "paid online" in e.name)
        self.assertEqual(len(paid), 1)
        self.assertIn("450.00", paid.name)
        page = self.url_open("/my/collections").text
        self.assertNotIn(first._portal_pay_path(), page, "a paid installment has no Pay button")
        self.assertIn(plan.line_ids[1]._portal_pay_path(), page, "the next one has")

        # another customer cannot create a transaction on it
        self.authenticate("portal_plan_bravo", "portal_plan_bravo")
        second = plan.line_ids[1]
        with self.assertRaises(Exception):  # noqa: B017  # the JSON route answers with the ValidationError
            self.make_jsonrpc_request(
                f"/my/collections/installment/{second.id}/transaction",
                {"provider_id": self.provider.id, "payment_method_id": self.payment_method_id, "flow": "direct"},
            )
        self.assertFalse(self.env["payment.transaction"].search([("collection_plan_line_id", "=", second.id)]))
        self.authenticate("portal_plan_alpha", "portal_plan_alpha")

        # the second installment pays the rest of the oldest invoice, then the next one
        self._pay_online(plan.line_ids[1])
        self.assertEqual((self.invoice_old | self.invoice_new).mapped("amount_residual"), [0.0, 0.0])
        self.assertEqual(plan.line_ids.mapped("state"), ["paid", "paid"])
        self.assertEqual(plan.amount_paid, 900.0)
