from odoo import Command, fields, models


class CollectionAgreementMixin(models.AbstractModel):
    """What every agreement with a customer about its case shares (promise to pay, payment plan,
    settlement offer): the case it belongs to, and the customer, company and currency of that case;
    a state set by its workflow, which decides the hold of its invoices."""

    _name = "collection.agreement.mixin"
    _inherit = ["collection.workflow.mixin"]
    _description = "Collections Agreement"

    case_id = fields.Many2one(
        "collection.case",
        string="Collection Case",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        tracking=True,
        domain="[('state', '=', 'open')]",
    )
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer", store=True, index=True)
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="case_id.currency_id", store=True)

    def _write_workflow(self, vals):
        """A new state may start or end the hold of the invoices (``account.move.collection_hold``
        follows it): the cases of the invoices whose hold changes are refreshed with it."""
        if "state" not in vals:
            return super()._write_workflow(vals)
        with self.invoice_ids._collection_refresh_held():
            return super()._write_workflow(vals)

    def _email_customers(self, template, summaries):
        """Queue ``template`` to the customer of each agreement, under the case's channel guards,
        and log one email event per agreement (queued, skipped with the guard's reason, or failed
        with the template's error: one agreement the template fails on stops no other). The events
        belong to no level: an agreement email is not a level's reminder.

        :param summaries: function(agreement) -> (summary when emailed, summary when not emailed)
        """
        events, reachable = [], self.browse()
        for agreement in self:
            blocked = agreement.case_id._channel_block_reason("email")
            if blocked:
                code, reason = blocked
                events.append(
                    agreement.case_id._event_vals(
                        summaries(agreement)[1],
                        channel="email",
                        state="skipped",
                        reason=reason,
                        reason_code=code,
                        level_id=False,
                        invoice_ids=[Command.set(agreement.invoice_ids.ids)],
                    )
                )
            else:
                reachable |= agreement
        mails, errors = template._collection_queue_mails(reachable)
        for agreement in reachable:
            mail = mails.get(agreement.id)
            events.append(
                agreement.case_id._event_vals(
                    summaries(agreement)[0],
                    channel="email",
                    state="queued" if mail else "failed",
                    reason=False if mail else errors.get(agreement.id, self.env._("The email could not be rendered")),
                    reason_code=False if mail else "render",
                    level_id=False,
                    mail_mail_id=mail.id if mail else False,
                    mail_message_id=mail.mail_message_id.id if mail else False,
                    invoice_ids=[Command.set(agreement.invoice_ids.ids)],
                )
            )
        self.env["collection.event"].sudo().create(events)
