from odoo.exceptions import UserError
from odoo.tests import tagged

from .placement_common import PlacementCommon


@tagged("post_install", "-at_install")
class TestPlacedCase(PlacementCommon):
    def test_paid_directly_closes_the_agency_lines(self):
        case = self._case(self.customer)
        placement = self._handover(case)
        self._pay(self.invoice)
        self._pay(self.invoice_2)
        self.assertEqual(case.state, "closed")
        self.assertEqual(case.stage_code, "paid")
        self.assertEqual(set(placement.line_ids.mapped("status")), {"paid"})
        self.assertEqual(sum(placement.line_ids.mapped("amount_recovered")), 0.0, "the agency recovered nothing")
        self.assertFalse(case.placed_agency_id)
        event = case.event_ids.filtered(lambda e: e.channel == "agency" and e.name.startswith("Paid directly"))
        self.assertEqual(event.invoice_ids, self.invoice | self.invoice_2)
        placement.action_close()
        self.assertEqual(placement.state, "closed", "nothing left for the agency: the placement closes")

    def test_partly_paid_directly_keeps_the_lines_open(self):
        case = self._case(self.customer)
        placement = self._handover(case)
        self._pay(self.invoice_2)
        self.assertEqual(case.state, "open")
        self.assertEqual(set(placement.line_ids.mapped("status")), {"placed"}, "the case is still with the agency")

    def test_placed_case_cannot_be_dragged_out_of_the_agency_stage(self):
        case = self._case(self.customer)
        placement = self._handover(case)
        reminded = self.env["collection.stage"]._get_by_code("reminded")
        with self.assertRaisesRegex(UserError, "placed with Recovery Ltd: recall"):
            case.with_user(self.collector).write({"stage_id": reminded.id})
        self.assertEqual(case.stage_code, "agency")
        # once recalled, the case is the collector's again
        action = placement.line_ids.action_recall()
        recall = self.env["collection.agency.recall"].with_context(**action["context"]).create({"reason": "Back"})
        recall.action_confirm()
        case.with_user(self.collector).write({"stage_id": reminded.id})
        self.assertEqual(case.stage_code, "reminded")
