from odoo import api, models


class ReportAgedReceivable(models.AbstractModel):
    """Aged receivables PDF: per company, a row per customer and a column per aging bucket."""

    _name = "report.account_collections.report_aged_receivable"
    _description = "Aged Receivables Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        wizards = self.env["collection.aged.receivable.wizard"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "collection.aged.receivable.wizard",
            "docs": wizards,
            "buckets": wizards._bucket_labels(),
            "sections": {wizard.id: wizard._sections() for wizard in wizards},
        }
