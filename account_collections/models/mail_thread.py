from odoo import api, models
from odoo.tools import html2plaintext

# how much of a bounce the log keeps as its reason
BOUNCE_REASON_LENGTH = 500


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _routing_handle_bounce(self, email_message, message_dict):
        """Odoo's gateway received a bounce (the address is flagged on the contacts that have it,
        ``message_bounce``); the collections events of the bounced email fail with its reason."""
        result = super()._routing_handle_bounce(email_message, message_dict)
        bounced = message_dict.get("bounced_message")
        if bounced:
            # sudo: the gateway runs as superuser; the log is the system's
            self.env["collection.event"].sudo()._collection_receive_bounce(
                bounced, self._collection_bounce_reason(email_message, message_dict)
            )
        return result

    @api.model
    def _collection_bounce_reason(self, email_message, message_dict):
        """The mail server's reason for the bounce: the delivery report's diagnostic, else the
        bounce's text."""
        email = message_dict.get("bounced_email") or ""
        for part in email_message.walk():
            if part.get_content_type() != "message/delivery-status":
                continue
            for block in part.get_payload():
                diagnostic = block.get("Diagnostic-Code") or block.get("Status")
                if diagnostic:
                    reason = " ".join(str(diagnostic).split())
                    return (f"{email}: {reason}" if email else reason)[:BOUNCE_REASON_LENGTH]
        text = " ".join(html2plaintext(message_dict.get("body") or "").split())
        return (text or self.env._("The email bounced"))[:BOUNCE_REASON_LENGTH]
