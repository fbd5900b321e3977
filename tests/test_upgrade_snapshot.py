"""The reader and the comparison of ``make upgrade-check`` (tests/upgrade/upgrade_data.py) on this schema."""

import copy
import io
import os
import sys
from contextlib import redirect_stdout
from unittest.mock import patch

from odoo.tests import TransactionCase, tagged

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "upgrade"))
import upgrade_data  # noqa: E402


@tagged("post_install", "-at_install")
class TestUpgradeSnapshot(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.flush_all()
        cls.before = upgrade_data.snapshot(cls.env.cr)

    def _compare(self, after):
        output = io.StringIO()
        with redirect_stdout(output):
            failures = upgrade_data.compare(self.before, after)
        return failures, output.getvalue()

    def test_reads_what_an_upgrade_must_keep(self):
        fields_ = self.before["fields"]
        for model, name in (
            ("collection.case", "state"),
            ("collection.case", "stage_id"),
            ("collection.case", "amount_due"),
            ("collection.case", "risk_score"),
            ("collection.event", "reason_code"),
            ("collection.promise", "invoice_ids"),
            ("collection.payment.plan.line", "amount"),
            ("account.move", "collection_hold"),
            ("account.move", "collection_case_id"),
            ("account.move", "amount_residual"),
            ("res.partner", "risk_score"),
        ):
            self.assertIn(name, fields_.get(model, []), f"{model}.{name} is compared by the upgrade check")
        self.assertNotIn("write_date", fields_["collection.case"], "the upgrade itself writes rows")
        cases = self.env["collection.case"].search([])
        self.assertEqual(set(self.before["rows"]["collection.case"]), {str(case_id) for case_id in cases.ids})
        case = cases[:1]
        self.assertEqual(self.before["rows"]["collection.case"][str(case.id)]["state"], case.state)

    def test_same_database_same_snapshot(self):
        again = upgrade_data.snapshot(self.env.cr, self.before["fields"])
        self.assertEqual(again["missing_fields"], {})
        failures, output = self._compare(again)
        self.assertEqual(failures, 0, output)

    def test_lost_record_changed_value_and_missing_field_fail(self):
        after = copy.deepcopy(self.before)
        events = after["rows"]["collection.event"]
        self.assertTrue(events, "the demo data has events")
        lost = min(events, key=int)
        del events[lost]
        invoice = next(iter(after["rows"]["account.move"].values()))
        invoice["collection_hold"] = "changed-by-the-upgrade"
        after["missing_fields"]["collection.case.paused_until"] = "collection.case.paused_until is no field any more"
        failures, output = self._compare(after)
        self.assertEqual(failures, 3, output)
        self.assertIn(f"LOST     collection.event {lost}", output)
        self.assertIn("collection_hold: ", output)
        self.assertIn("paused_until is no field any more", output)

    def test_allowed_change_does_not_fail(self):
        after = copy.deepcopy(self.before)
        case = next(iter(after["rows"]["collection.case"].values()))
        case["name"] = "CASE/2026/00001"
        allowed = {("collection.case", "name"): "a reference from a sequence"}
        with patch.dict(upgrade_data.ALLOWED_CHANGES, allowed):
            failures, output = self._compare(after)
        self.assertEqual(failures, 0, output)
        self.assertIn("allowed  1 change(s) of name: a reference from a sequence", output)
