"""A Collections User: every case-work method is theirs; running the engine, dispatching and
the risk bands are the managers'; and their context cannot move "today"."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common_roles import ALLOWED, REFUSED, RolesCommon
from .roles import ACL, DECISIONS, MANAGER, ODOO

# the access right an ORM method needs
ORM_OPERATION = {"create": "create", "write": "write", "unlink": "unlink", "copy_data": "read"}


@tagged("post_install", "-at_install")
class TestRolesCollector(RolesCommon):
    def setUp(self):
        super().setUp()
        self.authenticate("collector", "collector")

    def test_every_public_method_as_a_collector(self):
        wrong = {}
        for (model, method), decision in sorted(DECISIONS.items()):
            if decision == ODOO:
                continue  # Odoo's own rights on its models: the collector's accounting groups decide
            if decision == ACL:
                may = self.env[model].with_user(self.collector).has_access(ORM_OPERATION[method])
                expected = ALLOWED if may else REFUSED
            else:
                expected = REFUSED if decision == MANAGER else ALLOWED
            outcome, detail = self.user_outcome(model, method, self.collector)
            if decision == ACL and expected == REFUSED and detail:
                outcome = REFUSED  # refused by a workflow guard before the access rights: refused still
            if outcome != expected:
                wrong[(model, method)] = (decision, outcome, detail)
        self.assertFalse(wrong, f"calls by a collector that do not follow tests/roles.py: {wrong}")

    def test_manager_methods_refused_over_rpc(self):
        for (model, method), decision in sorted(DECISIONS.items()):
            if decision == MANAGER:
                with self.subTest(method=method):
                    outcome, detail = self.rpc_outcome(model, method, self.collector)
                    self.assertEqual(outcome, REFUSED, detail)

    def test_refresh_only_own_companies(self):
        foreign = self.env["res.company"].create({"name": "Somebody Else Ltd"})
        outcome, detail = self.rpc("collection.case", "refresh_cases", None, [], {"company_ids": foreign.ids})
        self.assertEqual(outcome, REFUSED, detail)
        outcome, detail = self.rpc("collection.case", "refresh_cases", None, [], {"company_ids": self.company.ids})
        self.assertEqual(outcome, ALLOWED, detail)
        self.assertEqual(set(detail), {"created", "updated", "closed"})

    def test_context_date_does_not_move_today(self):
        """The 30-day limit of a promise counts from today, whatever date the caller's context says."""
        self.company.collection_promise_max_days = 30
        today = fields.Date.context_today(self.env["res.partner"])
        promised = today + timedelta(days=45)
        moved = {"collection_date": fields.Date.to_string(today + timedelta(days=40))}
        outcome, detail = self.rpc(
            "collection.promise",
            "create",
            None,
            [
                {
                    "case_id": self.case.id,
                    "invoice_ids": [Command.set(self.invoice_2.ids)],
                    "amount": 50.0,
                    "promised_date": fields.Date.to_string(promised),
                }
            ],
            {"context": moved},
        )
        self.assertEqual(outcome, ALLOWED)
        self.assertIn("more than 30 days away", str(detail), "refused by the limit counted from today")
        self.assertFalse(self.env["collection.promise"].search([("promised_date", "=", promised)]))
