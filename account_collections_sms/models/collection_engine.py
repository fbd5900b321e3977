from odoo import models


class CollectionEngine(models.AbstractModel):
    """The engine's settle step, then SMS reminders of the open promises coming due."""

    _inherit = "collection.engine"

    def _settle_agreements(self, run):
        """Once the agreements and the behaviour settled, remind by SMS the customers of the
        promises still open that come due (after the promises settled: a promise kept today gets
        no reminder)."""
        res = super()._settle_agreements(run)
        # sudo: the run reminds the promises of its companies, whoever launched it
        promises = (
            self.env["collection.promise"]
            .sudo()
            .with_context(collection_date=run.today)
            .search(
                [("state", "=", "open"), ("company_id", "in", run.companies.ids), ("sms_reminder_sent", "=", False)]
            )
        )
        promises._send_sms_reminders(run.today)
        return res
