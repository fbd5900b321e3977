from datetime import date

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestCollectionKpi(CollectionsCommon):
    """DSO and CEI on a small ledger whose figures are worked out by hand below."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.customer = cls._customer("KPI Customer")
        # opening balance for January 2025: 1000
        inv1 = cls._invoice_on(date(2024, 12, 10), date(2025, 1, 9), 1000)
        # January: sales 2000, collected 1000
        inv2 = cls._invoice_on(date(2025, 1, 15), date(2025, 2, 14), 2000)
        cls._pay(inv1, date=date(2025, 1, 20))
        # February: sales 3000 - 200 credit note; 500 of inv2 and 300 of inv3 (not yet due) collected
        inv3 = cls._invoice_on(date(2025, 2, 10), date(2025, 3, 12), 3000)
        cls._invoice_on(date(2025, 2, 25), date(2025, 2, 25), 200, move_type="out_refund")
        cls._pay(inv2, amount=500, date=date(2025, 2, 20))
        cls._pay(inv3, amount=300, date=date(2025, 2, 26))
        # March: sales 1500, 1000 of inv2 collected; inv3 and inv4 paid in April (after the period)
        inv4 = cls._invoice_on(date(2025, 3, 20), date(2025, 4, 19), 1500)
        cls._pay(inv2, amount=1000, date=date(2025, 3, 15))
        cls._pay(inv3, date=date(2025, 4, 5))
        cls._pay(inv4, amount=500, date=date(2025, 4, 2))

    @classmethod
    def _invoice_on(cls, invoice_date, due_date, amount, move_type="out_invoice"):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": cls.customer.id,
                "invoice_date": invoice_date,
                "invoice_date_due": due_date,
                "invoice_line_ids": [
                    Command.create({"name": "Service", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        move.action_post()
        return move

    def _kpis(self):
        rows = self.env["collection.kpi.month"].get_kpis(company_ids=self.company.ids, months=3, date="2025-03-31")
        return {row["month"]: row for row in rows}

    def test_dso_and_cei_by_hand(self):
        kpis = self._kpis()
        self.assertEqual(list(kpis), ["2025-01-01", "2025-02-01", "2025-03-01"])
        january, february, march = kpis.values()
        # January: opening 1000, sales 2000, closing 1000 + 2000 - 1000 = 2000, not yet due: inv2 2000
        self.assertEqual(
            (january["receivable_opening"], january["credit_sales"], january["receivable_closing"]),
            (1000.0, 2000.0, 2000.0),
        )
        self.assertEqual(january["receivable_current"], 2000.0)
        self.assertAlmostEqual(january["dso"], 2000 / 2000 * 31)
        self.assertAlmostEqual(january["cei"], (1000 + 2000 - 2000) / (1000 + 2000 - 2000) * 100)
        # February: sales 3000 - 200 = 2800, closing 2000 + 2800 - 500 - 300 = 4000,
        # not yet due on the 28th: inv3 3000 - 300 = 2700
        self.assertEqual(
            (february["receivable_opening"], february["credit_sales"], february["receivable_closing"]),
            (2000.0, 2800.0, 4000.0),
        )
        self.assertEqual(february["receivable_current"], 2700.0)
        self.assertEqual(february["days"], 28)
        self.assertAlmostEqual(february["dso"], round(4000 / 2800 * 28, 2))
        self.assertAlmostEqual(february["cei"], round((2000 + 2800 - 4000) / (2000 + 2800 - 2700) * 100, 2))
        # March: sales 1500, closing 4000 + 1500 - 1000 = 4500; the April payments do not count:
        # not yet due on the 31st: inv4 1500 in full
        self.assertEqual(
            (march["receivable_opening"], march["credit_sales"], march["receivable_closing"]),
            (4000.0, 1500.0, 4500.0),
        )
        self.assertEqual(march["receivable_current"], 1500.0)
        self.assertEqual(march["collected"], 1000.0)
        self.assertAlmostEqual(march["dso"], 4500 / 1500 * 31)
        self.assertAlmostEqual(march["cei"], (4000 + 1500 - 4500) / (4000 + 1500 - 1500) * 100)

    def test_kpi_view_reads_context_period(self):
        groups = (
            self.env["collection.kpi.month"]
            .with_context(kpi_date="2025-03-31", kpi_months=3)
            ._read_group([("company_id", "=", self.company.id)], ["month:month"], ["dso:avg", "cei:avg"])
        )
        self.assertEqual(len(groups), 3)
        self.assertAlmostEqual(groups[2][1], 93.0)
        self.assertAlmostEqual(groups[2][2], 25.0)

    def test_current_month_ends_today(self):
        rows = self.env["collection.kpi.month"].get_kpis(company_ids=self.company.ids)
        self.assertEqual(len(rows), 12)
        today = fields.Date.context_today(self.env["res.partner"])
        self.assertEqual(rows[-1]["period_end"], fields.Date.to_string(today))
        self.assertEqual(rows[-1]["days"], today.day)
        # still open today: 500 of inv2, 1000 of inv4 and the credit note of 200
        self.assertEqual(rows[-1]["receivable_closing"], 500.0 + 1000.0 - 200.0)

    def test_get_kpis_rejects_bad_months(self):
        with self.assertRaisesRegex(UserError, "whole number"):
            self.env["collection.kpi.month"].get_kpis(months=0)


@tagged("post_install", "-at_install")
@freeze_time("2026-05-20 12:00:00")  # one day for the ledger and the dashboard, whatever the hour or time zone
class TestCollectionDashboard(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.env["collection.policy"].search([("company_id", "=", cls.company.id)]).is_default = False
        cls.policy.is_default = True
        cls.big = cls._customer("Big Debtor")
        cls.small = cls._customer("Small Debtor")
        cls.payer = cls._customer("Good Payer")
        cls._invoice(cls.big, 10, 1000)
        cls._invoice(cls.small, 40, 500)
        cls._invoice(cls.small, -5, 200)
        # an unapplied credit note: counts against what the customer owes past due
        cls._invoice(cls.small, 0, 300, move_type="out_refund")
        cls._pay(cls._invoice(cls.payer, 5, 300))
        cls.env["collection.case"].refresh_cases(company_ids=cls.company.ids)

    def test_dashboard_data(self):
        data = self.env["collection.case"].with_context(allowed_company_ids=self.company.ids).get_dashboard_data()
        self.assertEqual(data["currency_id"], self.company.currency_id.id)
        self.assertEqual(data["total_due"], 1400.0)
        # Small Debtor: 500 past due, but a balance of 400 only
        self.assertEqual(data["total_overdue"], 1000.0 + 400.0)
        self.assertEqual(
            {bucket["code"]: bucket["amount"] for bucket in data["buckets"]},
            {"current": 200.0 - 300.0, "1_30": 1000.0, "31_60": 500.0, "61_90": 0.0, "91_120": 0.0, "120_plus": 0.0},
        )
        self.assertEqual(data["recovered_month"], 300.0)
        self.assertEqual(len(data["dso_trend"]), 12)
        last_month, this_month = data["dso_trend"][-2:]
        self.assertEqual((last_month["month"], this_month["month"]), ("2026-04-01", "2026-05-01"))
        # everything still open at the end of today, the April invoice included
        self.assertEqual(this_month["receivables"], 1400.0)
        # sold in May: Big 1000, Small 200 less its credit note of 300, the paid 300; in April: Small 500
        self.assertEqual((last_month["credit_sales"], this_month["credit_sales"]), (500.0, 1200.0))
        self.assertEqual(
            [(row["partner"], row["amount_overdue"]) for row in data["top_overdue"]],
            [("Big Debtor", 1000.0), ("Small Debtor", 400.0)],
        )
        self.assertEqual(data["top_overdue"][0]["case_id"], self._case(self.big).id)
        self.assertTrue(data["top_overdue"][0]["case_id"])
        self.assertEqual(data["top_overdue"][1]["days_overdue"], 40)
        self.assertEqual(data["open_cases"], 2)


@tagged("post_install", "-at_install")
class TestCollectionDashboardBrowser(HttpCase):
    def test_dashboard_renders(self):
        """The manager's dashboard loads in the browser and shows its figures, without a JS error."""
        # wait for the figures in the page itself: the first load may build the asset bundles
        self.browser_js(
            "/odoo/action-account_collections.action_collection_dashboard",
            """
            const deadline = Date.now() + 170000;
            (function check() {
                if (document.querySelector(".o_collection_dashboard .o_collection_total_overdue")
                        && document.querySelector(".o_collection_dashboard .o_collection_disputes_overdue")) {
                    console.log("test successful");
                } else if (Date.now() > deadline) {
                    console.error("the collections dashboard did not render");
                } else {
                    setTimeout(check, 200);
                }
            })();
            """,
            login="admin",
            timeout=180,
        )
