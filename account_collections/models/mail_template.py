from odoo import models


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _collection_queue_mails(self, records):
        """Render the template for the records and put the emails in Odoo's queue (sent by the
        mail cron, never inside the caller), each logged in the record's chatter. A record the
        template fails on gets no email and stops no other (see ``_collection_render_isolated``).

        :return: ({record id: mail.mail}, {record id: error text} of the records not rendered)
        """
        self.ensure_one()
        return self._collection_render_isolated(records, self._collection_create_mails)

    def _collection_create_mails(self, records):
        """The emails of the template for the records, in Odoo's queue: {record id: mail.mail}.

        Odoo's mass mailing composer does the work (rendering, recipients, attachments, the
        message in each record's chatter); it empties the whole cache every ``mail.batch_size``
        emails, so a caller reads its own records again afterwards."""
        self.ensure_one()
        if not records:
            return {}
        composer = (
            self.env["mail.compose.message"]
            .with_context(
                active_model=records._name,
                active_ids=records.ids,
                mail_notify_force_send=False,
                collection_render_once=True,
            )
            .create(
                {
                    "composition_mode": "mass_mail",
                    "model": records._name,
                    "res_ids": str(records.ids),
                    "template_id": self.id,
                    "force_send": False,
                    "auto_delete": False,
                    "auto_delete_keep_log": True,
                }
            )
        )
        mails = composer._action_send_mail()[0]
        return {mail.res_id: mail for mail in mails}
