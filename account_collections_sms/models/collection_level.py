from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .sms_segments import sms_clean, sms_segments


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
        for level in self.filtered("send_sms"):
            if not level.sms_template_id:
                raise ValidationError(
                    self.env._(
                        "Level '%(level)s' of policy '%(policy)s' sends an SMS but has no SMS template: choose one.",
                        level=level.name,
                        policy=level.policy_id.name,
                    )
                )
            level._check_sms_length()

    def _check_sms_length(self):
        """Render the template on one of the company's cases (or read its text when there is
        none yet) and refuse a template longer than the company allows."""
        self.ensure_one()
        template, company = self.sms_template_id, self.company_id
        sample = self.env["collection.case"].search([("company_id", "=", company.id)], limit=1, order="id desc")
        body = template._render_field("body", sample.ids)[sample.id] if sample else template.body or ""
        segments = sms_segments(sms_clean(body))
        if segments > company.collection_sms_max_segments:
            raise ValidationError(
                self.env._(
                    "The SMS template '%(template)s' of level '%(level)s' takes %(segments)s segments, more than "
                    "the %(max)s allowed: shorten it or raise the maximum in the collections settings.",
                    template=template.name,
                    level=self.name,
                    segments=segments,
                    max=company.collection_sms_max_segments,
                )
            )

    def _has_action(self):
        return super()._has_action() or self.send_sms
