from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from .common import CollectionsCommon

DUE = date(2026, 3, 2)
OPENED = date(2026, 3, 9)


@tagged("post_install", "-at_install")
class TestDisputeServiceLevel(CollectionsCommon):
    """Disputes get a deadline from the company's service level, go to the right person by reason
    and are analysed by reason, product category, salesperson and outcome."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.salesperson = new_test_user(
            cls.env,
            login="salesperson",
            name="Sam Sales",
            groups="base.group_user,account_collections.group_collection_user",
            company_id=cls.company.id,
        )
        cls.customer = cls._customer("Oslo Outfitters", email="ap@oslo.example.com", tz="UTC")
        cls.customer.with_company(cls.company).collection_user_id = cls.collector
        cls.chairs = cls.env["product.category"].create({"name": "Chairs"})
        cls.tables = cls.env["product.category"].create({"name": "Tables"})
        cls.chair = cls.env["product.product"].create({"name": "Chair", "categ_id": cls.chairs.id})
        cls.table = cls.env["product.product"].create({"name": "Table", "categ_id": cls.tables.id})
        with freeze_time("2026-03-05 10:00:00"):
            cls.invoice = cls._product_invoice([(cls.chair, 600.0), (cls.table, 400.0)], cls.salesperson)
            cls.other = cls._product_invoice([(cls.table, 300.0)], cls.salesperson)
            cls.unsold = cls._product_invoice([(cls.chair, 200.0)], None)
            cls.env["collection.case"].with_context(collection_date=date(2026, 3, 5)).refresh_cases()
        cls.case = cls.env["collection.case"].search([("partner_id", "=", cls.customer.id)])

    @classmethod
    def _product_invoice(cls, lines, salesperson):
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_user_id": salesperson.id if salesperson else False,
                "invoice_date": DUE - timedelta(days=30),
                "invoice_date_due": DUE,
                "invoice_line_ids": [
                    Command.create({"product_id": product.id, "quantity": 1, "price_unit": price, "tax_ids": []})
                    for product, price in lines
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _open(self, invoice, reason, day=OPENED, **vals):
        with freeze_time(f"{day} 10:00:00"):
            dispute = (
                self.env["collection.dispute"]
                .with_user(self.collector)
                .create({"case_id": self.case.id, "invoice_id": invoice.id, "reason": reason, **vals})
            )
            dispute.action_open()
        return dispute

    def _close(self, dispute, action, day):
        with freeze_time(f"{day} 10:00:00"):
            dispute.resolution = "Settled with the customer"
            getattr(dispute.with_user(self.collector), action)()

    # ------------------------------------------------------------------ service level
    def test_deadline_follows_the_company_service_level(self):
        self.assertEqual(self.company.collection_dispute_sla_days, 10, "ten days by default")
        dispute = self._open(self.invoice, "other")
        self.assertEqual(dispute.date_deadline, OPENED + timedelta(days=10))
        self.assertEqual(dispute.activity_ids.date_deadline, dispute.date_deadline, "the activity is due then too")
        self.company.collection_dispute_sla_days = 3
        second = self._open(self.other, "other")
        self.assertEqual(second.date_deadline, OPENED + timedelta(days=3))
        with self.assertRaisesRegex(ValidationError, "dispute service level .* at least 1 day"):
            self.company.collection_dispute_sla_days = 0

    def test_deadline_cannot_be_written_by_hand(self):
        dispute = self._open(self.invoice, "other")
        with self.assertRaisesRegex(UserError, "Settle By"):
            dispute.with_user(self.collector).write({"date_deadline": OPENED + timedelta(days=90)})
        self.assertEqual(dispute.date_deadline, OPENED + timedelta(days=10))

    def test_what_an_open_dispute_is_about_cannot_be_rewritten(self):
        dispute = self._open(self.invoice, "other", amount=500.0)
        as_collector = dispute.with_user(self.collector)
        with self.assertRaisesRegex(UserError, "only while it is a draft"):
            as_collector.write({"invoice_id": self.other.id})
        as_collector.amount = 400.0  # still open: the amount may change
        self._close(dispute, "action_reject", OPENED + timedelta(days=2))
        with self.assertRaisesRegex(UserError, "only until it is settled"):
            as_collector.write({"amount": 100.0})
        self.assertEqual((dispute.invoice_id, dispute.amount), (self.invoice, 400.0))

    def test_overdue_disputes_are_flagged_searched_and_counted_on_the_dashboard(self):
        late = self._open(self.invoice, "other", day=OPENED)
        recent = self._open(self.other, "other", day=OPENED + timedelta(days=8))
        settled_late = self._open(self.unsold, "other", day=OPENED)
        self._close(settled_late, "action_reject", OPENED + timedelta(days=12))
        Dispute = self.env["collection.dispute"].with_user(self.collector)
        Case = self.env["collection.case"].with_user(self.collector)
        with freeze_time(f"{OPENED + timedelta(days=10)} 10:00:00"):
            self.assertFalse(late.is_overdue, "due today: not late yet")
            data = Case.get_dashboard_data()
            self.assertEqual((data["disputes_open"], data["disputes_overdue"]), (2, 0))
        with freeze_time(f"{OPENED + timedelta(days=11)} 10:00:00"):
            late.invalidate_recordset(["is_overdue"])
            self.assertTrue(late.is_overdue)
            self.assertEqual(Dispute.search([("is_overdue", "=", True)]), late)
            self.assertEqual(
                Dispute.search([("is_overdue", "=", False), ("case_id", "=", self.case.id)]), recent | settled_late
            )
            data = Case.get_dashboard_data()
            self.assertEqual((data["disputes_open"], data["disputes_overdue"]), (2, 1))

    # ------------------------------------------------------------------ routing
    def test_commercial_reasons_go_to_the_salesperson_others_to_the_collector(self):
        quality = self._open(self.invoice, "quality")
        self.assertEqual(quality.user_id, self.salesperson)
        self.assertEqual(quality.activity_ids.user_id, self.salesperson, "the salesperson is asked to settle it")
        paid = self._open(self.other, "already_paid")
        self.assertEqual(paid.user_id, self.collector)
        self.assertEqual(paid.activity_ids.user_id, self.collector)
        for reason in ("pricing", "quantity", "not_received"):
            draft = self.env["collection.dispute"].create(
                {"case_id": self.case.id, "invoice_id": self.unsold.id, "reason": reason}
            )
            self.assertEqual(draft.user_id, self.collector, f"{reason}: no salesperson on the invoice, the collector")

    def test_routing_is_configurable_per_reason(self):
        routes = self.env["collection.dispute.route"].search([("company_id", "=", self.company.id)])
        self.assertEqual(len(routes), 7, "one route per reason, made at install")
        self.assertEqual(
            set(routes.filtered(lambda r: r.route_to == "salesperson").mapped("reason")),
            {"pricing", "quantity", "quality", "not_received"},
        )
        routes.filtered(lambda r: r.reason == "quality").with_user(self.collection_manager).route_to = "collector"
        routes.filtered(lambda r: r.reason == "other").with_user(self.collection_manager).route_to = "salesperson"
        self.assertEqual(self._open(self.invoice, "quality").user_id, self.collector)
        self.assertEqual(self._open(self.other, "other").user_id, self.salesperson)
        with self.assertRaises(AccessError):
            routes[:1].with_user(self.collector).route_to = "collector"

    def test_a_new_company_gets_its_routes(self):
        company = self.env["res.company"].create({"name": "Routing Ltd"})
        routes = self.env["collection.dispute.route"].search([("company_id", "=", company.id)])
        self.assertEqual(
            dict((route.reason, route.route_to) for route in routes),
            {
                "pricing": "salesperson",
                "quantity": "salesperson",
                "quality": "salesperson",
                "not_received": "salesperson",
                "not_ordered": "collector",
                "already_paid": "collector",
                "other": "collector",
            },
        )

    # ------------------------------------------------------------------ report
    def test_dispute_report_figures(self):
        # quality on the chair-and-table invoice (chairs: the largest line), credited in 4 days;
        # already paid on the table invoice, rejected in 12 days; quantity on the unsold chair, open
        credited = self._open(self.invoice, "quality", amount=250.0)
        rejected = self._open(self.other, "already_paid")
        self._open(self.unsold, "quantity", day=OPENED + timedelta(days=6))
        self._close(credited, "action_credit", OPENED + timedelta(days=4))
        self._close(rejected, "action_reject", OPENED + timedelta(days=12))
        Report = self.env["collection.dispute.report"].with_user(self.collector)
        self.env.flush_all()
        self.env.cr.execute("SELECT CURRENT_DATE")
        db_today = self.env.cr.fetchone()[0]  # the view ages open disputes to the database's today
        open_age = (db_today - (OPENED + timedelta(days=6))).days
        rows = {row.dispute_id.invoice_id: row for row in Report.search([("partner_id", "=", self.customer.id)])}
        self.assertEqual(len(rows), 3)
        row = rows[self.invoice]
        self.assertEqual(
            (row.reason, row.outcome, row.product_category_id, row.salesperson_id, row.amount),
            ("quality", "credited", self.chairs, self.salesperson, 250.0),
        )
        self.assertEqual((row.age_days, row.resolution_days), (4.0, 4.0))
        row = rows[self.other]
        self.assertEqual((row.outcome, row.product_category_id, row.user_id), ("rejected", self.tables, self.collector))
        self.assertEqual((row.age_days, row.resolution_days, row.overdue_count), (12.0, 12.0, 0))
        row = rows[self.unsold]
        self.assertEqual((row.outcome, row.salesperson_id.id, row.resolution_days), ("open", False, 0.0))
        self.assertEqual((row.age_days, row.overdue_count), (float(open_age), 1), "open since, past its deadline")
        totals = Report.read_group(
            [("partner_id", "=", self.customer.id)],
            ["dispute_count:sum", "amount:sum", "age_days:avg", "resolution_days:avg", "overdue_count:sum"],
            [],
        )[0]
        self.assertEqual(totals["dispute_count"], 3)
        self.assertAlmostEqual(totals["amount"], 250.0 + 300.0 + 200.0)
        self.assertAlmostEqual(totals["age_days"], (4 + 12 + open_age) / 3)
        self.assertAlmostEqual(totals["resolution_days"], (4 + 12) / 2, msg="settled disputes only")
        self.assertEqual(totals["overdue_count"], 1)
        by_outcome = Report.read_group([("partner_id", "=", self.customer.id)], ["amount:sum"], ["outcome"])
        self.assertEqual(
            {group["outcome"]: group["amount"] for group in by_outcome},
            {"credited": 250.0, "rejected": 300.0, "open": 200.0},
        )
