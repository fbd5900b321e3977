from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CollectionLevel(models.Model):
    _name = "collection.level"
    _description = "Collection Level"
    _order = "policy_id, delay_days, sequence, id"

    policy_id = fields.Many2one("collection.policy", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    delay_days = fields.Integer(
        string="Delay (days)",
        required=True,
        help="Days after the due date of the oldest overdue invoice when this level applies. "
        "A negative number sends a reminder before the due date.",
    )
    send_email = fields.Boolean(string="Email")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "collection.case")],
    )
    attach_invoices = fields.Boolean(help="Attach the PDF of each open invoice to the email.")
    cc_salesperson = fields.Boolean(help="Copy the salesperson of the invoices the reminder is about.")
    cc_collector = fields.Boolean(help="Copy the collector of the case.")
    send_letter = fields.Boolean(string="Letter", help="Produce a printable reminder letter (PDF).")
    letter_title = fields.Char(
        translate=True,
        help="Title of the reminder letter as the customer reads it (e.g. Second Reminder), in place of "
        "the level's internal name. Empty: Payment Reminder before the due date, Reminder of Overdue "
        "Invoices at the first overdue level, Second Reminder at the next ones, Final Notice at the last one.",
    )
    create_activity = fields.Boolean(string="Activity")
    activity_type_id = fields.Many2one("mail.activity.type", string="Activity Type")
    activity_summary = fields.Char(translate=True)
    fee_amount = fields.Monetary(
        string="Late Fee",
        currency_field="currency_id",
        help="Fixed fee charged when this level runs (0 = no fee).",
    )
    interest = fields.Boolean(
        string="Statutory Interest",
        help="Charge statutory late-payment interest on the overdue principal at this level.",
    )
    auto_execute = fields.Boolean(
        string="Automatic",
        default=True,
        help="Executed by the daily run. When unticked, the level waits for a collector.",
    )
    stage_id = fields.Many2one(
        "collection.stage",
        string="Move Case To",
        help="Stage the case moves to when this level runs.",
    )

    _sql_constraints = [
        (
            "policy_delay_uniq",
            "unique(policy_id, delay_days)",
            "Two levels of the same policy cannot have the same delay: change the delay of one of them.",
        ),
    ]

    @api.constrains(
        "name",
        "send_email",
        "mail_template_id",
        "send_letter",
        "create_activity",
        "activity_type_id",
        "fee_amount",
        "interest",
    )
    def _check_actions(self):
        for level in self:
            if not level._has_action():
                raise ValidationError(
                    self.env._(
                        "Level '%(level)s' of policy '%(policy)s' does nothing: "
                        "tick at least one action (email, letter, activity, fee or interest).",
                        level=level.name,
                        policy=level.policy_id.name,
                    )
                )
            if level.send_email and not level.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "Level '%(level)s' of policy '%(policy)s' sends an email but has no email template: "
                        "choose a template.",
                        level=level.name,
                        policy=level.policy_id.name,
                    )
                )
            if level.create_activity and not level.activity_type_id:
                raise ValidationError(
                    self.env._(
                        "Level '%(level)s' of policy '%(policy)s' creates an activity but has no activity type: "
                        "choose one.",
                        level=level.name,
                        policy=level.policy_id.name,
                    )
                )

    def _has_action(self):
        """Whether the level does anything; channel addons (SMS...) extend it."""
        self.ensure_one()
        return bool(self.send_email or self.send_letter or self.create_activity or self.fee_amount or self.interest)
