from odoo import models


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _prepare_mail_values_dynamic(self, res_ids):
        """Collections reminders (context ``collection_recipients``: {case id: (To partner ids,
        Cc)}): the recipients resolved for each reminder replace the template's, the customer's
        collections contact or invoice addresses as partners (replies and bounces find them), the
        copies as Cc; they are the addresses the case's log records."""
        values_all = super()._prepare_mail_values_dynamic(res_ids)
        recipients = self.env.context.get("collection_recipients")
        if not recipients or self.model != "collection.case" or self.composition_mode != "mass_mail":
            return values_all
        for res_id, values in values_all.items():
            if res_id in recipients:
                partner_ids, email_cc = recipients[res_id]
                values["recipient_ids"] = [(4, partner_id) for partner_id in partner_ids]
                values["email_cc"] = email_cc or False
                values.pop("email_to", None)
        return values_all
