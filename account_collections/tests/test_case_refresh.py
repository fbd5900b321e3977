from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestCaseRefresh(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["collection.policy"].search([("company_id", "=", cls.company_data["company"].id)]).is_default = False
        cls.policy.is_default = True  # first level 5 days before the due date
        cls.customer = cls._customer("Delta Shipping")
        cls.today = fields.Date.context_today(cls.customer)

    def test_overdue_invoice_opens_a_case_when_posted(self):
        invoice = self._invoice(self.customer, 12, 1000.0)
        case = self._case(self.customer)
        self.assertEqual(len(case), 1, "posting the invoice opened the case, no refresh needed")
        self.assertRecordValues(
            case,
            [
                {
                    "amount_due": 1000.0,
                    "amount_overdue": 1000.0,
                    "oldest_due_date": self.today - timedelta(days=12),
                    "days_overdue": 12,
                    "policy_id": self.policy.id,
                    "stage_id": self.env.ref("account_collections.stage_new").id,
                    "open_invoice_count": 1,
                }
            ],
        )
        self.assertEqual(invoice.collection_case_id, case)
        self.assertEqual(case.event_ids.mapped("name"), ["Case opened"])
        self.assertTrue(case.name.startswith("COL"))

    def test_next_level_and_date_come_from_the_policy(self):
        self._invoice(self.customer, 12, 1000.0)
        case = self._case(self.customer)
        self.assertEqual(case.next_level_id.name, "Before due")
        self.assertEqual(case.next_action_date, self.today - timedelta(days=17))

    def test_invoice_not_due_soon_opens_no_case(self):
        self._invoice(self.customer, -20, 500.0)
        self.assertFalse(self._case(self.customer))

    def test_invoice_due_within_the_pre_due_level_opens_a_case(self):
        self._invoice(self.customer, -4, 500.0)
        case = self._case(self.customer)
        self.assertEqual(case.amount_overdue, 0.0)
        self.assertEqual(case.amount_due, 500.0)
        self.assertEqual(case.next_action_date, self.today - timedelta(days=1))

    def test_partial_payment_reduces_the_case(self):
        invoice = self._invoice(self.customer, 40, 1000.0)
        self._pay(invoice, amount=300.0)
        case = self._case(self.customer)
        self.assertEqual((case.amount_due, case.amount_overdue), (700.0, 700.0))

    def test_cases_without_any_policy_still_follow_the_ledger(self):
        self.policy.is_default = False
        invoice = self._invoice(self.customer, 40, 1000.0)
        case = self._case(self.customer)
        self.assertFalse(case.policy_id)
        self._pay(invoice, amount=100.0)
        self.assertEqual(case.amount_due, 900.0)

    def test_full_payment_closes_the_case_as_paid(self):
        invoice = self._invoice(self.customer, 40, 1000.0)
        case = self._case(self.customer)
        self._pay(invoice)
        self.assertEqual(case.state, "closed")
        self.assertEqual(case.stage_id.code, "paid")
        self.assertEqual(case.closed_date, self.today)
        self.assertIn("Nothing left to collect: case closed", case.event_ids.mapped("name"))
        self.assertEqual(self.env["collection.case"].refresh_cases(), {"created": 0, "updated": 0, "closed": 0})

    def test_new_overdue_invoice_after_closure_opens_a_new_case(self):
        invoice = self._invoice(self.customer, 40, 1000.0)
        first = self._case(self.customer)
        self._pay(invoice)
        self._invoice(self.customer, 5, 200.0)
        second = self._case(self.customer)
        self.assertTrue(second)
        self.assertNotEqual(first, second)

    def test_credit_note_reduces_the_balance(self):
        self._invoice(self.customer, 30, 1000.0)
        self._invoice(self.customer, 0, 250.0, move_type="out_refund")
        case = self._case(self.customer)
        self.assertEqual((case.amount_due, case.amount_overdue), (750.0, 750.0))

    def test_no_case_when_credits_cover_the_balance(self):
        self._invoice(self.customer, 30, 400.0)
        self.assertTrue(self._case(self.customer))
        self._invoice(self.customer, 0, 500.0, move_type="out_refund")
        self.assertFalse(self._case(self.customer), "a balance of -100 leaves nothing to collect")

    def test_unreconciled_payment_reduces_the_balance(self):
        self._invoice(self.customer, 30, 1000.0)
        payment = self.env["account.payment"].create(
            {"partner_id": self.customer.id, "payment_type": "inbound", "partner_type": "customer", "amount": 100.0}
        )
        payment.action_post()
        self.env["collection.case"].refresh_cases()
        self.assertEqual(self._case(self.customer).amount_due, 900.0)

    def test_invoices_of_contacts_land_on_the_commercial_partner(self):
        contact = self.env["res.partner"].create({"name": "Ann", "parent_id": self.customer.id})
        self._invoice(contact, 20, 100.0)
        self._invoice(self.customer, 25, 50.0)
        case = self._case(self.customer)
        self.assertEqual(case.partner_id, self.customer)
        self.assertEqual(case.amount_due, 150.0)

    def test_one_case_per_currency(self):
        eur = self.setup_other_currency("EUR")
        self._invoice(self.customer, 20, 100.0)
        self._invoice(self.customer, 20, 300.0, currency=eur)
        cases = self._case(self.customer)
        self.assertEqual(len(cases), 2)
        self.assertEqual(
            sorted((c.currency_id.name, c.amount_due) for c in cases),
            sorted([(self.company_data["currency"].name, 100.0), ("EUR", 300.0)]),
        )

    def test_one_case_per_company(self):
        other = self.setup_other_company(name="Other Co")
        company_b = other["company"]
        self._invoice(self.customer, 20, 100.0)
        self._invoice(self.customer, 20, 700.0, company=company_b)
        self.assertEqual(self._case(self.customer, company_b).amount_due, 700.0)
        self.assertEqual(self._case(self.customer).amount_due, 100.0)

    def test_refresh_can_be_restricted_to_companies(self):
        company_a = self.company_data["company"]
        company_b = self.setup_other_company(name="Other Co")["company"]
        # posted without the refresh the posting triggers: only refresh_cases opens the cases
        for company in company_a | company_b:
            self._invoice(self.customer, 20, 100.0, company=company, post=False).with_context(
                collection_no_refresh=True
            ).action_post()
        self.assertFalse(self._case(self.customer, company_a) | self._case(self.customer, company_b))
        with self.assertRaisesRegex(UserError, "Unknown company ids"):
            self.env["collection.case"].refresh_cases(company_ids=[999999])
        result = self.env["collection.case"].refresh_cases(company_ids=[company_b.id])
        self.assertEqual(result, {"created": 1, "updated": 0, "closed": 0})
        self.assertEqual(self._case(self.customer, company_b).amount_due, 100.0)
        self.assertFalse(self._case(self.customer, company_a), "the other company is left alone")
        result = self.env["collection.case"].refresh_cases(company_ids=[company_a.id])
        self.assertEqual(result, {"created": 1, "updated": 0, "closed": 0})
        self.assertEqual(self._case(self.customer, company_a).amount_due, 100.0)

    def test_partner_policy_overrides_the_company_default(self):
        strict = self.env["collection.policy"].create(
            {"name": "Strict", "level_ids": [(0, 0, self._level_vals("Day one", 1))]}
        )
        self.customer.collection_policy_id = strict
        self._invoice(self.customer, 3, 100.0)
        case = self._case(self.customer)
        self.assertEqual(case.policy_id, strict)
        other = self._customer("Other Customer")
        self._invoice(other, 3, 100.0)
        self.assertEqual(self._case(other).policy_id, self.policy)

    def test_blocked_invoice_is_excluded_from_dunning(self):
        old = self._invoice(self.customer, 60, 500.0)
        self._invoice(self.customer, 10, 200.0)
        with self.assertRaisesRegex(ValidationError, "excluded from dunning without a reason"):
            old.collection_blocked = True
        old.write({"collection_blocked": True, "collection_blocked_reason": "Goods returned"})
        case = self._case(self.customer)
        self.assertEqual(case.oldest_due_date, self.today - timedelta(days=10))
        self.assertEqual(case.amount_overdue, 200.0)
        self.assertEqual(case.amount_due, 700.0, "the blocked invoice is still owed")

    def test_only_blocked_invoices_open_no_case(self):
        invoice = self._invoice(self.customer, 60, 500.0, post=False)
        invoice.write({"collection_blocked": True, "collection_blocked_reason": "Litigation"})
        invoice.action_post()
        self.assertFalse(self._case(self.customer))

    def test_time_barred_invoices_are_not_dunned(self):
        self.company_data["company"].collection_limitation_years = 3
        barred = self._invoice(self.customer, 4 * 366, 500.0)
        self.assertTrue(barred.time_barred)
        self.assertIn(barred, self.env["account.move"].search([("time_barred", "=", True)]))
        self.assertFalse(self._case(self.customer))

    def test_refresh_query_count_does_not_grow_with_invoices(self):
        def refresh_queries(count):
            partners = self.env["res.partner"].create([{"name": f"Customer {count}-{i}"} for i in range(count)])
            due = self.today - timedelta(days=15)
            moves = self.env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": due,
                        "invoice_date_due": due,
                        "invoice_line_ids": [(0, 0, {"name": "Service", "price_unit": 100.0, "tax_ids": []})],
                    }
                    for partner in partners
                ]
            )
            moves.with_context(collection_no_refresh=True).action_post()
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            result = self.env["collection.case"].refresh_cases()
            self.assertEqual(result["created"], count)
            return self.env.cr.sql_log_count - before

        small = refresh_queries(10)
        large = refresh_queries(200)
        self.assertLessEqual(large, small + 5, f"{small} queries for 10 invoices, {large} for 200")


