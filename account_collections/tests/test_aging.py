import base64
import io
import zipfile
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CollectionsCommon

try:
    import openpyxl
except ImportError:  # pragma: no cover - the export test falls back to reading the zip
    openpyxl = None

AS_OF_DAYS_AGO = 200
# days past due on the as-of date -> amount; each amount is a distinct power of two
BOUNDARY_AMOUNTS = {0: 100, 1: 200, 30: 400, 31: 800, 60: 1600, 61: 3200, 90: 6400, 91: 12800, 120: 25600, 121: 51200}
EXPECTED_BUCKET = {
    0: "current",
    1: "1_30",
    30: "1_30",
    31: "31_60",
    60: "31_60",
    61: "61_90",
    90: "61_90",
    91: "91_120",
    120: "91_120",
    121: "120_plus",
}


@tagged("post_install", "-at_install")
class TestAgedReceivable(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.as_of = cls.today - timedelta(days=AS_OF_DAYS_AGO)
        cls.customer = cls._customer("Aging Customer", country_id=cls.env.ref("base.be").id)
        cls.customer.with_company(cls.company).collection_user_id = cls.collector
        # an invoice due on the as-of date minus N days for every bucket boundary N
        cls.boundary_invoices = {
            days: cls._invoice(cls.customer, AS_OF_DAYS_AGO + days, amount) for days, amount in BOUNDARY_AMOUNTS.items()
        }
        # paid in full today, after the as-of date: still fully open on the as-of date
        cls._pay(cls.boundary_invoices[31])
        # half paid the day before the as-of date: half open on it
        cls._pay(cls.boundary_invoices[1], amount=50, date=cls.as_of - timedelta(days=1))
        # booked after the as-of date: not there yet
        cls.later_invoice = cls._invoice(cls.customer, AS_OF_DAYS_AGO - 20, 999)
        cls.Aging = cls.env["collection.aged.receivable"]

    def _rows(self, date, domain=()):
        return self.Aging.with_context(aging_date=fields.Date.to_string(date)).search(
            [("company_id", "=", self.company.id), *domain]
        )

    def test_bucket_boundaries_as_of_past_date(self):
        rows = self._rows(self.as_of)
        by_move = {row.move_id: row for row in rows}
        self.assertNotIn(self.later_invoice, by_move, "an invoice booked after the as-of date is not aged")
        for days, invoice in self.boundary_invoices.items():
            row = by_move[invoice]
            self.assertEqual(row.days_overdue, days)
            self.assertEqual(row.aging_bucket, EXPECTED_BUCKET[days], f"day {days}")
            expected = BOUNDARY_AMOUNTS[days] - (50 if days == 1 else 0)
            self.assertAlmostEqual(row.amount_total, expected, msg=f"residual on the as-of date, day {days}")
            self.assertAlmostEqual(row[f"amount_{EXPECTED_BUCKET[days]}"], expected)
            self.assertEqual(row.partner_id, self.customer)
            self.assertEqual(row.collector_id, self.collector)
            self.assertEqual(row.user_id, invoice.invoice_user_id)
            self.assertEqual(row.country_id, self.env.ref("base.be"))

    def test_get_aging_totals_as_of_past_date(self):
        result = self.Aging.get_aging(date=fields.Date.to_string(self.as_of), company_ids=self.company.ids)
        self.assertEqual(
            result["buckets"],
            {
                "current": 100.0,
                "1_30": 150.0 + 400.0,
                "31_60": 800.0 + 1600.0,
                "61_90": 3200.0 + 6400.0,
                "91_120": 12800.0 + 25600.0,
                "120_plus": 51200.0,
                "total": 102250.0,
            },
        )
        self.assertEqual(result["partner_count"], 1)
        self.assertEqual(result["line_count"], 10)
        self.assertEqual(result["companies"][0]["company_id"], self.company.id)
        self.assertEqual(result["companies"][0]["buckets"]["total"], 102250.0)

    def test_today_aging_drops_paid_invoice(self):
        result = self.Aging.get_aging(company_ids=self.company.ids)
        # today the invoice due at 31 days is paid, the later invoice is open and all are over 120 days
        self.assertAlmostEqual(result["buckets"]["total"], 102250.0 - 800.0 + 999.0)
        self.assertAlmostEqual(result["buckets"]["120_plus"], 102250.0 - 800.0 + 999.0)
        self.assertEqual(result["line_count"], 10)

    def test_pivot_groups_read_the_as_of_date(self):
        groups = self.Aging.with_context(aging_date=fields.Date.to_string(self.as_of))._read_group(
            [("company_id", "=", self.company.id)], ["collector_id"], ["amount_1_30:sum", "amount_total:sum"]
        )
        self.assertEqual(groups, [(self.collector, 550.0, 102250.0)])

    def test_multi_currency_in_company_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("1900-01-01", 2.0)])
        customer = self._customer("Euro Customer")
        invoice = self._invoice(customer, 5, 300, currency=eur)
        row = self.Aging.search([("move_id", "=", invoice.id)])
        self.assertEqual(row.currency_id, eur)
        self.assertEqual(row.company_currency_id, self.company.currency_id)
        self.assertAlmostEqual(row.amount_1_30, 150.0, msg="300 EUR at 2 EUR per unit of company currency")
        self.assertAlmostEqual(row.amount_total, 150.0)
        self.assertAlmostEqual(row.amount_residual_currency, 300.0)

    def test_collector_reads_aging(self):
        rows = self.Aging.with_user(self.collector).with_context(aging_date=fields.Date.to_string(self.as_of))
        self.assertEqual(len(rows.search([("partner_id", "=", self.customer.id)])), 10)
        self.assertEqual(rows.get_aging(date=self.as_of)["line_count"], 10)

    def test_get_aging_rejects_bad_input(self):
        with self.assertRaisesRegex(UserError, "not a date"):
            self.Aging.get_aging(date="yesterday")
        with self.assertRaisesRegex(UserError, "Unknown company ids"):
            self.Aging.get_aging(company_ids=[999999])

    def _wizard(self):
        return self.env["collection.aged.receivable.wizard"].create(
            {"date": self.as_of, "company_ids": [(6, 0, self.company.ids)]}
        )

    def test_wizard_opens_pivot_as_of_date(self):
        action = self._wizard().action_open()
        self.assertEqual(action["res_model"], "collection.aged.receivable")
        self.assertEqual(action["context"]["aging_date"], fields.Date.to_string(self.as_of))
        self.assertEqual(action["domain"], [("company_id", "in", self.company.ids)])
        wizard = self.env["collection.aged.receivable.wizard"].create({"date": self.today + timedelta(days=1)})
        with self.assertRaisesRegex(UserError, "future"):
            wizard.action_open()

    def test_pdf_export(self):
        wizard = self._wizard()
        self.assertEqual(wizard.action_print_pdf()["report_name"], "account_collections.report_aged_receivable")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account_collections.report_aged_receivable", wizard.ids)[0]
            .decode()
        )
        self.assertIn("Aging Customer", html)
        self.assertIn("102,250.00", html)
        pdf = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("account_collections.report_aged_receivable", wizard.ids)[0]
        )
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_xlsx_export(self):
        wizard = self._wizard()
        action = wizard.action_export_xlsx()
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", wizard._name), ("res_id", "=", wizard.id)], limit=1
        )
        self.assertEqual(action["url"], f"/web/content/{attachment.id}?download=true")
        content = base64.b64decode(attachment.datas)
        if openpyxl is None:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                self.assertIn("Aging Customer", archive.read("xl/sharedStrings.xml").decode())
            return
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        rows = list(sheet.iter_rows(min_row=4, values_only=True))
        self.assertEqual(rows[0], ("Customer", "Current", "1-30", "31-60", "61-90", "91-120", "120+", "Total"))
        self.assertEqual(rows[1], ("Aging Customer", 100, 550, 2400, 9600, 38400, 51200, 102250))
        self.assertEqual(rows[2], ("Total", 100, 550, 2400, 9600, 38400, 51200, 102250))

    def test_pdf_export_one_page_per_company(self):
        other = self.setup_other_company(name="Second Aging Company")["company"]
        self.env.user.company_ids |= other
        self._invoice(self._customer("Second Company Customer"), 250, 700, company=other)
        wizard = self.env["collection.aged.receivable.wizard"].create(
            {"date": self.as_of, "company_ids": [(6, 0, (self.company | other).ids)]}
        )
        report = self.env["ir.actions.report"]
        html = report._render_qweb_html("account_collections.report_aged_receivable", wizard.ids)[0].decode()
        self.assertIn("Second Company Customer", html)
        self.assertIn("Aging Customer", html)
        self.assertEqual(html.count("page-break-before"), 1, "the second company starts a new page")
        pdf = report.with_context(force_report_rendering=True)._render_qweb_pdf(
            "account_collections.report_aged_receivable", wizard.ids
        )[0]
        self.assertTrue(pdf.startswith(b"%PDF"))
