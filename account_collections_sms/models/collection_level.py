from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CollectionLevel(models.Model):
    _inherit = "collection.level"

    send_sms = fields.Boolean(string="SMS")
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain=[("model", "=", "collection.case")],
    )

    @api.constrains("send_sms", "sms_template_id")
    def _check_sms_template(self):
        for level in self.filtered(lambda lvl: lvl.send_sms and not lvl.sms_template_id):
            raise ValidationError(
                self.env._(
                    "Level '%(level)s' of policy '%(policy)s' sends an SMS but has no SMS template: choose one.",
                    level=level.name,
                    policy=level.policy_id.name,
                )
            )

    def _has_action(self):
        return super()._has_action() or self.send_sms
