from odoo import models


class CollectionCase(models.Model):
    _inherit = "collection.case"

    def _check_agreements(self, companies, today):
        res = super()._check_agreements(companies, today)
        promises = self.env["collection.promise"].search(
            [("state", "=", "open"), ("company_id", "in", companies.ids), ("sms_reminder_sent", "=", False)]
        )
        promises._send_sms_reminders(today)
        return res
