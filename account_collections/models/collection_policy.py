from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CollectionPolicy(models.Model):
    _name = "collection.policy"
    _description = "Collection Policy"
    _order = "company_id, sequence, name"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    is_default = fields.Boolean(
        string="Default Policy",
        help="Applied to every customer of the company that has no policy of their own.",
    )
    level_ids = fields.One2many("collection.level", "policy_id", string="Levels", copy=True)
    level_count = fields.Integer(compute="_compute_level_count")
    note = fields.Html(string="Description", translate=True)

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    @api.constrains("is_default", "company_id", "active")
    def _check_single_default(self):
        defaults = self.filtered(lambda p: p.is_default and p.active)
        if not defaults:
            return
        groups = self._read_group(
            [("is_default", "=", True), ("company_id", "in", defaults.company_id.ids)],
            ["company_id"],
            ["id:count"],
        )
        for company, count in groups:
            if count > 1:
                raise ValidationError(
                    self.env._(
                        "Company %(company)s already has a default collection policy. "
                        "Untick 'Default Policy' on the other policy first.",
                        company=company.display_name,
                    )
                )

    def _pre_due_lead_days(self):
        """How many days before the due date the earliest pre-due level of the policy runs."""
        self.ensure_one()
        return max([-level.delay_days for level in self.level_ids if level.delay_days < 0], default=0)

    @api.model
    def _get_company_default(self, company):
        return self.search([("company_id", "=", company.id), ("is_default", "=", True)], limit=1)

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for policy, vals in zip(self, vals_list, strict=True):
            vals["name"] = self.env._("%s (copy)", policy.name)
            vals["is_default"] = False
        return vals_list
