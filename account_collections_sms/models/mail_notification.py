from odoo import models

SMS_STATUS_TO_EVENT = {
    "sent": "sent",
    "pending": "sent",
    "exception": "failed",
    "bounce": "failed",
    "canceled": "failed",
}


class MailNotification(models.Model):
    _inherit = "mail.notification"

    def write(self, vals):
        res = super().write(vals)
        state = SMS_STATUS_TO_EVENT.get(vals.get("notification_status"))
        sms = self.filtered(lambda n: n.notification_type == "sms")
        if state and sms:
            # sudo: delivery reports come from the SMS gateway; recording them is the system's job.
            events = (
                self.env["collection.event"]
                .sudo()
                .search(
                    [
                        ("mail_message_id", "in", sms.mail_message_id.ids),
                        ("channel", "=", "sms"),
                        ("state", "=", "queued"),
                    ]
                )
            )
            if events:
                failure = vals.get("failure_type") or vals.get("failure_reason")
                events.write({"state": state, "reason": failure or False} if state == "failed" else {"state": state})
        return res