@tagged("post_install", "-at_install")
class TestCaseSecurity(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Echo Builders")
        cls._invoice(cls.customer, 20, 100.0)
        cls.case = cls.env["collection.case"].search([("partner_id", "=", cls.customer.id)])

    def test_events_cannot_be_changed_or_deleted(self):
        event = self.case.event_ids[:1]
        for user in (self.collector, self.collection_manager):
            with self.assertRaises(UserError):  # AccessError for users, UserError beyond
                event.with_user(user).write({"name": "Nothing happened"})
            with self.assertRaises(UserError):  # AccessError for users, UserError beyond
                event.with_user(user).unlink()
        with self.assertRaisesRegex(UserError, "append-only"):
            event.sudo().write({"name": "Rewritten"})
        with self.assertRaisesRegex(UserError, "append-only"):
            event.sudo().unlink()
        self.assertEqual(event.name, "Case opened")

    def test_system_records_the_outcome_of_a_queued_contact_once(self):
        vals = self.case._event_vals("First reminder", channel="email", state="queued")
        event = self.env["collection.event"].sudo().create(vals)
        event.sudo().write({"state": "failed", "reason": "Bounced"})
        self.assertEqual((event.state, event.reason), ("failed", "Bounced"))
        with self.assertRaisesRegex(UserError, "append-only"):
            event.sudo().write({"state": "sent"})

    def test_collector_works_cases_of_their_company(self):
        case = self.case.with_user(self.collector)
        case.user_id = self.collector
        case.action_pause(fields.Date.context_today(case) + timedelta(days=10))
        self.assertEqual(self.case.user_id, self.collector)
        self.assertIn("Assigned to Colette Collector", self.case.event_ids.mapped("name"))
        with self.assertRaises(AccessError):
            case.unlink()

    def test_pause_needs_a_future_date(self):
        with self.assertRaisesRegex(UserError, "give a date after today"):
            self.case.action_pause(fields.Date.context_today(self.case))

    def test_manual_stage_move_is_logged(self):
        self.case.with_user(self.collector).stage_id = self.env.ref("account_collections.stage_reminded")
        self.assertIn("Stage moved from New to Reminded", self.case.event_ids.mapped("name"))

    def test_cases_of_other_companies_are_invisible(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        self._invoice(self.customer, 20, 100.0, company=company_b)
        visible = self.env["collection.case"].with_user(self.collector).search([])
        self.assertIn(self.case, visible)
        self.assertEqual(visible.company_id, self.company_data["company"])

    def test_users_without_collections_group_see_no_case(self):
        clerk = self.env["res.users"].create(
            {
                "name": "Billing Clerk",
                "login": "clerk",
                "groups_id": [(6, 0, [self.env.ref("account.group_account_invoice").id])],
                "company_id": self.company_data["company"].id,
                "company_ids": [(6, 0, self.company_data["company"].ids)],
            }
        )
        with self.assertRaises(AccessError):
            self.env["collection.case"].with_user(clerk).search([]).read(["amount_due"])
        # but their postings still keep cases in sync
        other = self._customer("Foxtrot")
        invoice = self._invoice(other, 10, 50.0, post=False)
        invoice.with_user(clerk).action_post()
        self.assertTrue(self._case(other))

    def test_smart_buttons_open_the_case(self):
        action = self.customer.action_view_collection_cases()
        self.assertEqual(action["res_id"], self.case.id)
        invoice = self.case.invoice_ids[:1]
        self.assertEqual(invoice.action_open_collection_case()["res_id"], self.case.id)
        self.assertEqual(self.customer.collection_case_count, 1)
