from odoo import fields, models
from odoo.exceptions import UserError

from ..tools import GROUP_USER, check_group

# stages a dispute may move a case out of, to the disputed stage
DISPUTABLE_STAGE_CODES = ("new", "reminded")


class CollectionCase(models.Model):
    """Disputes on a case: the disputed stage, and disputes settled by themselves when paid."""

    _inherit = "collection.case"

    dispute_ids = fields.One2many("collection.dispute", "case_id", string="Disputes", readonly=True)
    dispute_count = fields.Integer(compute="_compute_dispute_count", string="Open Disputes")

    def _compute_dispute_count(self):
        counts = dict(
            self.env["collection.dispute"]._read_group(
                [("case_id", "in", self.ids), ("state", "in", ("draft", "open"))], ["case_id"], ["__count"]
            )
        )
        for case in self:
            case.dispute_count = counts.get(case, 0)

    def action_new_dispute(self):
        """Case form button: a new dispute on this case (on its only dunned invoice, if one)."""
        check_group(self.env, GROUP_USER, self.env._("record a dispute"))
        self.ensure_one()
        if self.state != "open":
            raise UserError(
                self.env._("Case %(case)s is closed: there is no open invoice to dispute.", case=self.display_name)
            )
        disputable = self.open_invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.collection_hold != "dispute"
        )
        context = {"default_case_id": self.id}
        if len(disputable) == 1:
            context["default_invoice_id"] = disputable.id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Dispute"),
            "res_model": "collection.dispute",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": context,
        }

    def action_view_disputes(self):
        check_group(self.env, GROUP_USER, self.env._("view the disputes of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_dispute")
        action.update(
            domain=[("case_id", "=", self.id)],
            context={"default_case_id": self.id, "search_default_filter_open": 1},
        )
        return action

    def _sync_dispute_stage(self):
        """Disputed stage while every dunnable invoice of the case is disputed; back to reminded after.

        An invoice is dunnable when open, not excluded from dunning and not time-barred; the
        other holds (promise, plan) count as not disputed.
        """
        to_disputed, to_reminded = self.browse(), self.browse()
        for case in self.filtered(lambda c: c.state == "open"):
            candidates = case.open_invoice_ids.filtered(lambda m: not m.collection_blocked and not m.time_barred)
            all_disputed = bool(candidates) and all(m.collection_hold == "dispute" for m in candidates)
            if all_disputed and case.stage_code in DISPUTABLE_STAGE_CODES:
                to_disputed |= case
            elif not all_disputed and case.stage_code == "disputed":
                to_reminded |= case
        to_disputed._move_to_agreement_stage("disputed")
        to_reminded._move_to_agreement_stage("reminded")
