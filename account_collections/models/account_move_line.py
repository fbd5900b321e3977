from odoo import models

from ..tools import collection_today


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _reconcile_plan(self, reconciliation_plan):
        res = super()._reconcile_plan(reconciliation_plan)
        self._collection_refresh_partners(reconciliation_plan)
        return res

    def remove_move_reconcile(self):
        moves = (self.matched_debit_ids.debit_move_id | self.matched_credit_ids.credit_move_id | self).move_id
        res = super().remove_move_reconcile()
        moves._collection_refresh()
        return res

    def _collection_refresh_partners(self, reconciliation_plan):
        lines = self.browse()
        stack = list(reconciliation_plan)
        while stack:
            item = stack.pop()
            if isinstance(item, models.BaseModel):
                lines |= item
            else:
                stack.extend(item)
        receivable = lines.filtered(lambda line: line.account_type == "asset_receivable")
        if receivable and not self.env.context.get("collection_no_refresh"):
            Engine = self.env["collection.engine"]
            run = Engine._new_run(collection_today(self), receivable.company_id)
            Engine._refresh(run, partner_ids=receivable.partner_id.commercial_partner_id.ids)
