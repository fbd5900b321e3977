from odoo.exceptions import UserError
from odoo.tests import tagged

from .placement_common import PlacementCommon


@tagged("post_install", "-at_install")
class TestRecall(PlacementCommon):
    def _recall(self, lines, reason, user=None):
        env = self.env(user=user) if user else self.env
        action = env["collection.agency.placement.line"].browse(lines.ids).action_recall()
        wizard = env["collection.agency.recall"].with_context(**action["context"]).create({"reason": reason})
        return wizard.action_confirm()

    def test_recall_whole_placement_returns_case_to_dunning(self):
        case = self._case(self.customer)
        placement = self._handover(case)
        self._recall(placement.line_ids, "Customer settles directly", user=self.collector)
        self.assertEqual(set(placement.line_ids.mapped("status")), {"recalled"})
        self.assertEqual(set(placement.line_ids.mapped("recall_reason")), {"Customer settles directly"})
        self.assertFalse(placement.line_ids.filtered("is_open"))
        self.assertEqual(case.stage_code, "new", "no level was sent before the placement")
        self.assertFalse(case.placed_agency_id)
        event = case.event_ids.filtered(lambda e: e.channel == "agency" and "Recalled" in e.name)
        self.assertEqual(event.name, "Recalled from Recovery Ltd: Customer settles directly")
        self.assertEqual(event.invoice_ids, self.invoice | self.invoice_2)
        # back in internal dunning: the engine reminds the customer again
        self._run_engine()
        self.assertTrue(case.event_ids.filtered(lambda e: e.channel == "email"))
        self.assertEqual(case.stage_code, "reminded")

    def test_recall_returns_to_the_level_reached(self):
        case = self._case(self.customer)
        self._run_engine()
        level = case.level_id
        self.assertTrue(level)
        placement = self._handover(case)
        self._recall(placement.line_ids, "Agency too slow")
        self.assertEqual(case.stage_code, "reminded")
        self.assertEqual(case.level_id, level, "dunning resumes at the level reached, not from scratch")

    def test_partial_recall_keeps_case_at_agency(self):
        case = self._case(self.customer)
        placement = self._handover(case)
        line = placement.line_ids.filtered(lambda ln: ln.invoice_id == self.invoice_2)
        self._recall(line, "Paid to us")
        self.assertEqual(line.status, "recalled")
        self.assertEqual((placement.line_ids - line).status, "placed")
        self.assertEqual(case.stage_code, "agency", "one invoice is still at the agency")
        self.assertEqual(self._run_engine()["cases"], 1, "only the other customer is dunned")

    def test_recall_needs_a_reason_and_open_lines(self):
        placement = self._handover(self._case(self.customer))
        with self.assertRaisesRegex(UserError, "Say why"):
            placement.line_ids._recall("  ")
        placement.line_ids._recall("Done")
        with self.assertRaisesRegex(UserError, "no longer worked by the agency"):
            placement.line_ids._recall("Again")

    def test_placement_with_invoices_at_the_agency_cannot_be_deleted(self):
        placement = self._handover(self._case(self.customer))
        with self.assertRaisesRegex(UserError, "recall them before deleting"):
            placement.unlink()
        action = placement.action_recall()
        self.assertEqual(action["context"]["default_line_ids"], placement.line_ids.ids)
        placement.line_ids._recall("Wrong agency")
        placement.unlink()
        self.assertEqual(self._case(self.customer).stage_code, "new")
