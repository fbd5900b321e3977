from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .placement_common import PlacementCommon


@tagged("post_install", "-at_install")
class TestAgencyReport(PlacementCommon):
    def test_performance_figures(self):
        placement = self._handover(self._case(self.customer) | self._case(self.other))
        today = fields.Date.context_today(self.env.user)
        by_invoice = {line.invoice_id: line for line in placement.line_ids}
        paid_on, partly_paid_on = today + timedelta(days=10), today + timedelta(days=4)
        # sudo: what the agency's status files would report
        by_invoice[self.invoice].sudo().write(
            {"status": "paid", "amount_recovered": 1000.0, "commission": 200.0, "status_date": paid_on}
        )
        by_invoice[self.other_invoice].sudo().write(
            {"status": "partial", "amount_recovered": 100.0, "commission": 20.0, "status_date": partly_paid_on}
        )
        self.assertEqual(placement.amount_recovered, 1100.0)
        # a recalled invoice does not count against the agency
        by_invoice[self.invoice_2]._recall("Customer paid us")
        self.assertEqual(placement.commission, 220.0)
        self.env.flush_all()
        Report = self.env["collection.agency.report"]
        [row] = Report._read_group(
            [("agency_id", "=", self.agency.id)],
            ["agency_id"],
            ["amount_placed:sum", "amount_recovered:sum", "commission:sum", "recovery_rate:avg",
             "days_to_recover:avg", "line_count:sum"],
        )  # fmt: skip
        agency, placed, recovered, commission, rate, days, count = row
        self.assertEqual(agency, self.agency)
        self.assertEqual((placed, recovered, commission, count), (1400.0, 1100.0, 220.0, 2))
        self.assertAlmostEqual(rate, 100 * 1100 / 1400, places=2)
        self.assertEqual(days, 10.0, "only fully recovered invoices count for the days to recover")
        by_status = dict(Report._read_group([("agency_id", "=", self.agency.id)], ["status"], ["amount_net:sum"]))
        self.assertEqual(by_status["paid"], 800.0)
        self.assertEqual(by_status["partial"], 80.0)
        self.assertNotIn("recalled", by_status)

    def test_amounts_in_company_currency(self):
        foreign = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        self._invoice(self.other, 50, 500.0, currency=foreign)
        foreign_case = self._case(self.other).filtered(lambda c: c.currency_id == foreign)
        self.assertTrue(foreign_case, "one case per currency")
        placement = self._handover(foreign_case)
        self.assertEqual(placement.line_ids.amount_placed, 500.0)
        self.assertEqual(placement.line_ids.currency_id, foreign)
        self.assertEqual(placement.amount_placed, 250.0, "the placement sums in company currency")
        self.env.flush_all()
        [[placed]] = self.env["collection.agency.report"]._read_group(
            [("placement_id", "=", placement.id)], [], ["amount_placed:sum"]
        )
        self.assertEqual(placed, 250.0)
