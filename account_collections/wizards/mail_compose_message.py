from odoo import models


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _action_send_mail(self, auto_commit=False):
        """The customer statement is a collections contact: guarded like a reminder when sent,
        and logged on the customer's open cases. The engine's scheduled statements (context
        ``collection_render_once``, see ``mail.template._collection_create_mails``) were guarded
        and logged when the run queued them."""
        statement = self.env.ref("account_collections.mail_template_customer_statement", raise_if_not_found=False)
        if self.env.su and self.env.context.get("collection_render_once"):
            # the engine's dispatch only (it sends as superuser): a client setting the key is still guarded
            statement = False
        composers = self.filtered(lambda c: statement and c.template_id == statement and c.model == "res.partner")
        partners = self.env["res.partner"].browse(
            {res_id for composer in composers for res_id in composer._evaluate_res_ids()}
        )
        if partners:
            partners._collection_check_statement()
        result_mails, result_messages = super()._action_send_mail(auto_commit=auto_commit)
        if partners:
            partners._collection_log_statement(result_messages)
        return result_mails, result_messages

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
