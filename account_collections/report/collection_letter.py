from collections import defaultdict

from odoo import api, models


class ReportCollectionLetter(models.AbstractModel):
    """Reminder letter of collection cases: the case and its open items, fetched for all cases at once."""

    _name = "report.account_collections.report_collection_letter"
    _description = "Collection Reminder Letter"

    @api.model
    def _get_report_values(self, docids, data=None):
        cases = self.env["collection.case"].browse(docids)
        open_items = self._open_items(cases)
        unallocated_by_case = {}
        for case in cases:
            listed = sum(
                -move.amount_residual if move.move_type == "out_refund" else move.amount_residual
                for move in open_items[case.id]
            )
            # payments and credits on account that are not matched to any listed document
            unallocated_by_case[case.id] = case.currency_id.round(case.amount_due - listed)
        return {
            "doc_ids": docids,
            "doc_model": "collection.case",
            "docs": cases,
            "today": self.env["collection.case"]._collection_today(),
            "open_items": open_items,
            "unallocated_by_case": unallocated_by_case,
        }

    @api.model
    def _open_items(self, cases):
        """Open customer invoices and credit notes of each case, in one search for all cases.

        :return: ``{case id: account.move recordset}`` ordered by due date
        """
        moves = self.env["account.move"].search(
            [
                ("move_type", "in", ("out_invoice", "out_refund", "out_receipt")),
                ("state", "=", "posted"),
                ("amount_residual", "!=", 0),
                ("commercial_partner_id", "in", cases.partner_id.ids),
                ("company_id", "in", cases.company_id.ids),
                ("currency_id", "in", cases.currency_id.ids),
            ],
            order="invoice_date_due, name, id",
        )
        move_ids = defaultdict(list)
        for move in moves:
            # an invoice with a policy of its own is in the case of that policy (credit notes never are)
            key = (move.commercial_partner_id.id, move.company_id.id, move.currency_id.id, move.collection_policy_id.id)
            move_ids[key].append(move.id)
        return {
            case.id: moves.browse(
                move_ids[(case.partner_id.id, case.company_id.id, case.currency_id.id, case.invoice_policy_id.id)]
            ).with_prefetch(moves._prefetch_ids)
            for case in cases
        }
