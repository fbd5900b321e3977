"""The three main paths in a real browser (Odoo tours in headless Chromium).

The tours are in ``static/tests/tours/``; each test checks afterwards, in the database, what
the user's clicks must have produced, so a tour that did not run cannot pass.
``COLLECTIONS_SCREENSHOTS=1`` also saves each tour's last screen to ``docs/`` (see
``tour_screenshots``).
"""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .tour_screenshots import TourScreenshotMixin


@tagged("post_install", "-at_install")
class TestCollectionsTours(TourScreenshotMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        # the tours must not depend on the time of day or the weekday they run at
        cls.company.write(
            {
                "collection_window_start": 0.0,
                "collection_window_end": 24.0,
                "collection_promise_max_days": 30,
                "collection_contact_weekends": True,
            }
        )
        cls.today = fields.Date.context_today(cls.env["res.partner"])

    @classmethod
    def _customer(cls, name, **vals):
        return cls.env["res.partner"].create(
            {"name": name, "is_company": True, "email": "ap@tour.example.com", "tz": "UTC", **vals}
        )

    @classmethod
    def _invoice(cls, partner, due_days_ago, amount):
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "invoice_date": cls.today - timedelta(days=due_days_ago + 5),
                "invoice_date_due": cls.today - timedelta(days=due_days_ago),
                "invoice_line_ids": [Command.create({"name": "Consulting", "price_unit": amount, "tax_ids": []})],
            }
        )
        invoice.action_post()
        return invoice

    def _events(self, case, **domain):
        return self.env["collection.event"].search(
            [("case_id", "=", case.id), *[(key, "=", value) for key, value in domain.items()]]
        )

    def test_collector_tour(self):
        collector = mail_new_test_user(
            self.env,
            login="tour_collector",
            name="Tess Collector",
            groups="base.group_user,account_collections.group_collection_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        debtor = self._customer("Tour Debtor Ltd")
        old_invoice = self._invoice(debtor, 40, 1000.0)
        recent_invoice = self._invoice(debtor, 15, 300.0)
        small = self._customer("Tour Small Ltd")
        self._invoice(small, 12, 80.0)
        case = old_invoice.collection_case_id
        small_case = small.invoice_ids.collection_case_id
        self.assertTrue(case and small_case)
        (case | small_case).user_id = collector

        self.start_tour_screenshot(
            "/odoo/action-account_collections.action_collection_worklist",
            "account_collections_collector_tour",
            "collector",
            login="tour_collector",
        )

        self.env.invalidate_all()
        call = self._events(case, channel="call")
        self.assertEqual(call.outcome, "promise", "the call was logged with its outcome")
        self.assertEqual(call.user_id, collector)
        promise = self.env["collection.promise"].search([("case_id", "=", case.id)])
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.invoice_ids, recent_invoice)
        self.assertEqual(promise.amount, 300.0)
        # a week ahead in the browser's time zone, which may be a day off the server's near midnight
        self.assertIn((promise.promised_date - self.today).days, (6, 7, 8))
        self.assertEqual(promise.call_event_id, call)
        self.assertEqual(recent_invoice.collection_hold, "promise")
        email = self._events(case, channel="email")
        self.assertEqual(len(email), 1, "Send Next Reminder sent one email")
        self.assertEqual(email.invoice_ids, old_invoice, "the reminder leaves out the promised invoice")
        self.assertTrue(case.level_id)

    def test_manager_tour(self):
        customer = self._customer("Tour Key Customer")
        self._invoice(customer, 25, 500.0)
        case = customer.invoice_ids.collection_case_id
        self.assertEqual(case.stage_id.code, "new")

        self.start_tour_screenshot(
            "/odoo/action-account_collections.action_collection_policy",
            "account_collections_manager_tour",
            "manager",
            login="admin",
        )

        self.env.invalidate_all()
        policy = self.env["collection.policy"].search([("name", "=", "Key Accounts")])
        self.assertEqual(policy.level_ids.mapped("delay_days"), [-3, 5, 20])
        self.assertTrue(all(policy.level_ids.mapped("send_letter")))
        self.assertEqual(customer.with_company(self.company).collection_policy_id, policy)
        self.assertEqual(case.policy_id, policy)
        self.assertEqual(case.level_id.name, "Final overdue notice")
        self.assertEqual(case.stage_id.code, "legal", "the level moved the case to its stage")
        self.assertTrue(self._events(case, channel="letter"), "the level queued its letter")

    def test_dashboard_tour(self):
        """The dashboard's cash forecast after a run: a promise, a customer's usual delay."""
        promiser = self._customer("Tour Promiser Ltd")
        promised = self._invoice(promiser, 10, 1200.0)
        regular = self._customer("Tour Regular Ltd")
        self._invoice(regular, -10, 600.0)
        promise = self.env["collection.promise"].create(
            {
                "case_id": promised.collection_case_id.id,
                "invoice_ids": [Command.set(promised.ids)],
                "amount": 1200.0,
                "promised_date": self.today + timedelta(days=9),
            }
        )
        promise.action_confirm()
        self.env["collection.case"].run_collections(company_ids=self.company.ids)
        self.assertEqual(
            (promised.collection_expected_date, promised.collection_expected_source),
            (self.today + timedelta(days=9), "promise"),
        )

        self.start_tour_screenshot(
            "/odoo/action-account_collections.action_collection_dashboard",
            "account_collections_dashboard_tour",
            "dashboard",
            login="admin",
        )

        # what the dashboard showed: the promise in its week, everything open in the total
        forecast = self.env["collection.case"].with_context(allowed_company_ids=self.company.ids).get_cash_forecast()
        week = ((self.today + timedelta(days=9)) - (self.today - timedelta(days=self.today.weekday()))).days // 7
        self.assertGreaterEqual(forecast["weeks"][week]["promised"], 1200.0)
        open_invoices = self.env["account.move"].search(
            [
                ("company_id", "=", self.company.id),
                ("move_type", "in", ("out_invoice", "out_receipt")),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )
        self.assertAlmostEqual(forecast["total_open"], sum(open_invoices.mapped("amount_residual_signed")), places=2)

    def test_portal_tour(self):
        customer = self._customer("Tour Portal Customer")
        first = self._invoice(customer, 20, 600.0)
        second = self._invoice(customer, 12, 250.0)
        contact = self.env["res.partner"].create({"name": "Paula Portal", "parent_id": customer.id})
        mail_new_test_user(
            self.env,
            login="tour_portal",
            name="Paula Portal",
            groups="base.group_portal",
            partner_id=contact.id,
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        case = first.collection_case_id

        self.start_tour_screenshot("/my/collections", "account_collections_portal_tour", "portal", login="tour_portal")

        self.env.invalidate_all()
        promise = self.env["collection.promise"].search([("case_id", "=", case.id)])
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.invoice_ids, first, "the oldest overdue invoice got the proposed date")
        self.assertIn((promise.promised_date - self.today).days, (0, 1, 2), "the earliest date the page offers")
        dispute = self.env["collection.dispute"].search([("case_id", "=", case.id)])
        self.assertEqual(dispute.invoice_id, second)
        self.assertEqual(dispute.reason, "not_received")
        self.assertEqual(dispute.state, "open")
        self.assertEqual((first | second).mapped("collection_hold"), ["promise", "dispute"])
        self.assertEqual(len(self._events(case, channel="portal")), 2, "both answers are in the log")

    def test_portal_plan_tour(self):
        policy = self.env["collection.policy"].create(
            {
                "name": "Flexible customers",
                "company_id": self.company.id,
                "allow_portal_plans": True,
                "portal_plan_max_installments": 6,
                "portal_plan_max_days": 180,
                "portal_plan_min_installment": 50.0,
                "level_ids": [
                    Command.create(
                        {
                            "name": "Reminder",
                            "delay_days": 10,
                            "create_activity": True,
                            "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                        }
                    )
                ],
            }
        )
        customer = self._customer("Tour Plan Customer")
        customer.with_company(self.company).collection_policy_id = policy
        first = self._invoice(customer, 30, 600.0)
        second = self._invoice(customer, 10, 300.0)
        contact = self.env["res.partner"].create({"name": "Pia Plan", "parent_id": customer.id})
        mail_new_test_user(
            self.env,
            login="tour_plan_portal",
            name="Pia Plan",
            groups="base.group_portal",
            partner_id=contact.id,
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        case = first.collection_case_id
        self.assertEqual(case.policy_id, policy)

        self.start_tour_screenshot(
            "/my/collections", "account_collections_portal_plan_tour", "portal_plan", login="tour_plan_portal"
        )

        self.env.invalidate_all()
        plan = self.env["collection.payment.plan"].search([("case_id", "=", case.id)])
        self.assertEqual(plan.state, "active", "within the policy's limits: started at once")
        self.assertTrue(plan.portal_proposed)
        self.assertEqual(plan.invoice_ids, first | second)
        self.assertEqual(plan.line_ids.mapped("amount"), [150.0, 250.0, 250.0, 250.0])
        self.assertEqual(plan.interval, "monthly")
        self.assertEqual((first | second).mapped("collection_hold"), ["plan", "plan"])
        self.assertEqual(self._events(case, channel="email").state, "queued", "the agreement was emailed")
