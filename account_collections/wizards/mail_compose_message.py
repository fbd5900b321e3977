from odoo import models


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _action_send_mail(self, auto_commit=False):
        """The customer statement is a collections contact: guarded like a reminder when sent,
        and logged on the customer's open cases. The engine's scheduled statements (context
        ``collection_render_once``, see ``mail.template._collection_create_mails``) were guarded
        and logged when the run queued them."""
        statement = self.env.ref("account_collections.mail_template_customer_statement", raise_if_not_found=False)
        if self.env.context.get("collection_render_once"):
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
