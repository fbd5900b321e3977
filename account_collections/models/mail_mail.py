from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        """Report the outcome of queued collection emails on their log events."""
        # sudo: the mail queue runs as whoever flushes it; the event log is the system's.
        events = (
            self.env["collection.event"].sudo().search([("mail_mail_id", "in", self.ids), ("state", "=", "queued")])
        )
        if events:
            failed = events.filtered(lambda e: e.mail_mail_id.state == "exception")
            if failed:
                failed.write(
                    {"state": "failed", "reason": failure_reason or failure_type or self.env._("Delivery failed")}
                )
            (events - failed).write({"state": "sent"})
        return super()._postprocess_sent_message(success_pids, failure_reason=failure_reason, failure_type=failure_type)
