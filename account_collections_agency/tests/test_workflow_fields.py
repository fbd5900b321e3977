from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common_import import AgencyImportCommon


@tagged("post_install", "-at_install")
class TestPlacementWorkflowFields(AgencyImportCommon):
    """Placement states and what the agency reports on its lines come from the actions and the
    status imports, never from a collector's create or write."""

    def test_collector_cannot_write_placement_states(self):
        placement = self.placement.with_user(self.collector)
        for state in ("closed", "acknowledged", "draft"):
            with self.subTest(state=state), self.assertRaisesRegex(AccessError, r"State \(state\).*action_close"):
                placement.write({"state": state})
        Placement = self.env(user=self.collector)["collection.agency.placement"]
        with self.assertRaisesRegex(AccessError, r"\(state\)"):
            Placement.create({"agency_id": self.agency.id, "state": "closed"})
        self.assertEqual(self.placement.state, "sent")
        placement.action_acknowledge()
        self.assertEqual(self.placement.state, "acknowledged")
        self.assertEqual(self.placement.write_uid, self.collector)

    def test_placement_form_creates_a_draft(self):
        with Form(self.env(user=self.collector)["collection.agency.placement"]) as form:
            form.agency_id = self.agency
        self.assertEqual(form.record.state, "draft")

    def test_collector_cannot_type_in_what_the_agency_reports(self):
        line = self._line(self.invoice_a).with_user(self.collector)
        for vals in (
            {"status": "paid"},
            {"status": "recalled", "recall_reason": "mine"},
            {"amount_recovered": 1000.0},
            {"commission": 0.0, "amount_recovered": 0.0},
        ):
            with self.subTest(vals=vals), self.assertRaisesRegex(AccessError, r"import_file"):
                line.write(vals)
        self.assertEqual(self._line(self.invoice_a).status, "placed")
        # the status file is the way: imported by the collector, it updates the line
        data = self._csv([[self.invoice_a.name, "in_progress", "0", "", "Called the debtor"]])
        self.placement.with_user(self.collector).import_file(data, "status.csv")
        self.assertEqual(self._line(self.invoice_a).status, "in_progress")
        self.assertEqual(self.placement.state, "acknowledged")

    def test_collector_recalls_through_the_wizard(self):
        line = self._line(self.invoice_a)
        action = line.with_user(self.collector).action_recall()
        recall = (
            self.env(user=self.collector)["collection.agency.recall"]
            .with_context(**action["context"])
            .create({"reason": "Customer called us"})
        )
        recall.action_confirm()
        self.assertEqual((line.status, line.recall_reason), ("recalled", "Customer called us"))
        with self.assertRaises(UserError):
            line.case_id.with_user(self.collector).write(
                {"stage_id": self.env["collection.stage"]._get_by_code("agency").id}
            )
